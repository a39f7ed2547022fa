package server

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// exampleIn is a recommend example or a query vector: Qdrant's VectorInput
// in its dense forms, a vector or the id of a stored point.
type exampleIn struct {
	ID     *point.ID
	Vector []float32
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
		return &fieldError{Field: "vector", Msg: "sparse vectors, documents and images are not supported"}
	}
	return &fieldError{Field: "vector", Msg: "expected a vector or a point id"}
}

func exampleIDs(ex []exampleIn) []point.ID {
	var ids []point.ID
	for _, e := range ex {
		if e.ID != nil {
			ids = append(ids, *e.ID)
		}
	}
	return ids
}

// recommendSpec is Qdrant's RecommendInput.
type recommendSpec struct {
	Positive []exampleIn `json:"positive"`
	Negative []exampleIn `json:"negative"`
	Strategy string      `json:"strategy"`
}

// recommendRequest turns examples into one search: Qdrant's average_vector
// strategy, query = avg(positive) + (avg(positive) − avg(negative)), with
// the example points themselves excluded from the results.
func (s *Server) recommendRequest(ctx context.Context, col *engine.Collection, r recommendSpec, using string, lookup *lookupIn, base engine.SearchRequest) (engine.SearchRequest, error) {
	switch r.Strategy {
	case "", "average_vector":
	case "best_score", "sum_scores":
		return base, badRequest("recommend strategy %q is not supported by Cairn; use average_vector", r.Strategy)
	default:
		return base, badJSON(&fieldError{Field: "strategy", Msg: fmt.Sprintf("unknown variant `%s`, expected one of `average_vector`, `best_score`, `sum_scores`", r.Strategy)})
	}
	if len(r.Positive) == 0 {
		return base, badRequest("No positive examples given")
	}
	src, vecName := col, using
	if lookup != nil && lookup.Collection != "" {
		st, err := s.storage()
		if err != nil {
			return base, err
		}
		if src, err = st.Collection(lookup.Collection); err != nil {
			return base, err
		}
		vecName = lookup.Vector
	}
	pos, err := resolveExamples(ctx, src, vecName, r.Positive)
	if err != nil {
		return base, err
	}
	neg, err := resolveExamples(ctx, src, vecName, r.Negative)
	if err != nil {
		return base, err
	}
	q, err := averageVector(pos, neg)
	if err != nil {
		return base, err
	}
	base.Vector = engine.NamedVector{Name: using, Vector: q}
	if src == col {
		base.Filter = excludeIDs(base.Filter, append(append([]exampleIn(nil), r.Positive...), r.Negative...))
	}
	return base, nil
}

// resolveExamples returns each example's vector, fetching ids from col.
func resolveExamples(ctx context.Context, col *engine.Collection, name string, ex []exampleIn) ([][]float32, error) {
	ids := exampleIDs(ex)
	byID := map[point.ID][]float32{}
	if len(ids) > 0 {
		recs, err := col.Get(ctx, ids, engine.WithPayload{}, engine.WithVector{Enable: true, Names: []string{name}})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			byID[r.ID] = r.Vector[name]
		}
	}
	out := make([][]float32, len(ex))
	for i, e := range ex {
		if e.ID == nil {
			out[i] = e.Vector
			continue
		}
		v, found := byID[*e.ID]
		if !found {
			return nil, wrapMsg(engine.ErrPointNotFound, "Not found: No point with id "+e.ID.String()+" found")
		}
		if v == nil {
			return nil, wrapMsg(engine.ErrBadRequest, fmt.Sprintf("Wrong input: point %s has no vector %q", e.ID, name))
		}
		out[i] = v
	}
	return out, nil
}

func averageVector(pos, neg [][]float32) ([]float32, error) {
	dim := len(pos[0])
	for _, v := range append(append([][]float32(nil), pos...), neg...) {
		if len(v) != dim {
			return nil, wrapMsg(engine.ErrBadRequest, fmt.Sprintf("Wrong input: Vector dimension error: expected dim: %d, got %d", dim, len(v)))
		}
	}
	avg := func(vs [][]float32) []float32 {
		out := make([]float32, dim)
		for _, v := range vs {
			for i, x := range v {
				out[i] += x
			}
		}
		for i := range out {
			out[i] /= float32(len(vs))
		}
		return out
	}
	p := avg(pos)
	if len(neg) == 0 {
		return p, nil
	}
	n := avg(neg)
	for i := range p {
		p[i] += p[i] - n[i]
	}
	return p, nil
}

// idFilter returns f narrowed to the listed ids.
func idFilter(f *payload.Filter, ids []point.ID) *payload.Filter {
	out := &payload.Filter{Must: []payload.Condition{{HasID: &payload.HasID{IDs: ids}}}}
	if f != nil {
		out.Must = append(out.Must, payload.Condition{Filter: f})
	}
	return out
}
