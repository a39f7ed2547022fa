package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestValidateBounds sets every bounded collection setting to its largest
// accepted value (accepted) and one more (refused with ErrInvalid naming
// the setting), through the create path, the update path (Apply) where the
// setting can change, and Validate itself, which restores call.
func TestValidateBounds(t *testing.T) {
	cases := []struct {
		field string
		max   int
		set   func(c *CollectionConfig, v int)
		diff  func(v int) *CollectionUpdate // nil: not updatable
	}{
		{"vectors.size", MaxVectorSize, func(c *CollectionConfig, v int) {
			c.Params.Vectors[""] = VectorParams{Size: v, Distance: point.Cosine}
		}, nil},
		{"shard_number", MaxShardNumber, func(c *CollectionConfig, v int) { c.Params.ShardNumber = v }, nil},
		{"replication_factor", MaxReplicationFactor, func(c *CollectionConfig, v int) { c.Params.ReplicationFactor = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{Params: &CollectionParamsDiff{ReplicationFactor: &v}}
			}},
		{"write_consistency_factor", MaxReplicationFactor, func(c *CollectionConfig, v int) { c.Params.WriteConsistencyFactor = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{Params: &CollectionParamsDiff{WriteConsistencyFactor: &v}}
			}},
		{"hnsw_config.m", MaxHnswM, func(c *CollectionConfig, v int) { c.HnswConfig.M = v },
			func(v int) *CollectionUpdate { return &CollectionUpdate{HnswConfig: &HnswConfigDiff{M: &v}} }},
		{"hnsw_config.ef_construct", MaxEfConstruct, func(c *CollectionConfig, v int) { c.HnswConfig.EfConstruct = v },
			func(v int) *CollectionUpdate { return &CollectionUpdate{HnswConfig: &HnswConfigDiff{EfConstruct: &v}} }},
		{"hnsw_config.full_scan_threshold", MaxSizeKB, func(c *CollectionConfig, v int) { c.HnswConfig.FullScanThreshold = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{HnswConfig: &HnswConfigDiff{FullScanThreshold: &v}}
			}},
		{"hnsw_config.max_indexing_threads", MaxIndexingThreads, func(c *CollectionConfig, v int) { c.HnswConfig.MaxIndexingThreads = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{HnswConfig: &HnswConfigDiff{MaxIndexingThreads: &v}}
			}},
		{"hnsw_config.payload_m", MaxHnswM, func(c *CollectionConfig, v int) { c.HnswConfig.PayloadM = &v },
			func(v int) *CollectionUpdate { return &CollectionUpdate{HnswConfig: &HnswConfigDiff{PayloadM: &v}} }},
		{"vectors.hnsw_config.m", MaxHnswM, func(c *CollectionConfig, v int) {
			c.Params.Vectors[""] = VectorParams{Size: 4, Distance: point.Cosine, HnswConfig: &HnswConfigDiff{M: &v}}
		}, func(v int) *CollectionUpdate {
			return &CollectionUpdate{Vectors: map[string]VectorParamsDiff{"": {HnswConfig: &HnswConfigDiff{M: &v}}}}
		}},
		{"optimizers_config.vacuum_min_vector_number", MaxVacuumMinVectorNumber, func(c *CollectionConfig, v int) { c.OptimizerConfig.VacuumMinVectorNumber = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{VacuumMinVectorNumber: &v}}
			}},
		{"optimizers_config.default_segment_number", MaxDefaultSegmentNumber, func(c *CollectionConfig, v int) { c.OptimizerConfig.DefaultSegmentNumber = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{DefaultSegmentNumber: &v}}
			}},
		{"optimizers_config.max_segment_size", MaxSizeKB, func(c *CollectionConfig, v int) { c.OptimizerConfig.MaxSegmentSize = &v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{MaxSegmentSize: &v}}
			}},
		{"optimizers_config.indexing_threshold", MaxSizeKB, func(c *CollectionConfig, v int) { c.OptimizerConfig.IndexingThreshold = &v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{IndexingThreshold: &v}}
			}},
		{"optimizers_config.memmap_threshold", MaxSizeKB, func(c *CollectionConfig, v int) { c.OptimizerConfig.MemmapThreshold = &v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{MemmapThreshold: &v}}
			}},
		{"optimizers_config.flush_interval_sec", MaxFlushIntervalSec, func(c *CollectionConfig, v int) { c.OptimizerConfig.FlushIntervalSec = v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{FlushIntervalSec: &v}}
			}},
		{"optimizers_config.max_optimization_threads", MaxIndexingThreads, func(c *CollectionConfig, v int) { c.OptimizerConfig.MaxOptimizationThreads = &v },
			func(v int) *CollectionUpdate {
				return &CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{MaxOptimizationThreads: &OptimizationThreads{N: v}}}
			}},
		{"wal_config.wal_capacity_mb", MaxWalCapacityMB, func(c *CollectionConfig, v int) { c.WalConfig.WalCapacityMB = v }, nil},
		{"wal_config.wal_segments_ahead", MaxWalSegmentsAhead, func(c *CollectionConfig, v int) { c.WalConfig.WalSegmentsAhead = v }, nil},
	}
	base := DefaultConfig(VectorsConfig{"": {Size: 4, Distance: point.Cosine}})
	for _, tc := range cases {
		for _, v := range []int{tc.max, tc.max + 1} {
			cfg := base.clone()
			tc.set(&cfg, v)
			err := cfg.Validate()
			checkBound(t, "Validate", tc.field, v, tc.max, err)
			if tc.diff == nil {
				continue
			}
			_, err = base.clone().Apply(*tc.diff(v))
			checkBound(t, "Apply", tc.field, v, tc.max, err)
		}
	}
}

func checkBound(t *testing.T, path, field string, v, max int, err error) {
	t.Helper()
	if v <= max {
		if err != nil {
			t.Errorf("%s: %s = %d (the maximum) refused: %v", path, field, v, err)
		}
		return
	}
	last := field[strings.LastIndex(field, ".")+1:]
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), last) {
		t.Errorf("%s: %s = %d (over the maximum %d): got %v, want ErrInvalid naming %s", path, field, v, max, err, last)
	}
}

// TestCreateRefusesHugeWal is the case: wal_capacity_mb 1000000 is
// refused before anything is written (it filled the disk).
func TestCreateRefusesHugeWal(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	req := simpleReq(4, point.Cosine)
	req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1000000)}
	err := st.CreateCollection("c", req)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "wal_capacity_mb") {
		t.Fatalf("create with wal_capacity_mb 1000000: %v, want ErrInvalid naming wal_capacity_mb", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, collectionsDir))
	if len(entries) != 0 {
		t.Fatalf("a refused create left %d entries in the collections folder", len(entries))
	}
}
