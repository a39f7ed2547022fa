package engine

import (
	"math"
	"unicode/utf8"

	"github.com/cairn-db/cairn/point"
)

// Upper bounds of the collection settings a request or a snapshot archive can
// set (docs/limits.md, "Collection settings"). Qdrant's own bounds are kept
// where it has them (vector size, the minimum ef_construct, wal_capacity_mb
// and vacuum_min_vector_number); the other maxima are generous bounds that
// keep every size the engine derives from a setting (preallocated WAL bytes,
// goroutines, graph links, kB converted to points) far from exhausting the
// machine or overflowing an int.
const (
	// MaxShardNumber bounds shard_number.
	MaxShardNumber = 1024
	// MaxReplicationFactor bounds replication_factor and
	// write_consistency_factor (Cairn keeps one replica: larger factors
	// are stored and reported, as a single Qdrant node does).
	MaxReplicationFactor = 1024
	// MaxHnswM bounds m and payload_m: the graph format's limit.
	MaxHnswM = 2048
	// MaxEfConstruct bounds ef_construct, also the default search ef.
	MaxEfConstruct = 65536
	// MaxIndexingThreads bounds max_indexing_threads and the collection's
	// max_optimization_threads.
	MaxIndexingThreads = 1024
	// MaxSizeKB bounds the settings given in Qdrant's kilobytes
	// (full_scan_threshold, max_segment_size, memmap_threshold,
	// indexing_threshold): 2 TiB of vectors.
	MaxSizeKB = 1 << 31
	// MaxVacuumMinVectorNumber bounds vacuum_min_vector_number.
	MaxVacuumMinVectorNumber = 1 << 31
	// MaxDefaultSegmentNumber bounds default_segment_number.
	MaxDefaultSegmentNumber = 1024
	// MaxFlushIntervalSec bounds flush_interval_sec (a year).
	MaxFlushIntervalSec = 366 * 24 * 3600
	// MaxWalCapacityMB bounds wal_capacity_mb: each shard preallocates one
	// WAL segment of this size.
	MaxWalCapacityMB = 4096
	// MaxWalSegmentsAhead bounds wal_segments_ahead.
	MaxWalSegmentsAhead = 64
	// MinFullScanThresholdKB is Qdrant's minimum full_scan_threshold in
	// a request's hnsw_config (its HnswConfigDiff); the collection's
	// stored configuration may hold less, down to 0.
	MinFullScanThresholdKB = 10
)

// Validate checks every field against Qdrant's allowed ranges and the
// bounds above. The error wraps ErrInvalid and names the field. It is the
// one check of a configuration, whether from a request, an update or a
// snapshot archive.
func (c *CollectionConfig) Validate() error {
	if err := c.StrictModeConfig.validate(); err != nil {
		return err
	}
	if len(c.Params.Vectors) == 0 && len(c.Params.SparseVectors) == 0 {
		return errInvalid("vectors", "at least one vector must be configured")
	}
	if err := c.validateSparse(); err != nil {
		return err
	}
	for _, name := range c.Params.Vectors.Names() {
		if !utf8.ValidString(name) {
			return errInvalid("vectors", "vector name %q is not valid UTF-8", name)
		}
		if err := validateVector(name, c.Params.Vectors[name]); err != nil {
			return err
		}
	}
	p := c.Params
	if err := checkRanges(
		intRange{"shard_number", p.ShardNumber, 1, MaxShardNumber},
		intRange{"replication_factor", p.ReplicationFactor, 1, MaxReplicationFactor},
		intRange{"write_consistency_factor", p.WriteConsistencyFactor, 1, MaxReplicationFactor},
	); err != nil {
		return err
	}
	if err := validateHnsw("hnsw_config", c.HnswConfig); err != nil {
		return err
	}
	if err := validateOptimizers(c.OptimizerConfig); err != nil {
		return err
	}
	if err := c.validateQuantization(); err != nil {
		return err
	}
	return checkRanges(
		intRange{"wal_config.wal_capacity_mb", c.WalConfig.WalCapacityMB, 1, MaxWalCapacityMB},
		intRange{"wal_config.wal_segments_ahead", c.WalConfig.WalSegmentsAhead, 0, MaxWalSegmentsAhead},
	)
}

// intRange is one integer setting and its inclusive bounds.
type intRange struct {
	field    string
	v        int
	min, max int
}

// optRange is intRange for a setting that may be unset (nil).
func optRange(field string, v *int, lo, hi int) intRange {
	if v == nil {
		return intRange{field, lo, lo, hi}
	}
	return intRange{field, *v, lo, hi}
}

// checkRanges returns the error of the first value out of its range. A
// value below the minimum gets Qdrant's words for its (minimum-only)
// validation; one above gets both bounds.
func checkRanges(rs ...intRange) error {
	for _, r := range rs {
		switch {
		case r.v < r.min:
			return errInvalid(r.field, "value %d invalid, must be %d or more", r.v, r.min)
		case r.v > r.max:
			return errInvalid(r.field, "value %d invalid, must be from %d to %d", r.v, r.min, r.max)
		}
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
		if err := validateHnswDiff(field+".hnsw_config", p.HnswConfig); err != nil {
			return err
		}
		h := HnswConfig{M: 1, EfConstruct: 4}
		h.apply(p.HnswConfig)
		if err := validateHnsw(field+".hnsw_config", h); err != nil {
			return err
		}
	}
	return nil
}

func validateHnsw(field string, h HnswConfig) error {
	return checkRanges(
		intRange{field + ".m", h.M, 0, MaxHnswM},
		intRange{field + ".ef_construct", h.EfConstruct, 4, MaxEfConstruct},
		intRange{field + ".full_scan_threshold", h.FullScanThreshold, 0, MaxSizeKB},
		intRange{field + ".max_indexing_threads", h.MaxIndexingThreads, 0, MaxIndexingThreads},
		optRange(field+".payload_m", h.PayloadM, 0, MaxHnswM),
	)
}

// validateHnswDiff checks what Qdrant's validation of an HnswConfigDiff
// adds to the bounds of the configuration it changes: a full_scan_threshold
// of at least MinFullScanThresholdKB.
func validateHnswDiff(field string, d *HnswConfigDiff) error {
	if d == nil || d.FullScanThreshold == nil {
		return nil
	}
	return checkRanges(intRange{field + ".full_scan_threshold", *d.FullScanThreshold, MinFullScanThresholdKB, MaxSizeKB})
}

func validateOptimizers(o OptimizersConfig) error {
	const f = "optimizers_config."
	if math.IsNaN(o.DeletedThreshold) || o.DeletedThreshold < 0 || o.DeletedThreshold > 1 {
		return errInvalid(f+"deleted_threshold", "value %v invalid, must be from 0 to 1", o.DeletedThreshold)
	}
	return checkRanges(
		intRange{f + "vacuum_min_vector_number", o.VacuumMinVectorNumber, 100, MaxVacuumMinVectorNumber},
		intRange{f + "default_segment_number", o.DefaultSegmentNumber, 0, MaxDefaultSegmentNumber},
		optRange(f+"max_segment_size", o.MaxSegmentSize, 1, MaxSizeKB),
		optRange(f+"indexing_threshold", o.IndexingThreshold, 0, MaxSizeKB),
		intRange{f + "flush_interval_sec", o.FlushIntervalSec, 0, MaxFlushIntervalSec},
		optRange(f+"memmap_threshold", o.MemmapThreshold, 0, MaxSizeKB),
		optRange(f+"max_optimization_threads", o.MaxOptimizationThreads, 0, MaxIndexingThreads),
	)
}

// checkUnsigned refuses a negative value in a create's fields that are
// unsigned integers in Qdrant (u32), as its JSON parser does: 400 "Format
// error in JSON body: …", not a validation error.
func checkUnsigned(req *CreateCollection) error {
	for _, f := range []struct {
		name string
		v    *int
	}{{"shard_number", req.ShardNumber}, {"replication_factor", req.ReplicationFactor}, {"write_consistency_factor", req.WriteConsistencyFactor}} {
		if f.v != nil && *f.v < 0 {
			return errBadRequestText("Format error in JSON body: %s: invalid value: integer `%d`, expected u32", f.name, *f.v)
		}
	}
	return nil
}
