package grpcapi

import (
	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// vectorFromProto returns the vector a Vector holds: dense (its `dense`
// form or the deprecated `data` field) or sparse (its `sparse` form or
// the deprecated `indices` beside `data` as values); exactly one of the
// results is set. Multi-vectors and inference inputs (document, image,
// object) are Unimplemented. The engine validates sparse vectors.
func vectorFromProto(v *qdrant.Vector) ([]float32, *point.SparseVector, error) {
	switch o := v.GetVector().(type) {
	case *qdrant.Vector_Dense:
		return nonNilFloats(o.Dense.GetData()), nil, nil
	case *qdrant.Vector_Sparse:
		return nil, sparseFromProto(o.Sparse), nil
	case *qdrant.Vector_MultiDense:
		return nil, nil, unimplemented("multi-vectors")
	case *qdrant.Vector_Document:
		return nil, nil, unimplemented("inference (document vectors)")
	case *qdrant.Vector_Image:
		return nil, nil, unimplemented("inference (image vectors)")
	case *qdrant.Vector_Object:
		return nil, nil, unimplemented("inference (object vectors)")
	case nil:
		if v.GetIndices() != nil {
			return nil, &point.SparseVector{Indices: nonNilU32(v.GetIndices().GetData()), Values: nonNilFloats(v.GetData())}, nil
		}
		if v.VectorsCount != nil {
			return nil, nil, unimplemented("multi-vectors")
		}
		return nonNilFloats(v.GetData()), nil, nil
	}
	return nil, nil, invalidArg("vector: unknown vector kind %T", v.GetVector())
}

// denseFromProto returns the dense vector a Vector holds; a sparse one is
// refused (where only a dense vector can be given).
func denseFromProto(v *qdrant.Vector) ([]float32, error) {
	d, sp, err := vectorFromProto(v)
	if err == nil && sp != nil {
		return nil, invalidArg("vector: expected a dense vector, got a sparse one")
	}
	return d, err
}

// sparseFromProto converts a SparseVector (indices and values kept as
// given, never nil).
func sparseFromProto(s *qdrant.SparseVector) *point.SparseVector {
	return &point.SparseVector{Indices: nonNilU32(s.GetIndices()), Values: nonNilFloats(s.GetValues())}
}

func nonNilU32(u []uint32) []uint32 {
	if u == nil {
		return []uint32{}
	}
	return u
}

func nonNilFloats(f []float32) []float32 {
	if f == nil {
		return []float32{}
	}
	return f
}

// vectorsFromProto converts a point's Vectors: one unnamed vector or a
// map of named ones, dense and sparse apart (sparse nil when none).
func vectorsFromProto(v *qdrant.Vectors, field string) (engine.Vectors, engine.SparseVectors, error) {
	var named map[string]*qdrant.Vector
	switch o := v.GetVectorsOptions().(type) {
	case *qdrant.Vectors_Vector:
		named = map[string]*qdrant.Vector{"": o.Vector}
	case *qdrant.Vectors_Vectors:
		named = o.Vectors.GetVectors()
	default:
		return nil, nil, invalidArg("%s: missing field", field)
	}
	dense := make(engine.Vectors, len(named))
	var sparse engine.SparseVectors
	for name, nv := range named {
		d, sp, err := vectorFromProto(nv)
		if err != nil {
			return nil, nil, err
		}
		if sp != nil {
			if sparse == nil {
				sparse = engine.SparseVectors{}
			}
			sparse[name] = *sp
			continue
		}
		dense[name] = d
	}
	return dense, sparse, nil
}

// vectorsToProto converts a point's vectors for an answer: nil when none
// were requested, the single unnamed dense vector as `vector`, a map
// otherwise (the same rule as REST's bare array or object).
func vectorsToProto(v engine.Vectors, sparse engine.SparseVectors) *qdrant.VectorsOutput {
	if v == nil && sparse == nil {
		return nil
	}
	if u, ok := v[""]; ok && len(v) == 1 && len(sparse) == 0 {
		return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vector{Vector: denseOutput(u)}}
	}
	named := make(map[string]*qdrant.VectorOutput, len(v)+len(sparse))
	for name, u := range v {
		named[name] = denseOutput(u)
	}
	for name, sp := range sparse {
		named[name] = &qdrant.VectorOutput{Vector: &qdrant.VectorOutput_Sparse{Sparse: &qdrant.SparseVector{Indices: sp.Indices, Values: sp.Values}}}
	}
	return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vectors{Vectors: &qdrant.NamedVectorsOutput{Vectors: named}}}
}

// denseOutput fills the `dense` form, which Qdrant 1.17 answers with
// (clients read it first, then the deprecated `data`).
func denseOutput(u []float32) *qdrant.VectorOutput {
	return &qdrant.VectorOutput{Vector: &qdrant.VectorOutput_Dense{Dense: &qdrant.DenseVector{Data: u}}}
}

// vectorInputFromProto converts a query's VectorInput: a point id or a
// dense or sparse vector; the other forms are Unimplemented.
func vectorInputFromProto(v *qdrant.VectorInput) (engine.VectorInput, error) {
	switch o := v.GetVariant().(type) {
	case *qdrant.VectorInput_Id:
		id, err := idFromProto(o.Id)
		if err != nil {
			return engine.VectorInput{}, err
		}
		return engine.VectorInput{ID: &id}, nil
	case *qdrant.VectorInput_Dense:
		return engine.VectorInput{Vector: nonNilFloats(o.Dense.GetData())}, nil
	case *qdrant.VectorInput_Sparse:
		return engine.VectorInput{Sparse: sparseFromProto(o.Sparse)}, nil
	case *qdrant.VectorInput_MultiDense:
		return engine.VectorInput{}, unimplemented("multi-vectors")
	case *qdrant.VectorInput_Document:
		return engine.VectorInput{}, unimplemented("inference (document vectors)")
	case *qdrant.VectorInput_Image:
		return engine.VectorInput{}, unimplemented("inference (image vectors)")
	case *qdrant.VectorInput_Object:
		return engine.VectorInput{}, unimplemented("inference (object vectors)")
	}
	return engine.VectorInput{}, invalidArg("query: vector input is empty: expected a vector or a point id")
}

// vectorInputsFromProto converts a list of VectorInputs.
func vectorInputsFromProto(vs []*qdrant.VectorInput) ([]engine.VectorInput, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	out := make([]engine.VectorInput, len(vs))
	for i, v := range vs {
		in, err := vectorInputFromProto(v)
		if err != nil {
			return nil, err
		}
		out[i] = in
	}
	return out, nil
}

// examplesFromProto converts the examples of a RecommendPoints request:
// ids, then vectors (its two lists per side).
func examplesFromProto(ids []*qdrant.PointId, vecs []*qdrant.Vector) ([]engine.VectorInput, error) {
	if len(ids)+len(vecs) == 0 {
		return nil, nil
	}
	out := make([]engine.VectorInput, 0, len(ids)+len(vecs))
	for _, p := range ids {
		id, err := idFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.VectorInput{ID: &id})
	}
	for _, v := range vecs {
		d, sp, err := vectorFromProto(v)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.VectorInput{Vector: d, Sparse: sp})
	}
	return out, nil
}
