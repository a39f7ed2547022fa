package engine

import (
	"encoding/json"
	"fmt"
	"strconv"

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

// MarshalJSON writes the point as Qdrant's ScoredPoint (AppendJSON).
func (p ScoredPoint) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, p.jsonSize()))
}

// AppendJSON appends the point to b as Qdrant's ScoredPoint:
// {"id","version","score","payload","vector"}, the score always in a
// float's spelling (point.AppendJSONFloat: 1.0, null for NaN and ±Inf), the
// payload as encoding/json writes it (payload.AppendJSON), the vectors as
// Vectors.AppendJSON. It writes by hand what encoding/json would write for
// the struct, without reflection; "order_value" follows when set.
func (p ScoredPoint) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = p.ID.AppendJSON(b)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, p.Version, 10)
	b = append(b, `,"score":`...)
	b = point.AppendJSONFloat(b, float64(p.Score), 32)
	b = append(b, `,"payload":`...)
	b, err := appendPayload(b, p.Payload)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"vector":`...)
	b = appendAllVectors(b, p.Vector, p.Sparse)
	if p.OrderValue != nil {
		b = append(b, `,"order_value":`...)
		b = p.OrderValue.AppendJSON(b)
	}
	return append(b, '}'), nil
}

// MarshalJSON writes the record as AppendJSON does (so that its sparse
// vectors are written inside "vector").
func (r Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// AppendJSON appends the record to b exactly as encoding/json writes the
// struct: {"id","payload","vector"} and "order_value" when set (a float64
// in encoding/json's spelling, as the codec writes it; Qdrant's order
// value is an integer or a float), without reflection.
func (r Record) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = r.ID.AppendJSON(b)
	b = append(b, `,"payload":`...)
	b, err := appendPayload(b, r.Payload)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"vector":`...)
	b = appendAllVectors(b, r.Vector, r.Sparse)
	if r.OrderValue != nil {
		b = append(b, `,"order_value":`...)
		b = r.OrderValue.AppendJSON(b)
	}
	return append(b, '}'), nil
}

// jsonSize estimates the length of the point's JSON form, so that
// MarshalJSON allocates once.
func (p ScoredPoint) jsonSize() int {
	n := 96 + 32*len(p.Payload)
	for name, v := range p.Vector {
		n += len(name) + 4 + 12*len(v)
	}
	return n
}

// appendPayload writes a payload, null when there is none.
func appendPayload(b []byte, pl payload.Payload) ([]byte, error) {
	b, err := payload.AppendJSON(b, pl)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	return b, nil
}

// collectionConfigOut is CollectionConfig as Qdrant's collection info
// writes it: quantization_config is always present (null when unset).
type collectionConfigOut struct {
	CollectionConfig
	OptimizerConfig    optimizersOut       `json:"optimizer_config"`
	QuantizationConfig *QuantizationConfig `json:"quantization_config"`
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
		CollectionConfig:   i.Config,
		OptimizerConfig:    optimizersOut{i.Config.OptimizerConfig, jsonFloat64(i.Config.OptimizerConfig.DeletedThreshold)},
		QuantizationConfig: i.Config.QuantizationConfig,
	}})
}
