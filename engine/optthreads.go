package engine

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// OptimizationThreads is max_optimization_threads in a create or update
// body, Qdrant's MaxOptimizationThreads: a number of optimization jobs per
// shard, or "auto". Auto is stored as null, no limit of the collection's
// own; 0 disables the collection's optimizations (see
// CollectionConfig.OptimizationsDisabled).
type OptimizationThreads struct {
	// Auto is Qdrant's "auto"; N is then unused.
	Auto bool
	// N is the number of jobs.
	N int
}

// UnmarshalJSON reads a non-negative integer or "auto", refusing anything
// else as Qdrant's parser does (ErrBadRequest).
func (t *OptimizationThreads) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == `"auto"` {
		*t = OptimizationThreads{Auto: true}
		return nil
	}
	// A number only: a string spelling one ("8") is no variant of Qdrant's
	// MaxOptimizationThreads.
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 || n > MaxIndexingThreads {
		return errBadRequest("optimizers_config.max_optimization_threads: invalid value: %s, expected \"auto\" or an integer from 0 to %d", b, MaxIndexingThreads)
	}
	*t = OptimizationThreads{N: int(n)}
	return nil
}

// MarshalJSON writes "auto" or the number.
func (t OptimizationThreads) MarshalJSON() ([]byte, error) {
	if t.Auto {
		return []byte(`"auto"`), nil
	}
	return json.Marshal(t.N)
}

// threadsPtr is the stored form of t: nil for "auto".
func (t OptimizationThreads) threadsPtr() *int {
	if t.Auto {
		return nil
	}
	n := t.N
	return &n
}

// OptimizationsDisabled reports max_optimization_threads 0: Qdrant's
// switch that stops the collection's optimizers. Its shards still seal
// their heads into segments (Qdrant's flushes) and still rewrite segments
// to build payload indexes (which Qdrant builds outside its optimizers),
// keeping each segment's graphs as they were; merges, vacuums and new
// graph builds wait until the setting changes, and the collection's
// status is then grey while one is due. A number N of at least 1 is
// always honoured: Cairn runs at most one optimization job per shard at a
// time, within N per shard.
func (c *CollectionConfig) OptimizationsDisabled() bool {
	t := c.OptimizerConfig.MaxOptimizationThreads
	return t != nil && *t == 0
}
