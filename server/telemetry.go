package server

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cairn-db/cairn/engine"
)

// restStats are the REST answers by route ("GET /collections/{name}", the
// route template as Qdrant writes it) and status code, as the requests
// section of Qdrant's telemetry reports them.
type restStats struct {
	mu sync.Mutex
	// routes is keyed by echo's method and route template; routeKey
	// writes Qdrant's form when the telemetry is read, not per request.
	routes map[routeID]map[string]*opStats
}

// routeID is a request's method and echo route template.
type routeID struct{ method, route string }

// recentOps is how many latest durations the average is taken over, as
// Qdrant's avg_duration_micros.
const recentOps = 128

type opStats struct {
	count         int
	min, max      float64
	total         float64
	recent        [recentOps]float64
	last          time.Time
	recentN, next int
}

// opStatsOut is Qdrant's OperationDurationStatistics.
type opStatsOut struct {
	Count         int       `json:"count"`
	AvgDuration   float64   `json:"avg_duration_micros"`
	MinDuration   float64   `json:"min_duration_micros"`
	MaxDuration   float64   `json:"max_duration_micros"`
	TotalDuration uint64    `json:"total_duration_micros"`
	LastResponded time.Time `json:"last_responded"`
}

// routeKey writes an echo route template as Qdrant's: ":name" → "{name}".
func routeKey(method, route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return method + " " + strings.Join(parts, "/")
}

// record counts one answer (code: its status as text, the metrics' label).
func (r *restStats) record(method, route, code string, d time.Duration, now time.Time) {
	key := routeID{method, route}
	us := float64(d.Microseconds())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.routes == nil {
		r.routes = map[routeID]map[string]*opStats{}
	}
	byCode := r.routes[key]
	if byCode == nil {
		byCode = map[string]*opStats{}
		r.routes[key] = byCode
	}
	st := byCode[code]
	if st == nil {
		st = &opStats{min: math.Inf(1)}
		byCode[code] = st
	}
	st.count++
	st.total += us
	st.min, st.max = math.Min(st.min, us), math.Max(st.max, us)
	st.recent[st.next] = us
	st.next = (st.next + 1) % recentOps
	st.recentN = min(st.recentN+1, recentOps)
	st.last = now.UTC()
}

// snapshot returns the figures in Qdrant's shape.
func (r *restStats) snapshot() map[string]map[string]opStatsOut {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]map[string]opStatsOut, len(r.routes))
	for key, byCode := range r.routes {
		m := make(map[string]opStatsOut, len(byCode))
		for code, st := range byCode {
			sum := 0.0
			for _, v := range st.recent[:st.recentN] {
				sum += v
			}
			m[code] = opStatsOut{Count: st.count, AvgDuration: sum / float64(max(1, st.recentN)), MinDuration: st.min,
				MaxDuration: st.max, TotalDuration: uint64(st.total), LastResponded: st.last}
		}
		out[routeKey(key.method, key.route)] = m
	}
	return out
}

// telemetryFeatures is Qdrant's AppFeaturesTelemetry: Cairn is built with
// none of these.
type telemetryFeatures struct {
	Debug               bool `json:"debug"`
	ServiceDebugFeature bool `json:"service_debug_feature"`
	RecoveryMode        bool `json:"recovery_mode"`
	GPU                 bool `json:"gpu"`
	RocksDB             bool `json:"rocksdb"`
	Staging             bool `json:"staging"`
}

// telemetryRequests is Qdrant's RequestsTelemetry. Cairn records REST
// answers; its gRPC answers are not counted, so that map stays empty.
type telemetryRequests struct {
	REST struct {
		Responses map[string]map[string]opStatsOut `json:"responses"`
	} `json:"rest"`
	GRPC struct {
		Responses map[string]opStatsOut `json:"responses"`
	} `json:"grpc"`
}

// collectionAggregate is Qdrant's CollectionsAggregatedTelemetry.
type collectionAggregate struct {
	Vectors          int                     `json:"vectors"`
	OptimizersStatus engine.OptimizerStatus  `json:"optimizers_status"`
	Params           engine.CollectionParams `json:"params"`
}

// collectionAggregates returns one entry per collection, by name.
func (s *Server) collectionAggregates() []collectionAggregate {
	out := []collectionAggregate{}
	if s.eng == nil {
		return out
	}
	names := s.eng.ListCollections()
	slices.Sort(names)
	for _, name := range names {
		col, err := s.eng.Collection(name)
		if err != nil {
			continue // deleted meanwhile
		}
		info := col.Info()
		out = append(out, collectionAggregate{Vectors: info.PointsCount * len(info.Config.Params.Vectors),
			OptimizersStatus: info.OptimizerStatus, Params: info.Config.Params})
	}
	return out
}
