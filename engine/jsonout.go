package engine

import (
	"encoding/json"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// jsonFloat32 is a float32 written as Qdrant writes one: 1.0 for a whole
// number, null for NaN and ±Inf (a Dot or Euclid score of vectors with
// components near the float32 limit overflows; Qdrant answers null there,
// and an answer must never fail to encode).
type jsonFloat32 float32

// MarshalJSON writes f with point.AppendJSONFloat.
func (f jsonFloat32) MarshalJSON() ([]byte, error) {
	return point.AppendJSONFloat(make([]byte, 0, 16), float64(f), 32), nil
}

// MarshalJSON writes the point as Qdrant's ScoredPoint, the score always
// in a float's spelling (jsonFloat32).
func (p ScoredPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID      point.ID        `json:"id"`
		Version uint64          `json:"version"`
		Score   jsonFloat32     `json:"score"`
		Payload payload.Payload `json:"payload"`
		Vector  Vectors         `json:"vector"`
	}{p.ID, p.Version, jsonFloat32(p.Score), p.Payload, p.Vector})
}

// collectionConfigOut is CollectionConfig as Qdrant's collection info
// writes it: quantization_config is always present (null: Cairn has no
// quantization; CheckCreateCollection refuses one).
type collectionConfigOut struct {
	CollectionConfig
	OptimizerConfig    optimizersOut `json:"optimizer_config"`
	QuantizationConfig *struct{}     `json:"quantization_config"`
}

// optimizersOut writes deleted_threshold, Qdrant's one float setting, in a
// float's spelling.
type optimizersOut struct {
	OptimizersConfig
	DeletedThreshold jsonFloat64 `json:"deleted_threshold"`
}

// jsonFloat64 is a float64 written as Qdrant writes one (jsonFloat32).
type jsonFloat64 float64

// MarshalJSON writes f with point.AppendJSONFloat.
func (f jsonFloat64) MarshalJSON() ([]byte, error) {
	return point.AppendJSONFloat(make([]byte, 0, 24), float64(f), 64), nil
}

// MarshalJSON writes the info with every field Qdrant's always carries.
func (i CollectionInfo) MarshalJSON() ([]byte, error) {
	type plain CollectionInfo
	return json.Marshal(struct {
		plain
		Config collectionConfigOut `json:"config"`
	}{plain(i), collectionConfigOut{
		CollectionConfig: i.Config,
		OptimizerConfig:  optimizersOut{i.Config.OptimizerConfig, jsonFloat64(i.Config.OptimizerConfig.DeletedThreshold)},
	}})
}
