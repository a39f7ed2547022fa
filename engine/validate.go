package engine

import (
	"math"

	"github.com/cairn-db/cairn/point"
)

// Validate checks every field against Qdrant's allowed ranges. The error
// wraps ErrInvalid and names the field.
func (c *CollectionConfig) Validate() error {
	if len(c.Params.Vectors) == 0 {
		return errInvalid("vectors", "at least one vector must be configured")
	}
	for _, name := range c.Params.Vectors.Names() {
		if err := validateVector(name, c.Params.Vectors[name]); err != nil {
			return err
		}
	}
	if c.Params.ShardNumber < 1 || c.Params.ShardNumber > 1024 {
		return errInvalid("shard_number", "value %d invalid, must be from 1 to 1024", c.Params.ShardNumber)
	}
	if c.Params.ReplicationFactor < 1 {
		return errInvalid("replication_factor", "value %d invalid, must be 1 or more", c.Params.ReplicationFactor)
	}
	if c.Params.WriteConsistencyFactor < 1 {
		return errInvalid("write_consistency_factor", "value %d invalid, must be 1 or more", c.Params.WriteConsistencyFactor)
	}
	if err := validateHnsw("hnsw_config", c.HnswConfig); err != nil {
		return err
	}
	if err := validateOptimizers(c.OptimizerConfig); err != nil {
		return err
	}
	if c.WalConfig.WalCapacityMB < 1 {
		return errInvalid("wal_config.wal_capacity_mb", "value %d invalid, must be 1 or more", c.WalConfig.WalCapacityMB)
	}
	if c.WalConfig.WalSegmentsAhead < 0 {
		return errInvalid("wal_config.wal_segments_ahead", "value %d invalid, must be 0 or more", c.WalConfig.WalSegmentsAhead)
	}
	return nil
}

func validateVector(name string, p VectorParams) error {
	field := "vectors"
	if name != "" {
		field = "vectors." + name
	}
	if p.Size < 1 || p.Size > MaxVectorSize {
		return errInvalid(field+".size", "value %d invalid, must be from 1 to %d", p.Size, MaxVectorSize)
	}
	if _, err := point.ParseDistance(p.Distance.String()); err != nil {
		return errInvalid(field+".distance", "%v", err)
	}
	if p.HnswConfig != nil {
		h := HnswConfig{M: 1, EfConstruct: 4}
		h.apply(p.HnswConfig)
		if err := validateHnsw(field+".hnsw_config", h); err != nil {
			return err
		}
	}
	return nil
}

func validateHnsw(field string, h HnswConfig) error {
	switch {
	case h.M < 0:
		return errInvalid(field+".m", "value %d invalid, must be 0 or more", h.M)
	case h.EfConstruct < 4:
		return errInvalid(field+".ef_construct", "value %d invalid, must be 4 or more", h.EfConstruct)
	case h.FullScanThreshold < 0:
		return errInvalid(field+".full_scan_threshold", "value %d invalid, must be 0 or more", h.FullScanThreshold)
	case h.MaxIndexingThreads < 0:
		return errInvalid(field+".max_indexing_threads", "value %d invalid, must be 0 or more", h.MaxIndexingThreads)
	case h.PayloadM != nil && *h.PayloadM < 0:
		return errInvalid(field+".payload_m", "value %d invalid, must be 0 or more", *h.PayloadM)
	}
	return nil
}

func validateOptimizers(o OptimizersConfig) error {
	const f = "optimizers_config."
	switch {
	case math.IsNaN(o.DeletedThreshold) || o.DeletedThreshold < 0 || o.DeletedThreshold > 1:
		return errInvalid(f+"deleted_threshold", "value %v invalid, must be from 0 to 1", o.DeletedThreshold)
	case o.VacuumMinVectorNumber < 100:
		return errInvalid(f+"vacuum_min_vector_number", "value %d invalid, must be 100 or more", o.VacuumMinVectorNumber)
	case o.DefaultSegmentNumber < 0:
		return errInvalid(f+"default_segment_number", "value %d invalid, must be 0 or more", o.DefaultSegmentNumber)
	case o.MaxSegmentSize != nil && *o.MaxSegmentSize < 1:
		return errInvalid(f+"max_segment_size", "value %d invalid, must be 1 or more", *o.MaxSegmentSize)
	case o.IndexingThreshold != nil && *o.IndexingThreshold < 0:
		return errInvalid(f+"indexing_threshold", "value %d invalid, must be 0 or more", *o.IndexingThreshold)
	case o.FlushIntervalSec < 0:
		return errInvalid(f+"flush_interval_sec", "value %d invalid, must be 0 or more", o.FlushIntervalSec)
	case o.MemmapThreshold != nil && *o.MemmapThreshold < 0:
		return errInvalid(f+"memmap_threshold", "value %d invalid, must be 0 or more", *o.MemmapThreshold)
	case o.MaxOptimizationThreads != nil && *o.MaxOptimizationThreads < 0:
		return errInvalid(f+"max_optimization_threads", "value %d invalid, must be 0 or more", *o.MaxOptimizationThreads)
	}
	return nil
}
