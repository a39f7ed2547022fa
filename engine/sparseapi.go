package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// SparseVectors holds a point's sparse vectors by name. In Qdrant's JSON
// they sit beside the dense ones in the point's "vector" object, each as
// {"indices": [...], "values": [...]}.
type SparseVectors map[string]point.SparseVector

// appendAllVectors writes a point's "vector" value: Vectors.AppendJSON
// when it has no sparse vectors, otherwise one object of every dense and
// sparse vector, sorted by name (names are unique across both kinds).
func appendAllVectors(b []byte, dense Vectors, sparse SparseVectors) []byte {
	if len(sparse) == 0 {
		return dense.AppendJSON(b)
	}
	names := make([]string, 0, len(dense)+len(sparse))
	for n := range dense {
		names = append(names, n)
	}
	for n := range sparse {
		names = append(names, n)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = payload.AppendJSONString(b, name)
		b = append(b, ':')
		if v, ok := sparse[name]; ok {
			b = v.AppendJSON(b)
		} else {
			b = point.AppendJSONFloats(b, dense[name])
		}
	}
	return append(b, '}')
}

// sparseJSON is the JSON form of a sparse vector in a request.
type sparseJSON struct {
	Indices *[]uint32  `json:"indices"`
	Values  *[]float32 `json:"values"`
}

// UnmarshalSparse decodes Qdrant's SparseVector JSON ({"indices": [u32],
// "values": [float]}, both required). Validation (lengths, duplicates) is
// the engine's, on write and search.
func UnmarshalSparse(b []byte) (point.SparseVector, error) {
	var in sparseJSON
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&in); err != nil {
		return point.SparseVector{}, err
	}
	if in.Indices == nil {
		return point.SparseVector{}, fmt.Errorf("missing field `indices`")
	}
	if in.Values == nil {
		return point.SparseVector{}, fmt.Errorf("missing field `values`")
	}
	return point.SparseVector{Indices: *in.Indices, Values: *in.Values}, nil
}

// splitVectors reads Qdrant's VectorStruct: a bare array (the unnamed
// vector) or an object whose values are dense arrays or sparse objects.
func splitVectors(b []byte) (Vectors, SparseVectors, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		var v Vectors
		err := json.Unmarshal(b, &v)
		return v, nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, fmt.Errorf("vector: %w", err)
	}
	dense := Vectors{}
	var sparse SparseVectors
	for name, r := range raw {
		r = bytes.TrimSpace(r)
		if len(r) > 0 && r[0] == '{' {
			v, err := UnmarshalSparse(r)
			if err != nil {
				return nil, nil, fmt.Errorf("vector.%s: %w", name, err)
			}
			if sparse == nil {
				sparse = SparseVectors{}
			}
			sparse[name] = v
			continue
		}
		var v []float32
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, nil, fmt.Errorf("vector.%s: %w", name, err)
		}
		dense[name] = v
	}
	return dense, sparse, nil
}

// shapeSparse copies the selected sparse vectors, nil when none is
// requested or the point has none.
func shapeSparse(vecs map[string]point.SparseVector, w WithVector) SparseVectors {
	if !w.Enable || len(vecs) == 0 {
		return nil
	}
	var out SparseVectors
	for name, v := range vecs {
		if len(w.Names) > 0 && !slices.Contains(w.Names, name) {
			continue
		}
		if out == nil {
			out = SparseVectors{}
		}
		out[name] = point.SparseVector{Indices: slices.Clone(v.Indices), Values: slices.Clone(v.Values)}
	}
	return out
}

// prepareSparseVectors validates the sparse vectors of the i-th point of a
// request against the configuration and returns sorted copies.
func (c *Collection) prepareSparseVectors(i int, vs SparseVectors) (map[string]point.SparseVector, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	cfg := c.core.config()
	out := make(map[string]point.SparseVector, len(vs))
	for _, name := range sortedSparseNames(vs) {
		if _, ok := cfg.Params.SparseVectors[name]; !ok {
			if _, dense := cfg.Params.Vectors[name]; dense {
				return nil, errBadRequest("Conversion between sparse and regular vectors failed")
			}
			return nil, errBadRequest("Not existing vector name error: %s", name)
		}
		v, err := prepareSparse(i, vs[name])
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func sortedSparseNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// sparseOfPoint returns the sparse vector name of the stored point id of
// col, for a query by point id.
func sparseOfPoint(ctx context.Context, col *Collection, name string, id point.ID) (point.SparseVector, error) {
	recs, err := col.Get(ctx, []point.ID{id}, WithPayload{}, WithVector{Enable: true, Names: []string{name}})
	if err != nil {
		return point.SparseVector{}, err
	}
	if len(recs) == 0 {
		return point.SparseVector{}, errPointNotFound(&id)
	}
	v, ok := recs[0].Sparse[name]
	if !ok {
		return point.SparseVector{}, errBadRequest("point %s has no vector %q", id, name)
	}
	return v, nil
}
