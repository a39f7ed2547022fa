package engine

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
)

// StrictModeConfig is Qdrant's strict mode of a collection: limits that
// refuse requests before any work (docs/settings.md lists what each one
// checks). Unset fields check nothing; none checks anything unless Enabled
// is true. It is kept in the collection file and reported in the info.
type StrictModeConfig struct {
	Enabled                      *bool    `json:"enabled,omitempty"`
	MaxQueryLimit                *int     `json:"max_query_limit,omitempty"`
	MaxTimeout                   *int     `json:"max_timeout,omitempty"`
	UnindexedFilteringRetrieve   *bool    `json:"unindexed_filtering_retrieve,omitempty"`
	UnindexedFilteringUpdate     *bool    `json:"unindexed_filtering_update,omitempty"`
	SearchMaxHnswEf              *int     `json:"search_max_hnsw_ef,omitempty"`
	SearchAllowExact             *bool    `json:"search_allow_exact,omitempty"`
	SearchMaxOversampling        *float64 `json:"search_max_oversampling,omitempty"`
	UpsertMaxBatchsize           *int     `json:"upsert_max_batchsize,omitempty"`
	SearchMaxBatchsize           *int     `json:"search_max_batchsize,omitempty"`
	MaxCollectionVectorSizeBytes *int     `json:"max_collection_vector_size_bytes,omitempty"`
	ReadRateLimit                *int     `json:"read_rate_limit,omitempty"`
	WriteRateLimit               *int     `json:"write_rate_limit,omitempty"`
	MaxPointsCount               *int     `json:"max_points_count,omitempty"`
	FilterMaxConditions          *int     `json:"filter_max_conditions,omitempty"`
	ConditionMaxSize             *int     `json:"condition_max_size,omitempty"`
	MaxPayloadIndexCount         *int     `json:"max_payload_index_count,omitempty"`
	// MaxCollectionPayloadSizeBytes refuses payload writes once the
	// collection's payload bytes (payloadBytes) reach it.
	MaxCollectionPayloadSizeBytes *int `json:"max_collection_payload_size_bytes,omitempty"`
	// SparseConfig limits the sparse vectors of each name, as Qdrant's
	// sparse_config; a PATCH that gives it replaces the stored one.
	SparseConfig map[string]StrictModeSparse `json:"sparse_config,omitempty"`
	// MaxResidentMemoryPercent (1..100) refuses upserts, vector updates
	// and payload sets once the process's resident memory reaches this
	// percent of the memory available to it (Options.Memory).
	MaxResidentMemoryPercent *int `json:"max_resident_memory_percent,omitempty"`
}

// StrictModeSparse is the strict-mode limit of one sparse vector name.
type StrictModeSparse struct {
	// MaxLength refuses a sparse vector of more indices.
	MaxLength *int `json:"max_length,omitempty"`
}

// on reports whether strict mode checks anything.
func (s *StrictModeConfig) on() bool { return s != nil && s.Enabled != nil && *s.Enabled }

// merge sets the fields of d that are set, as Qdrant's PATCH does (a null
// field leaves the stored value).
func (s *StrictModeConfig) merge(d *StrictModeConfig) {
	if d == nil {
		return
	}
	for _, p := range []struct{ dst, src **int }{
		{&s.MaxQueryLimit, &d.MaxQueryLimit}, {&s.MaxTimeout, &d.MaxTimeout},
		{&s.SearchMaxHnswEf, &d.SearchMaxHnswEf}, {&s.UpsertMaxBatchsize, &d.UpsertMaxBatchsize},
		{&s.SearchMaxBatchsize, &d.SearchMaxBatchsize},
		{&s.MaxCollectionVectorSizeBytes, &d.MaxCollectionVectorSizeBytes},
		{&s.ReadRateLimit, &d.ReadRateLimit}, {&s.WriteRateLimit, &d.WriteRateLimit},
		{&s.MaxPointsCount, &d.MaxPointsCount}, {&s.FilterMaxConditions, &d.FilterMaxConditions},
		{&s.ConditionMaxSize, &d.ConditionMaxSize}, {&s.MaxPayloadIndexCount, &d.MaxPayloadIndexCount},
		{&s.MaxCollectionPayloadSizeBytes, &d.MaxCollectionPayloadSizeBytes},
		{&s.MaxResidentMemoryPercent, &d.MaxResidentMemoryPercent},
	} {
		if *p.src != nil {
			v := **p.src
			*p.dst = &v
		}
	}
	for _, p := range []struct{ dst, src **bool }{
		{&s.Enabled, &d.Enabled}, {&s.UnindexedFilteringRetrieve, &d.UnindexedFilteringRetrieve},
		{&s.UnindexedFilteringUpdate, &d.UnindexedFilteringUpdate}, {&s.SearchAllowExact, &d.SearchAllowExact},
	} {
		if *p.src != nil {
			v := **p.src
			*p.dst = &v
		}
	}
	if d.SearchMaxOversampling != nil {
		v := *d.SearchMaxOversampling
		s.SearchMaxOversampling = &v
	}
	if d.SparseConfig != nil {
		s.SparseConfig = make(map[string]StrictModeSparse, len(d.SparseConfig))
		for name, l := range d.SparseConfig {
			if l.MaxLength != nil {
				v := *l.MaxLength
				l.MaxLength = &v
			}
			s.SparseConfig[name] = l
		}
	}
}

// validate applies the minimums of Qdrant's StrictModeConfig schema.
func (s *StrictModeConfig) validate() error {
	if s == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		v    *int
		min  int
	}{
		{"max_query_limit", s.MaxQueryLimit, 1}, {"max_timeout", s.MaxTimeout, 1},
		{"search_max_hnsw_ef", s.SearchMaxHnswEf, 0}, {"upsert_max_batchsize", s.UpsertMaxBatchsize, 0},
		{"search_max_batchsize", s.SearchMaxBatchsize, 0},
		{"max_collection_vector_size_bytes", s.MaxCollectionVectorSizeBytes, 0},
		{"read_rate_limit", s.ReadRateLimit, 1}, {"write_rate_limit", s.WriteRateLimit, 1},
		{"max_points_count", s.MaxPointsCount, 1}, {"filter_max_conditions", s.FilterMaxConditions, 0},
		{"condition_max_size", s.ConditionMaxSize, 0}, {"max_payload_index_count", s.MaxPayloadIndexCount, 0},
		{"max_collection_payload_size_bytes", s.MaxCollectionPayloadSizeBytes, 0},
	} {
		if f.v != nil && *f.v < f.min {
			return errInvalid("strict_mode_config."+f.name, "value %d invalid, must be %d or more", *f.v, f.min)
		}
	}
	if p := s.MaxResidentMemoryPercent; p != nil && (*p < 1 || *p > 100) {
		return errInvalid("strict_mode_config.max_resident_memory_percent", "value %d invalid, must be from 1 to 100", *p)
	}
	if o := s.SearchMaxOversampling; o != nil && (math.IsNaN(*o) || math.IsInf(*o, 0)) {
		return errInvalid("strict_mode_config.search_max_oversampling", "value must be a finite number")
	}
	for name, l := range s.SparseConfig {
		if l.MaxLength != nil && *l.MaxLength < 1 {
			return errInvalid("strict_mode_config.sparse_config."+name+".max_length", "value %d invalid, must be 1 or more", *l.MaxLength)
		}
	}
	return nil
}

// errStrict is Qdrant's answer to a request strict mode refuses (400).
func errStrict(problem, help string) error {
	return errBadRequestText("Bad request: %s. Help: %s", problem, help)
}

// checkLimit refuses value above limit, naming the parameter.
func checkLimit(value int, limit *int, name string) error {
	if limit == nil || value <= *limit {
		return nil
	}
	return errStrict(fmt.Sprintf("Limit exceeded %d > %d for %q", value, *limit, name),
		fmt.Sprintf("Reduce the %q parameter to or below %d.", name, *limit))
}

// strictKey marks a context whose request strict mode has checked, so
// that the operations it is made of are not checked (or charged) again.
type strictKey struct{}

// timeoutKey carries the client's timeout in seconds (WithTimeout).
type timeoutKey struct{}

func strictChecked(ctx context.Context) bool { return ctx.Value(strictKey{}) != nil }

// strictMode returns the collection's strict mode when it is enabled and
// ctx has not been checked yet, else nil.
func (c *Collection) strictMode(ctx context.Context) *StrictModeConfig {
	if strictChecked(ctx) {
		return nil
	}
	c.core.mu.RLock()
	defer c.core.mu.RUnlock()
	if !c.core.cfg.StrictModeConfig.on() {
		return nil
	}
	sm := *c.core.cfg.StrictModeConfig
	return &sm
}

// readCheck is what strict mode looks at in one read request.
type readCheck struct {
	limit   *int // nil: the request has no limit of its own
	filters []filterRef
	params  *SearchParams
}

// checkRead checks a read of len(reqs) requests (a batch when batch is
// true) and charges it to the read rate limit; the returned context marks
// the check done.
func (c *Collection) checkRead(ctx context.Context, batch bool, reqs ...readCheck) (context.Context, error) {
	sm := c.strictMode(ctx)
	if sm == nil {
		return ctx, nil
	}
	if batch {
		if err := checkLimit(len(reqs), sm.SearchMaxBatchsize, "search batch size"); err != nil {
			return ctx, err
		}
		return c.checkReadCost(ctx, len(reqs), reqs)
	}
	return c.checkReadCost(ctx, 1, reqs)
}

// checkReadCost checks each request and charges cost reads.
func (c *Collection) checkReadCost(ctx context.Context, cost int, reqs []readCheck) (context.Context, error) {
	sm := c.strictMode(ctx)
	if sm == nil {
		return ctx, nil
	}
	if err := checkTimeout(ctx, sm); err != nil {
		return ctx, err
	}
	for _, r := range reqs {
		if r.limit != nil {
			if err := checkLimit(*r.limit, sm.MaxQueryLimit, "limit"); err != nil {
				return ctx, err
			}
		}
		if err := c.checkFilters(sm, r.filters, sm.UnindexedFilteringRetrieve); err != nil {
			return ctx, err
		}
		if p := r.params; p != nil {
			if p.Exact && sm.SearchAllowExact != nil && !*sm.SearchAllowExact {
				return ctx, errStrict("Exact search disabled!", "Set exact=false.")
			}
			if q := p.Quantization; q != nil && q.Oversampling != nil && sm.SearchMaxOversampling != nil && *q.Oversampling > *sm.SearchMaxOversampling {
				lim := strconv.FormatFloat(*sm.SearchMaxOversampling, 'f', -1, 64)
				return ctx, errStrict(fmt.Sprintf("Limit exceeded %s > %s for \"oversampling\"", strconv.FormatFloat(*q.Oversampling, 'f', -1, 64), lim),
					fmt.Sprintf("Reduce the \"oversampling\" parameter to or below %s.", lim))
			}
			if p.HnswEf != nil {
				if err := checkLimit(*p.HnswEf, sm.SearchMaxHnswEf, "hnsw_ef"); err != nil {
					return ctx, err
				}
			}
		}
	}
	if err := c.core.rates.take(false, sm.ReadRateLimit, cost, c.core.now()); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, strictKey{}, true), nil
}

// writeCheck is what strict mode looks at in one write request.
type writeCheck struct {
	// points is the number of points the request writes (its cost to the
	// write rate limit, and its batch size when batchName is set).
	points    int
	batchName string
	// grows: the request may add points (max_points_count and
	// max_collection_vector_size_bytes apply).
	grows bool
	// vectors: the request writes vectors (max_collection_vector_size_bytes
	// applies, as it does to a growing one).
	vectors bool
	// payload: the request sets payloads (max_collection_payload_size_bytes
	// applies, as it does to a growing or vector write).
	payload bool
	// sparse lists the sparse vectors the request writes, one map a point
	// (sparse_config applies); called only when a limit is set.
	sparse func() []SparseVectors
	filter filterRef
}

// checkWrite checks a write and charges it to the write rate limit.
func (c *Collection) checkWrite(ctx context.Context, w writeCheck) (context.Context, error) {
	sm := c.strictMode(ctx)
	if sm == nil {
		return ctx, nil
	}
	if err := checkTimeout(ctx, sm); err != nil {
		return ctx, err
	}
	if w.batchName != "" {
		if err := checkLimit(w.points, sm.UpsertMaxBatchsize, w.batchName); err != nil {
			return ctx, err
		}
	}
	if w.filter.f != nil {
		if err := c.checkFilters(sm, []filterRef{w.filter}, sm.UnindexedFilteringUpdate); err != nil {
			return ctx, err
		}
	}
	if err := c.checkSizes(sm, w); err != nil {
		return ctx, err
	}
	if err := checkSparseLimits(sm, w.sparse); err != nil {
		return ctx, err
	}
	if err := c.core.rates.take(true, sm.WriteRateLimit, max(1, w.points), c.core.now()); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, strictKey{}, true), nil
}

// checkSizes applies max_resident_memory_percent, max_points_count,
// max_collection_vector_size_bytes and max_collection_payload_size_bytes
// to w.
func (c *Collection) checkSizes(sm *StrictModeConfig, w writeCheck) error {
	if (w.grows || w.vectors || w.payload) && sm.MaxResidentMemoryPercent != nil {
		if err := c.checkResidentMemory(*sm.MaxResidentMemoryPercent); err != nil {
			return err
		}
	}
	if (w.grows || w.vectors || w.payload) && sm.MaxCollectionPayloadSizeBytes != nil {
		if lim := *sm.MaxCollectionPayloadSizeBytes; c.payloadBytes() >= lim {
			return errBadRequestText("Bad request: Max payload storage size limit of %sMB reached!", megabytes(lim))
		}
	}
	if (w.grows || w.vectors) && (sm.MaxPointsCount != nil || sm.MaxCollectionVectorSizeBytes != nil) {
		n := c.livePoints()
		if w.grows && sm.MaxPointsCount != nil && n >= *sm.MaxPointsCount {
			return errBadRequestText("Bad request: Max points count limit of %d reached!", *sm.MaxPointsCount)
		}
		cfg := c.Config()
		if lim := sm.MaxCollectionVectorSizeBytes; lim != nil && n*cfg.vectorBytes() >= *lim {
			return errBadRequestText("Bad request: Max vector storage size limit of %sMB reached!", megabytes(*lim))
		}
	}
	return nil
}

// megabytes is n bytes in MB as Qdrant prints it (an f32, shortest form).
func megabytes(n int) string {
	return strconv.FormatFloat(float64(float32(float64(n)/(1024*1024))), 'f', -1, 32)
}

// checkSparseLimits refuses a sparse vector longer than the max_length of
// its name, the points in order and each point's names sorted.
func checkSparseLimits(sm *StrictModeConfig, points func() []SparseVectors) error {
	if len(sm.SparseConfig) == 0 || points == nil {
		return nil
	}
	for _, sv := range points() {
		for _, name := range slices.Sorted(maps.Keys(sv)) {
			l, ok := sm.SparseConfig[name]
			if !ok || l.MaxLength == nil {
				continue
			}
			v := sv[name]
			if n := len(v.Indices); n > *l.MaxLength || len(v.Values) > *l.MaxLength {
				return errBadRequestText("Bad request: Sparse vector '%s' has a limit of %d indices, but %d were provided!", name, *l.MaxLength, n)
			}
		}
	}
	return nil
}

// payloadBytes is the size of the collection's stored payloads, as
// max_collection_payload_size_bytes measures it: the payload data of every
// sealed segment (the points deleted or replaced since it was written
// included, until a merge rewrites it, as Qdrant's payload storage counts
// them) plus the JSON payloads of the live points not yet sealed.
func (c *Collection) payloadBytes() int {
	n := 0
	for _, s := range c.shards {
		n += s.payloadBytes()
	}
	return n
}

func (s *shard) payloadBytes() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, m := range s.memTablesLocked() {
		if m == nil {
			continue
		}
		for slot, live := range m.live {
			if live {
				n += len(m.payloads[slot])
			}
		}
	}
	for _, h := range s.segs {
		n += h.seg.PayloadBytes()
	}
	return n
}

// checkIndexCount refuses a new payload index past max_payload_index_count.
func (c *Collection) checkIndexCount(ctx context.Context, field string) error {
	sm := c.strictMode(ctx)
	if sm == nil || sm.MaxPayloadIndexCount == nil {
		return nil
	}
	c.core.mu.RLock()
	_, exists := c.core.indexes[field]
	n := len(c.core.indexes)
	c.core.mu.RUnlock()
	if !exists && n >= *sm.MaxPayloadIndexCount {
		return errStrict(fmt.Sprintf("Collection already has the maximum number of payload indices (%d)", *sm.MaxPayloadIndexCount),
			"Please delete an existing index before creating a new one.")
	}
	return nil
}

// checkTimeout refuses a client timeout above max_timeout.
func checkTimeout(ctx context.Context, sm *StrictModeConfig) error {
	secs, ok := ctx.Value(timeoutKey{}).(int64)
	if !ok || sm.MaxTimeout == nil {
		return nil
	}
	if secs > int64(*sm.MaxTimeout) {
		return checkLimit(int(min(secs, math.MaxInt32)), sm.MaxTimeout, "timeout")
	}
	return nil
}

// livePoints counts the collection's live points.
func (c *Collection) livePoints() int {
	var info CollectionInfo
	for _, s := range c.shards {
		s.addCounts(&info, nil, nil)
	}
	return info.PointsCount
}

// checkSelected checks a write to the points sel selects: its filter, and
// its cost to the write rate limit, one token per selected point (the
// points the filter matches now, as Qdrant counts them).
// A payload write (set or overwrite) passes payload, which applies
// max_collection_payload_size_bytes.
func (c *Collection) checkSelected(ctx context.Context, sel PointsSelector, payload bool) (context.Context, error) {
	sm := c.strictMode(ctx)
	if sm == nil {
		return ctx, nil
	}
	n := len(sel.Points)
	if sel.Filter != nil && sm.WriteRateLimit != nil {
		for _, s := range c.shards {
			n += s.count(ctx, sel.Filter)
		}
	}
	return c.checkWrite(ctx, writeCheck{points: n, payload: payload, filter: filterRef{f: sel.Filter}})
}

// sparseOf lists the sparse vectors of each of pts, for checkWrite.
func sparseOf[T any](pts []T, get func(*T) SparseVectors) func() []SparseVectors {
	return func() []SparseVectors {
		out := make([]SparseVectors, 0, len(pts))
		for i := range pts {
			if sv := get(&pts[i]); len(sv) > 0 {
				out = append(out, sv)
			}
		}
		return out
	}
}
