package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// Qdrant's defaults for a new collection.
const (
	DefaultHnswM                  = 16
	DefaultHnswEfConstruct        = 100
	DefaultFullScanThresholdKB    = 10000
	DefaultDeletedThreshold       = 0.2
	DefaultVacuumMinVectorNumber  = 1000
	DefaultIndexingThresholdKB    = 10000
	DefaultFlushIntervalSec       = 5
	DefaultWalCapacityMB          = 32
	DefaultWalSegmentsAhead       = 0
	MaxVectorSize                 = 65536
	maxCollectionNameLen          = 255
	vectorKB                      = 1024 // Qdrant's unit: 1 kB = one 256-d float32 vector
	defaultMaxSegmentSizeKBPerCPU = 200000
)

// VectorParams describes one vector of a point: its dimension and distance.
type VectorParams struct {
	// Size is the dimension, 1..65536.
	Size int `json:"size"`
	// Distance is how vectors are compared.
	Distance point.Distance `json:"distance"`
	// HnswConfig overrides the collection's HNSW parameters for this vector.
	HnswConfig *HnswConfigDiff `json:"hnsw_config,omitempty"`
	// OnDisk is accepted for compatibility; sealed vectors are always mmap'd.
	OnDisk *bool `json:"on_disk,omitempty"`
	// QuantizationConfig overrides the collection's quantization for this vector.
	QuantizationConfig *QuantizationConfig `json:"quantization_config,omitempty"`
}

// VectorsConfig maps vector names to their parameters. The empty name is
// Qdrant's single unnamed vector; its JSON form is a bare VectorParams object
// ({"size": 4, "distance": "Dot"}) and a map otherwise.
type VectorsConfig map[string]VectorParams

// Names returns the vector names in sorted order.
func (vc VectorsConfig) Names() []string {
	names := make([]string, 0, len(vc))
	for n := range vc {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MarshalJSON writes the single form for an unnamed vector, a map otherwise
// ({} for none, as Qdrant shows a collection of sparse vectors only).
func (vc VectorsConfig) MarshalJSON() ([]byte, error) {
	if p, ok := vc[""]; ok && len(vc) == 1 {
		return json.Marshal(p)
	}
	if vc == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]VectorParams(vc))
}

// UnmarshalJSON reads either form: an object with a numeric "size" is the
// single unnamed vector, any other object a map of named vectors.
func (vc *VectorsConfig) UnmarshalJSON(b []byte) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("vectors: %w", err)
	}
	if scalarField("distance", probe) && !scalarField("size", probe) {
		return errors.New("vectors.size: missing field")
	}
	if scalarField("size", probe) {
		var p VectorParams
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("vectors: %w", err)
		}
		*vc = VectorsConfig{"": p}
		return nil
	}
	m := map[string]VectorParams{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("vectors: %w", err)
	}
	*vc = m
	return nil
}

// scalarField reports whether probe[key] is present and not an object, so the
// config is the single unnamed vector's params rather than a map of names.
func scalarField(key string, probe map[string]json.RawMessage) bool {
	raw, ok := probe[key]
	raw = bytes.TrimSpace(raw)
	return ok && len(raw) > 0 && raw[0] != '{'
}

// HnswConfig is the HNSW index configuration of a collection.
type HnswConfig struct {
	M                  int   `json:"m"`
	EfConstruct        int   `json:"ef_construct"`
	FullScanThreshold  int   `json:"full_scan_threshold"`
	MaxIndexingThreads int   `json:"max_indexing_threads"`
	OnDisk             *bool `json:"on_disk,omitempty"`
	PayloadM           *int  `json:"payload_m,omitempty"`
}

// HnswConfigDiff changes the fields of an HnswConfig that are set.
type HnswConfigDiff struct {
	M                  *int  `json:"m,omitempty"`
	EfConstruct        *int  `json:"ef_construct,omitempty"`
	FullScanThreshold  *int  `json:"full_scan_threshold,omitempty"`
	MaxIndexingThreads *int  `json:"max_indexing_threads,omitempty"`
	OnDisk             *bool `json:"on_disk,omitempty"`
	PayloadM           *int  `json:"payload_m,omitempty"`
}

// OptimizersConfig tunes sealing and the background optimizer. Sizes are in
// Qdrant's kilobytes (1 kB = one vector of dimension 256 in float32).
type OptimizersConfig struct {
	DeletedThreshold      float64 `json:"deleted_threshold"`
	VacuumMinVectorNumber int     `json:"vacuum_min_vector_number"`
	// DefaultSegmentNumber is the segment count the optimizer merges down
	// to; 0 means the number of CPUs.
	DefaultSegmentNumber int  `json:"default_segment_number"`
	MaxSegmentSize       *int `json:"max_segment_size"`
	MemmapThreshold      *int `json:"memmap_threshold"`
	// IndexingThreshold (kB of vectors) is also Cairn's seal threshold: the
	// mutable head is sealed into a segment when its vectors reach it. See
	// docs/format/collection.md.
	IndexingThreshold      *int `json:"indexing_threshold"`
	FlushIntervalSec       int  `json:"flush_interval_sec"`
	MaxOptimizationThreads *int `json:"max_optimization_threads"`
}

// OptimizersConfigDiff changes the fields of an OptimizersConfig that are set.
type OptimizersConfigDiff struct {
	DeletedThreshold       *float64             `json:"deleted_threshold,omitempty"`
	VacuumMinVectorNumber  *int                 `json:"vacuum_min_vector_number,omitempty"`
	DefaultSegmentNumber   *int                 `json:"default_segment_number,omitempty"`
	MaxSegmentSize         *int                 `json:"max_segment_size,omitempty"`
	MemmapThreshold        *int                 `json:"memmap_threshold,omitempty"`
	IndexingThreshold      *int                 `json:"indexing_threshold,omitempty"`
	FlushIntervalSec       *int                 `json:"flush_interval_sec,omitempty"`
	MaxOptimizationThreads *OptimizationThreads `json:"max_optimization_threads,omitempty"`
}

// WalConfig configures a shard's write-ahead log.
type WalConfig struct {
	WalCapacityMB    int `json:"wal_capacity_mb"`
	WalSegmentsAhead int `json:"wal_segments_ahead"`
}

// WalConfigDiff changes the fields of a WalConfig that are set.
type WalConfigDiff struct {
	WalCapacityMB    *int `json:"wal_capacity_mb,omitempty"`
	WalSegmentsAhead *int `json:"wal_segments_ahead,omitempty"`
}

// CollectionParams are the collection's fixed parameters.
type CollectionParams struct {
	Vectors VectorsConfig `json:"vectors"`
	// SparseVectors are the collection's sparse vectors by name (Qdrant's
	// sparse_vectors; absent when there are none).
	SparseVectors          SparseVectorsConfig `json:"sparse_vectors,omitempty"`
	ShardNumber            int                 `json:"shard_number"`
	ReplicationFactor      int                 `json:"replication_factor"`
	WriteConsistencyFactor int                 `json:"write_consistency_factor"`
	OnDiskPayload          bool                `json:"on_disk_payload"`
}

// CollectionConfig is a collection's complete configuration, as Qdrant's
// CollectionInfo.config reports it. It is persisted in the collection folder.
type CollectionConfig struct {
	Params          CollectionParams `json:"params"`
	HnswConfig      HnswConfig       `json:"hnsw_config"`
	OptimizerConfig OptimizersConfig `json:"optimizer_config"`
	WalConfig       WalConfig        `json:"wal_config"`
	// StrictModeConfig is the collection's strict mode (nil: never set).
	StrictModeConfig *StrictModeConfig `json:"strict_mode_config,omitempty"`
	// Metadata is arbitrary JSON the client attached to the collection.
	Metadata payload.Payload `json:"metadata,omitempty"`
	// QuantizationConfig is the collection's default quantization (nil: none).
	QuantizationConfig *QuantizationConfig `json:"quantization_config,omitempty"`
}

// CreateCollection is Qdrant's create-collection request body. Unset fields
// take Qdrant's defaults.
type CreateCollection struct {
	Vectors                VectorsConfig         `json:"vectors"`
	SparseVectors          SparseVectorsConfig   `json:"sparse_vectors,omitempty"`
	ShardNumber            *int                  `json:"shard_number,omitempty"`
	ReplicationFactor      *int                  `json:"replication_factor,omitempty"`
	WriteConsistencyFactor *int                  `json:"write_consistency_factor,omitempty"`
	OnDiskPayload          *bool                 `json:"on_disk_payload,omitempty"`
	HnswConfig             *HnswConfigDiff       `json:"hnsw_config,omitempty"`
	WalConfig              *WalConfigDiff        `json:"wal_config,omitempty"`
	OptimizersConfig       *OptimizersConfigDiff `json:"optimizers_config,omitempty"`
	StrictModeConfig       *StrictModeConfig     `json:"strict_mode_config,omitempty"`
	Metadata               payload.Payload       `json:"metadata,omitempty"`
	QuantizationConfig     *QuantizationConfig   `json:"quantization_config,omitempty"`
}

// VectorParamsDiff changes one vector's updatable parameters.
type VectorParamsDiff struct {
	HnswConfig *HnswConfigDiff `json:"hnsw_config,omitempty"`
	OnDisk     *bool           `json:"on_disk,omitempty"`
}

// CollectionParamsDiff changes the collection parameters that may change.
type CollectionParamsDiff struct {
	ReplicationFactor      *int  `json:"replication_factor,omitempty"`
	WriteConsistencyFactor *int  `json:"write_consistency_factor,omitempty"`
	OnDiskPayload          *bool `json:"on_disk_payload,omitempty"`
}

// CollectionUpdate is Qdrant's update-collection (PATCH) request body.
type CollectionUpdate struct {
	Vectors map[string]VectorParamsDiff `json:"vectors,omitempty"`
	// SparseVectors changes the index and modifier of sparse vectors.
	SparseVectors    SparseVectorsConfig   `json:"sparse_vectors,omitempty"`
	OptimizersConfig *OptimizersConfigDiff `json:"optimizers_config,omitempty"`
	Params           *CollectionParamsDiff `json:"params,omitempty"`
	HnswConfig       *HnswConfigDiff       `json:"hnsw_config,omitempty"`
	// StrictModeConfig sets the strict-mode fields it sets; a null field
	// leaves the stored value, as in Qdrant.
	StrictModeConfig *StrictModeConfig `json:"strict_mode_config,omitempty"`
	// Metadata is merged into the existing metadata; a key set to null is removed.
	Metadata payload.Payload `json:"metadata,omitempty"`
}

// DefaultConfig returns a configuration with Qdrant's defaults for vectors.
func DefaultConfig(vectors VectorsConfig) CollectionConfig {
	it := DefaultIndexingThresholdKB
	return CollectionConfig{
		Params: CollectionParams{Vectors: vectors, ShardNumber: 1, ReplicationFactor: 1,
			WriteConsistencyFactor: 1, OnDiskPayload: true},
		HnswConfig: HnswConfig{M: DefaultHnswM, EfConstruct: DefaultHnswEfConstruct,
			FullScanThreshold: DefaultFullScanThresholdKB},
		OptimizerConfig: OptimizersConfig{DeletedThreshold: DefaultDeletedThreshold,
			VacuumMinVectorNumber: DefaultVacuumMinVectorNumber, IndexingThreshold: &it,
			FlushIntervalSec: DefaultFlushIntervalSec},
		WalConfig: WalConfig{WalCapacityMB: DefaultWalCapacityMB, WalSegmentsAhead: DefaultWalSegmentsAhead},
	}
}

// Config returns the complete configuration a create request asks for:
// Qdrant's defaults overridden by the fields the request sets. It does not
// validate; CreateCollection does.
func (cc CreateCollection) Config() CollectionConfig {
	c := DefaultConfig(cc.Vectors)
	if len(cc.SparseVectors) > 0 {
		c.Params.SparseVectors = cc.SparseVectors.clone()
	}
	setInt(&c.Params.ShardNumber, cc.ShardNumber)
	setInt(&c.Params.ReplicationFactor, cc.ReplicationFactor)
	setInt(&c.Params.WriteConsistencyFactor, cc.WriteConsistencyFactor)
	if cc.OnDiskPayload != nil {
		c.Params.OnDiskPayload = *cc.OnDiskPayload
	}
	c.HnswConfig.apply(cc.HnswConfig)
	c.OptimizerConfig.apply(cc.OptimizersConfig)
	c.WalConfig.apply(cc.WalConfig)
	if cc.StrictModeConfig != nil {
		c.StrictModeConfig = &StrictModeConfig{}
		c.StrictModeConfig.merge(cc.StrictModeConfig)
	}
	c.Metadata = cc.Metadata
	c.QuantizationConfig = cc.QuantizationConfig
	return c
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func (h *HnswConfig) apply(d *HnswConfigDiff) {
	if d == nil {
		return
	}
	setInt(&h.M, d.M)
	setInt(&h.EfConstruct, d.EfConstruct)
	setInt(&h.FullScanThreshold, d.FullScanThreshold)
	setInt(&h.MaxIndexingThreads, d.MaxIndexingThreads)
	if d.OnDisk != nil {
		h.OnDisk = d.OnDisk
	}
	if d.PayloadM != nil {
		h.PayloadM = d.PayloadM
	}
}

func (o *OptimizersConfig) apply(d *OptimizersConfigDiff) {
	if d == nil {
		return
	}
	if d.DeletedThreshold != nil {
		o.DeletedThreshold = *d.DeletedThreshold
	}
	setInt(&o.VacuumMinVectorNumber, d.VacuumMinVectorNumber)
	setInt(&o.DefaultSegmentNumber, d.DefaultSegmentNumber)
	setInt(&o.FlushIntervalSec, d.FlushIntervalSec)
	for _, p := range []struct {
		dst **int
		v   *int
	}{
		{&o.MaxSegmentSize, d.MaxSegmentSize}, {&o.MemmapThreshold, d.MemmapThreshold},
		{&o.IndexingThreshold, d.IndexingThreshold},
	} {
		if p.v != nil {
			v := *p.v
			*p.dst = &v
		}
	}
	if d.MaxOptimizationThreads != nil {
		o.MaxOptimizationThreads = d.MaxOptimizationThreads.threadsPtr()
	}
}

func (w *WalConfig) apply(d *WalConfigDiff) {
	if d == nil {
		return
	}
	setInt(&w.WalCapacityMB, d.WalCapacityMB)
	setInt(&w.WalSegmentsAhead, d.WalSegmentsAhead)
}

// Apply returns c changed by the update, validated. Vector sizes, distances
// and the shard number cannot change.
func (c CollectionConfig) Apply(u CollectionUpdate) (CollectionConfig, error) {
	out := c.clone()
	for name, d := range u.Vectors {
		vp, ok := out.Params.Vectors[name]
		if !ok {
			return c, errBadRequest("Not existing vector name error: %s", vectorLabel(name))
		}
		if d.HnswConfig != nil {
			diff := *d.HnswConfig
			if vp.HnswConfig != nil {
				merged := *vp.HnswConfig
				mergeHnswDiff(&merged, &diff)
				diff = merged
			}
			vp.HnswConfig = &diff
		}
		if d.OnDisk != nil {
			vp.OnDisk = d.OnDisk
		}
		out.Params.Vectors[name] = vp
	}
	if err := out.applySparse(u.SparseVectors); err != nil {
		return c, err
	}
	if err := validateHnswDiff("hnsw_config", u.HnswConfig); err != nil {
		return c, err
	}
	out.OptimizerConfig.apply(u.OptimizersConfig)
	out.HnswConfig.apply(u.HnswConfig)
	if p := u.Params; p != nil {
		setInt(&out.Params.ReplicationFactor, p.ReplicationFactor)
		setInt(&out.Params.WriteConsistencyFactor, p.WriteConsistencyFactor)
		if p.OnDiskPayload != nil {
			out.Params.OnDiskPayload = *p.OnDiskPayload
		}
	}
	if u.StrictModeConfig != nil {
		if out.StrictModeConfig == nil {
			out.StrictModeConfig = &StrictModeConfig{}
		}
		out.StrictModeConfig.merge(u.StrictModeConfig)
	}
	if u.Metadata != nil {
		if out.Metadata == nil {
			out.Metadata = payload.Payload{}
		}
		for k, v := range u.Metadata {
			if v == nil {
				delete(out.Metadata, k)
			} else {
				out.Metadata[k] = v
			}
		}
	}
	if err := out.Validate(); err != nil {
		return c, err
	}
	return out, nil
}

func mergeHnswDiff(dst, src *HnswConfigDiff) {
	for _, p := range []struct{ dst, src **int }{{&dst.M, &src.M}, {&dst.EfConstruct, &src.EfConstruct},
		{&dst.FullScanThreshold, &src.FullScanThreshold}, {&dst.MaxIndexingThreads, &src.MaxIndexingThreads},
		{&dst.PayloadM, &src.PayloadM}} {
		if *p.src != nil {
			*p.dst = *p.src
		}
	}
	if src.OnDisk != nil {
		dst.OnDisk = src.OnDisk
	}
}

// clone returns a deep copy of the parts of c that Apply changes.
func (c CollectionConfig) clone() CollectionConfig {
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal config: %v", err))
	}
	var out CollectionConfig
	if err := unmarshalConfig(b, &out); err != nil {
		panic(fmt.Sprintf("engine: unmarshal config: %v", err))
	}
	return out
}

func unmarshalConfig(b []byte, c *CollectionConfig) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(c)
}

// vectorBytes is the size in bytes of one point's vectors (every name).
// hnswFor returns the HNSW parameters of the named vector: the collection's,
// with the vector's own hnsw_config applied over them.
func (c *CollectionConfig) hnswFor(name string) HnswConfig {
	hc := c.HnswConfig
	if vp := c.Params.Vectors[name]; vp.HnswConfig != nil {
		hc.apply(vp.HnswConfig)
	}
	return hc
}

// fullScanPoints converts a full_scan_threshold in kilobytes of vectors to
// a number of dim-sized vectors.
func fullScanPoints(hc HnswConfig, dim int) int {
	return hc.FullScanThreshold * vectorKB / (4 * dim)
}

func (c *CollectionConfig) vectorBytes() int {
	n := 0
	for _, p := range c.Params.Vectors {
		n += p.Size * 4
	}
	return n
}

// sealThresholdPoints converts indexing_threshold (kB of vectors) into the
// number of points at which the mutable head is sealed. Zero (indexing
// disabled in Qdrant) and unset both fall back to the default threshold.
func (c *CollectionConfig) sealThresholdPoints() int {
	kb := DefaultIndexingThresholdKB
	if t := c.OptimizerConfig.IndexingThreshold; t != nil && *t > 0 {
		kb = *t
	}
	n := kb * vectorKB / max(1, c.vectorBytes())
	return max(n, 1)
}

// indexThresholdPoints is the segment size, in points, from which the
// optimizer builds HNSW graphs; 0 disables graph building.
func (c *CollectionConfig) indexThresholdPoints() int {
	t := c.OptimizerConfig.IndexingThreshold
	if t != nil && *t == 0 {
		return 0
	}
	return c.sealThresholdPoints()
}

// targetSegments is default_segment_number, 0 meaning the number of CPUs.
func (c *CollectionConfig) targetSegments() int {
	if n := c.OptimizerConfig.DefaultSegmentNumber; n > 0 {
		return n
	}
	return max(2, runtime.NumCPU())
}

// maxSegmentPoints converts max_segment_size (kB) into points; unset means
// 200,000 kB per CPU as Qdrant chooses it.
func (c *CollectionConfig) maxSegmentPoints() int {
	kb := defaultMaxSegmentSizeKBPerCPU * runtime.NumCPU()
	if t := c.OptimizerConfig.MaxSegmentSize; t != nil {
		kb = *t
	}
	return max(1, kb*vectorKB/max(1, c.vectorBytes()))
}

func vectorLabel(name string) string {
	if name == "" {
		return "default vector"
	}
	return name
}
