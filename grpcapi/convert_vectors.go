package grpcapi

import (
	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
)

// denseFromProto returns the dense vector a Vector holds: its `dense`
// form or the deprecated `data` field. Sparse vectors, multi-vectors and
// inference inputs (document, image, object) are Unimplemented.
func denseFromProto(v *qdrant.Vector) ([]float32, error) {
	switch o := v.GetVector().(type) {
	case *qdrant.Vector_Dense:
		return nonNilFloats(o.Dense.GetData()), nil
	case *qdrant.Vector_Sparse:
		return nil, unimplemented("sparse vectors")
	case *qdrant.Vector_MultiDense:
		return nil, unimplemented("multi-vectors")
	case *qdrant.Vector_Document:
		return nil, unimplemented("inference (document vectors)")
	case *qdrant.Vector_Image:
		return nil, unimplemented("inference (image vectors)")
	case *qdrant.Vector_Object:
		return nil, unimplemented("inference (object vectors)")
	case nil:
		if v.GetIndices() != nil {
			return nil, unimplemented("sparse vectors")
		}
		if v.VectorsCount != nil {
			return nil, unimplemented("multi-vectors")
		}
		return nonNilFloats(v.GetData()), nil
	}
	return nil, invalidArg("vector: unknown vector kind %T", v.GetVector())
}

func nonNilFloats(f []float32) []float32 {
	if f == nil {
		return []float32{}
	}
	return f
}

// vectorsFromProto converts a point's Vectors: one unnamed vector or a
// map of named ones.
func vectorsFromProto(v *qdrant.Vectors, field string) (engine.Vectors, error) {
	switch o := v.GetVectorsOptions().(type) {
	case *qdrant.Vectors_Vector:
		d, err := denseFromProto(o.Vector)
		if err != nil {
			return nil, err
		}
		return engine.Vectors{"": d}, nil
	case *qdrant.Vectors_Vectors:
		named := o.Vectors.GetVectors()
		out := make(engine.Vectors, len(named))
		for name, nv := range named {
			d, err := denseFromProto(nv)
			if err != nil {
				return nil, err
			}
			out[name] = d
		}
		return out, nil
	}
	return nil, invalidArg("%s: missing field", field)
}

// vectorsToProto converts a point's vectors for an answer: nil when none
// were requested, the single unnamed vector as `vector`, named ones as
// a map (the same rule as REST's bare array or object).
func vectorsToProto(v engine.Vectors) *qdrant.VectorsOutput {
	if v == nil {
		return nil
	}
	if u, ok := v[""]; ok && len(v) == 1 {
		return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vector{Vector: denseOutput(u)}}
	}
	named := make(map[string]*qdrant.VectorOutput, len(v))
	for name, u := range v {
		named[name] = denseOutput(u)
	}
	return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vectors{Vectors: &qdrant.NamedVectorsOutput{Vectors: named}}}
}

// denseOutput fills the `dense` form, which Qdrant 1.17 answers with
// (clients read it first, then the deprecated `data`).
func denseOutput(u []float32) *qdrant.VectorOutput {
	return &qdrant.VectorOutput{Vector: &qdrant.VectorOutput_Dense{Dense: &qdrant.DenseVector{Data: u}}}
}

// vectorInputFromProto converts a query's VectorInput: a point id or a
// dense vector; the other forms are Unimplemented.
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
		return engine.VectorInput{}, unimplemented("sparse vectors")
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
		d, err := denseFromProto(v)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.VectorInput{Vector: d})
	}
	return out, nil
}
