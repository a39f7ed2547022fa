package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// MaxCompletedOptimizations is how many finished optimizations a
// collection remembers for Optimizations (the newest ones).
const MaxCompletedOptimizations = 64

// OptimizationSegment is Qdrant's OptimizationSegmentInfo.
type OptimizationSegment struct {
	UUID        string `json:"uuid"`
	PointsCount int    `json:"points_count"`
}

// ProgressTree is Qdrant's ProgressTree of one optimization (no children:
// Cairn does not split an optimization into reported steps).
type ProgressTree struct {
	Name        string     `json:"name"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	DurationSec *float64   `json:"duration_sec,omitempty"`
	Children    []struct{} `json:"children"`
}

// Optimization is Qdrant's Optimization: a merge, vacuum or index build of
// some segments into one (whose id is UUID once it is done).
type Optimization struct {
	UUID      string                `json:"uuid"`
	Optimizer string                `json:"optimizer"`
	Status    any                   `json:"status"` // "optimizing", "done" or {"error": "…"}
	Segments  []OptimizationSegment `json:"segments"`
	Progress  ProgressTree          `json:"progress"`
}

// PendingOptimization is Qdrant's PendingOptimization.
type PendingOptimization struct {
	Optimizer string                `json:"optimizer"`
	Segments  []OptimizationSegment `json:"segments"`
}

// OptimizationsSummary is Qdrant's OptimizationsSummary.
type OptimizationsSummary struct {
	QueuedOptimizations int `json:"queued_optimizations"`
	QueuedSegments      int `json:"queued_segments"`
	QueuedPoints        int `json:"queued_points"`
	IdleSegments        int `json:"idle_segments"`
}

// Optimizations is Qdrant's OptimizationsResponse; the optional lists are
// nil unless asked for.
type Optimizations struct {
	Summary      OptimizationsSummary   `json:"summary"`
	Running      []Optimization         `json:"running"`
	Queued       *[]PendingOptimization `json:"queued,omitempty"`
	Completed    *[]Optimization        `json:"completed,omitempty"`
	IdleSegments *[]OptimizationSegment `json:"idle_segments,omitempty"`
}

// optTracker records a collection's running and finished optimizations.
type optTracker struct {
	mu        sync.Mutex
	running   map[string]Optimization
	completed []Optimization // oldest first
}

func (t *optTracker) start(o Optimization) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == nil {
		t.running = map[string]Optimization{}
	}
	t.running[o.UUID] = o
}

func (t *optTracker) finish(id string, err error, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.running[id]
	if !ok {
		return
	}
	delete(t.running, id)
	o.Status = "done"
	if err != nil {
		o.Status = map[string]string{"error": err.Error()}
	}
	fin := now.UTC()
	o.Progress.FinishedAt = &fin
	if o.Progress.StartedAt != nil {
		d := fin.Sub(*o.Progress.StartedAt).Seconds()
		o.Progress.DurationSec = &d
	}
	t.completed = append(t.completed, o)
	if len(t.completed) > MaxCompletedOptimizations {
		t.completed = t.completed[len(t.completed)-MaxCompletedOptimizations:]
	}
}

// segmentUUID is the id Cairn reports for segment name of shard shard of
// this incarnation of the collection: a name-based UUID (version 8), the
// same for the segment's whole life.
func (s *shard) segmentUUID(name string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%d/%s", s.core.incarnation, s.id, name)))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func (s *shard) segmentInfos(hs []*segHandle) []OptimizationSegment {
	out := make([]OptimizationSegment, len(hs))
	for i, h := range hs {
		out[i] = OptimizationSegment{UUID: s.segmentUUID(h.name), PointsCount: h.live()}
	}
	return out
}

// trackStart records that o, writing segment name, starts now.
func (s *shard) trackStart(o *optimization, name string) string {
	id := s.segmentUUID(name)
	now := s.core.now().UTC()
	s.core.opts.start(Optimization{UUID: id, Optimizer: o.reason, Status: "optimizing", Segments: s.segmentInfos(o.inputs),
		Progress: ProgressTree{Name: o.reason, StartedAt: &now, Children: []struct{}{}}})
	return id
}

// Optimizations reports the collection's optimizations: those running,
// and the estimated queue (per shard, the optimization due now, as the
// optimizer would plan it). queued, completed (the newest completedLimit)
// and idle fill the optional lists.
func (c *Collection) Optimizations(queued, completed, idle bool, completedLimit int) Optimizations {
	out := Optimizations{Running: []Optimization{}}
	cfg := c.core.config()
	indexes := c.core.indexDefs()
	c.core.opts.mu.Lock()
	busy := map[string]bool{}
	for _, o := range c.core.opts.running {
		out.Running = append(out.Running, o)
		for _, sg := range o.Segments {
			busy[sg.UUID] = true
		}
	}
	if completed {
		done := c.core.opts.completed
		done = done[max(0, len(done)-completedLimit):]
		list := make([]Optimization, 0, len(done))
		for i := len(done) - 1; i >= 0; i-- {
			list = append(list, done[i])
		}
		out.Completed = &list
	}
	c.core.opts.mu.Unlock()
	var queue []PendingOptimization
	var idles []OptimizationSegment
	for _, s := range c.shards {
		s.mu.RLock()
		o := s.planLocked(&cfg, indexes, false)
		inPlan := map[*segHandle]bool{}
		if o != nil && !anyBusy(s, o.inputs, busy) {
			segs := s.segmentInfos(o.inputs)
			out.Summary.QueuedOptimizations++
			out.Summary.QueuedSegments += len(segs)
			for _, sg := range segs {
				out.Summary.QueuedPoints += sg.PointsCount
			}
			if queued {
				queue = append(queue, PendingOptimization{Optimizer: o.reason, Segments: segs})
			}
			for _, h := range o.inputs {
				inPlan[h] = true
			}
		}
		for _, h := range s.segs {
			if inPlan[h] || busy[s.segmentUUID(h.name)] {
				continue
			}
			out.Summary.IdleSegments++
			if idle {
				idles = append(idles, OptimizationSegment{UUID: s.segmentUUID(h.name), PointsCount: h.live()})
			}
		}
		s.mu.RUnlock()
	}
	if queued {
		queue = append([]PendingOptimization{}, queue...)
		out.Queued = &queue
	}
	if idle {
		idles = append([]OptimizationSegment{}, idles...)
		out.IdleSegments = &idles
	}
	return out
}

func anyBusy(s *shard, hs []*segHandle, busy map[string]bool) bool {
	for _, h := range hs {
		if busy[s.segmentUUID(h.name)] {
			return true
		}
	}
	return false
}
