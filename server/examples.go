package server

import (
	"bytes"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// exampleIn is a recommend example or a query vector: Qdrant's VectorInput
// in its dense forms, a vector or the id of a stored point.
type exampleIn struct {
	ID     *point.ID
	Vector []float32
	Sparse *point.SparseVector
}

// UnmarshalJSON reads an array of numbers, an integer id or a UUID string.
func (e *exampleIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*e = exampleIn{}
	switch {
	case len(b) == 0:
		return &fieldError{Field: "vector", Msg: "empty value"}
	case b[0] == '[':
		if bytes.HasPrefix(bytes.TrimSpace(b[1:]), []byte("[")) {
			return &fieldError{Field: "vector", Msg: "multi-vectors are not supported"}
		}
		v, err := parseFloats(b, "vector")
		e.Vector = v
		return err
	case b[0] == '"' || (b[0] >= '0' && b[0] <= '9'):
		var id point.ID
		if err := id.UnmarshalJSON(b); err != nil {
			return &fieldError{Field: "id", Msg: err.Error()}
		}
		e.ID = &id
		return nil
	case b[0] == '{':
		var probe map[string]rawJSON
		if err := (codec{}).unmarshal(b, &probe); err == nil && probe["indices"] != nil {
			sv, err := parseSparse(b, "vector")
			e.Sparse = &sv
			return err
		}
		return &fieldError{Field: "vector", Msg: "documents and images are not supported"}
	}
	return &fieldError{Field: "vector", Msg: "expected a vector or a point id"}
}

// input returns the engine's form of the example.
func (e exampleIn) input() engine.VectorInput {
	return engine.VectorInput{ID: e.ID, Vector: e.Vector, Sparse: e.Sparse}
}

// inputs returns the engine's form of a list of examples.
func inputs(ex []exampleIn) []engine.VectorInput {
	if ex == nil {
		return nil
	}
	out := make([]engine.VectorInput, len(ex))
	for i, e := range ex {
		out[i] = e.input()
	}
	return out
}

// recommendSpec is Qdrant's RecommendInput.
type recommendSpec struct {
	Positive []exampleIn `json:"positive"`
	Negative []exampleIn `json:"negative"`
	Strategy string      `json:"strategy"`
}

// input returns the engine's form of the recommend input.
func (r recommendSpec) input() engine.RecommendInput {
	return engine.RecommendInput{Positive: inputs(r.Positive), Negative: inputs(r.Negative), Strategy: r.Strategy}
}
