package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// Qdrant's defaults of a distance matrix request.
const (
	DefaultMatrixSample = 10
	DefaultMatrixLimit  = 3
)

// MatrixRequest is Qdrant's SearchMatrixRequest: how many points to
// sample (nil for DefaultMatrixSample, at least 2), how many neighbours of
// each to answer (nil for DefaultMatrixLimit, at least 1), which points may
// be sampled (Filter) and the vector compared (Using).
type MatrixRequest struct {
	Sample *int
	Limit  *int
	Filter *payload.Filter
	Using  string
}

// MatrixPair is Qdrant's SearchMatrixPair: b is one of a's nearest
// sampled points, at Qdrant's score.
type MatrixPair struct {
	A     point.ID
	B     point.ID
	Score float32
}

// MarshalJSON writes {"a", "b", "score"}.
func (p MatrixPair) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		A     point.ID    `json:"a"`
		B     point.ID    `json:"b"`
		Score jsonFloat32 `json:"score"`
	}{p.A, p.B, jsonFloat32(p.Score)})
}

// MatrixPairs is Qdrant's SearchMatrixPairsResponse.
type MatrixPairs struct {
	Pairs []MatrixPair `json:"pairs"`
}

// MatrixOffsets is Qdrant's SearchMatrixOffsetsResponse: the sampled ids
// in order, and for each pair the row (sample) and column (neighbour)
// offsets into them with its score.
type MatrixOffsets struct {
	OffsetsRow []uint64
	OffsetsCol []uint64
	Scores     []float32
	IDs        []point.ID
}

// MarshalJSON writes Qdrant's field names, every list present.
func (m MatrixOffsets) MarshalJSON() ([]byte, error) {
	scores := make([]jsonFloat32, len(m.Scores))
	for i, s := range m.Scores {
		scores[i] = jsonFloat32(s)
	}
	return json.Marshal(struct {
		OffsetsRow []uint64      `json:"offsets_row"`
		OffsetsCol []uint64      `json:"offsets_col"`
		Scores     []jsonFloat32 `json:"scores"`
		IDs        []point.ID    `json:"ids"`
	}{nonNilSlice(m.OffsetsRow), nonNilSlice(m.OffsetsCol), scores, nonNilSlice(m.IDs)})
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// matrix is a distance matrix: the sampled ids (sorted) and, for each, its
// nearest other sampled points, best first.
type matrix struct {
	ids      []point.ID
	nearests [][]ScoredPoint
}

// SearchMatrixPairs answers Qdrant's POST …/points/search/matrix/pairs
// (see searchMatrix).
func (c *Collection) SearchMatrixPairs(ctx context.Context, req MatrixRequest) (MatrixPairs, error) {
	ctx, err := c.checkRead(ctx, false, req.strictCheck())
	if err != nil {
		return MatrixPairs{}, err
	}
	m, err := c.searchMatrix(ctx, req)
	if err != nil {
		return MatrixPairs{}, err
	}
	out := MatrixPairs{Pairs: []MatrixPair{}}
	for i, row := range m.nearests {
		for _, p := range row {
			out.Pairs = append(out.Pairs, MatrixPair{A: m.ids[i], B: p.ID, Score: p.Score})
		}
	}
	return out, nil
}

// SearchMatrixOffsets answers Qdrant's POST …/points/search/matrix/offsets
// (see searchMatrix).
func (c *Collection) SearchMatrixOffsets(ctx context.Context, req MatrixRequest) (MatrixOffsets, error) {
	ctx, err := c.checkRead(ctx, false, req.strictCheck())
	if err != nil {
		return MatrixOffsets{}, err
	}
	m, err := c.searchMatrix(ctx, req)
	if err != nil {
		return MatrixOffsets{}, err
	}
	at := make(map[point.ID]uint64, len(m.ids))
	for i, id := range m.ids {
		at[id] = uint64(i)
	}
	out := MatrixOffsets{IDs: m.ids}
	for i, row := range m.nearests {
		for _, p := range row {
			out.OffsetsRow = append(out.OffsetsRow, uint64(i))
			out.OffsetsCol = append(out.OffsetsCol, at[p.ID])
			out.Scores = append(out.Scores, p.Score)
		}
	}
	return out, nil
}

// searchMatrix samples up to req.Sample points at random among those
// matching req.Filter that have the vector, orders them by id, and finds
// for each its req.Limit nearest other sampled points, exactly (ties by
// id), with Qdrant's scores. Fewer than two sampled points answer an empty
// matrix, as Qdrant does.
func (c *Collection) searchMatrix(ctx context.Context, req MatrixRequest) (matrix, error) {
	sample, limit := DefaultMatrixSample, DefaultMatrixLimit
	if req.Sample != nil {
		sample = *req.Sample
	}
	if req.Limit != nil {
		limit = *req.Limit
	}
	if sample < 2 {
		return matrix{}, errInvalid("sample", "value %d invalid, must be 2 or more", sample)
	}
	if limit < 1 {
		return matrix{}, errInvalid("limit", "value %d invalid, must be 1 or more", limit)
	}
	params := c.core.config().Params
	if _, sparse := params.SparseVectors[req.Using]; sparse {
		return c.sparseMatrix(ctx, req, sample, limit)
	}
	vp, ok := params.Vectors[req.Using]
	if !ok {
		return matrix{}, errBadRequest("Not existing vector name error: %s", vectorLabel(req.Using))
	}
	ids, recs, err := c.sampleMatrix(ctx, req.Filter, req.Using, sample)
	if err != nil || len(ids) < 2 {
		return matrix{}, err
	}
	vecs := make(map[point.ID][]float32, len(recs))
	for id, r := range recs {
		vecs[id] = r.Vector[req.Using]
	}
	m := matrix{ids: ids, nearests: make([][]ScoredPoint, len(ids))}
	for i, a := range ids {
		if i%64 == 0 && ctx.Err() != nil {
			return matrix{}, ctx.Err()
		}
		m.nearests[i] = matrixRow(vp.Distance, a, ids, vecs, limit)
	}
	return m, nil
}

// sparseMatrix is searchMatrix on a sparse vector: each sampled point's
// nearest others are the answer of a sparse search among the sampled
// points with its vector as the query (so scores are the sparse dot
// product, with the IDF weights of a modifier as for any sparse query).
// The caller's ctx has been checked for strict mode: the searches are not
// charged again.
func (c *Collection) sparseMatrix(ctx context.Context, req MatrixRequest, sample, limit int) (matrix, error) {
	ids, recs, err := c.sampleMatrix(ctx, req.Filter, req.Using, sample)
	if err != nil || len(ids) < 2 {
		return matrix{}, err
	}
	sampled := &payload.HasID{IDs: ids}
	m := matrix{ids: ids, nearests: make([][]ScoredPoint, len(ids))}
	for i, a := range ids {
		q := recs[a].Sparse[req.Using]
		f := &payload.Filter{Must: []payload.Condition{{HasID: sampled}},
			MustNot: []payload.Condition{{HasID: &payload.HasID{IDs: []point.ID{a}}}}}
		// Every other sampled point is asked for, so that ties at the cut
		// are broken by id as on dense vectors.
		row, err := c.Search(ctx, SearchRequest{Vector: NamedVector{Name: req.Using, Sparse: &q}, Filter: f, Limit: len(ids) - 1})
		if err != nil {
			return matrix{}, fmt.Errorf("search matrix row of point %v: %w", a, err)
		}
		slices.SortStableFunc(row, func(x, y ScoredPoint) int { return bestFirst(x.Score, x.ID, y.Score, y.ID) })
		row = row[:min(limit, len(row))]
		for j := range row {
			row[j] = ScoredPoint{ID: row[j].ID, Score: row[j].Score}
		}
		m.nearests[i] = row
	}
	return m, nil
}

// sampleMatrix picks up to n points at random among those matching f that
// have the vector using (dense or sparse), and returns their ids sorted
// with their records (holding that vector only).
func (c *Collection) sampleMatrix(ctx context.Context, f *payload.Filter, using string, n int) ([]point.ID, map[point.ID]Record, error) {
	hasVector := &payload.Filter{Must: []payload.Condition{{HasVector: &using}}}
	all, err := c.Scroll(ctx, ScrollRequest{Filter: andFilter(f, hasVector), Limit: math.MaxInt, WithPayload: &WithPayload{}})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]point.ID, len(all.Points))
	for i, r := range all.Points {
		ids[i] = r.ID
	}
	// A partial Fisher–Yates shuffle picks the sample.
	for i := 0; i < min(n, len(ids)); i++ {
		j := i + rand.IntN(len(ids)-i)
		ids[i], ids[j] = ids[j], ids[i]
	}
	ids = ids[:min(n, len(ids))]
	slices.SortFunc(ids, point.Compare)
	recs, err := c.Get(ctx, ids, WithPayload{}, WithVector{Enable: true, Names: []string{using}})
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[point.ID]Record, len(recs))
	for _, r := range recs {
		_, sparse := r.Sparse[using]
		if r.Vector[using] != nil || sparse {
			byID[r.ID] = r
		}
	}
	// A point deleted since the scroll has no vector: it is left out.
	ids = slices.DeleteFunc(ids, func(id point.ID) bool { _, ok := byID[id]; return !ok })
	return ids, byID, nil
}

// matrixRow returns a's limit nearest other points of ids, best first
// (ties by id), with Qdrant's scores.
func matrixRow(d point.Distance, a point.ID, ids []point.ID, vecs map[point.ID][]float32, limit int) []ScoredPoint {
	row := make([]candidate, 0, len(ids)-1)
	for _, b := range ids {
		if b != a {
			row = append(row, candidate{key: similarity(d, vecs[a], vecs[b]), id: b})
		}
	}
	slices.SortStableFunc(row, func(x, y candidate) int { return bestFirst(x.key, x.id, y.key, y.id) })
	row = row[:min(limit, len(row))]
	out := make([]ScoredPoint, len(row))
	for j, r := range row {
		out[j] = ScoredPoint{ID: r.id, Score: keyToScore(d, r.key)}
	}
	return out
}
