package engine

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// stage moves data between the head, sealed segments and a reopened storage.
type stage func(t *testing.T, st **Storage, dir string, name string) *Collection

var stages = map[string]stage{
	"head": func(t *testing.T, st **Storage, dir, name string) *Collection {
		c, _ := (*st).Collection(name)
		return c
	},
	"sealed": func(t *testing.T, st **Storage, dir, name string) *Collection {
		c, _ := (*st).Collection(name)
		if err := c.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		return c
	},
	"reopened": func(t *testing.T, st **Storage, dir, name string) *Collection {
		if err := (*st).Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		*st = openTest(t, dir, nil)
		c, err := (*st).Collection(name)
		if err != nil {
			t.Fatalf("Collection after reopen: %v", err)
		}
		return c
	},
	"sealed+reopened": func(t *testing.T, st **Storage, dir, name string) *Collection {
		c, _ := (*st).Collection(name)
		if err := c.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		(*st).Close()
		*st = openTest(t, dir, nil)
		c, _ = (*st).Collection(name)
		return c
	},
}

func TestPointsLifecycle(t *testing.T) {
	for sname, stg := range stages {
		for _, shards := range []int{1, 3} {
			t.Run(sname, func(t *testing.T) {
				dir := t.TempDir()
				st := openTest(t, dir, nil)
				defer func() { st.Close() }()
				req := simpleReq(4, point.Dot)
				req.ShardNumber = intp(shards)
				c := mustCreate(t, st, "c", req)
				big := point.NumID(math.MaxUint64)
				mustUpsert(t, c,
					PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 0, 0, 0}}, Payload: pl(t, `{"color":"red","n":1}`)},
					PointStruct{ID: point.NumID(2), Vector: Vectors{"": {0, 1, 0, 0}}, Payload: pl(t, `{"color":"blue","n":2}`)},
					PointStruct{ID: big, Vector: Vectors{"": {0, 0, 1, 0}}, Payload: pl(t, `{"color":"red","n":3}`)},
					PointStruct{ID: point.NumID(4), Vector: Vectors{"": {0.5, 0.5, 0, 0}}},
				)
				// Overwrite 4 in a later operation, delete 2.
				mustUpsert(t, c, PointStruct{ID: point.NumID(4), Vector: Vectors{"": {0, 0, 0, 1}}, Payload: pl(t, `{"color":"green"}`)})
				if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(2), point.NumID(99)}}, true); err != nil {
					t.Fatal(err)
				}
				c = stg(t, &st, dir, "c")

				if n := mustCount(t, c, nil); n != 3 {
					t.Fatalf("count = %d, want 3", n)
				}
				if n := mustCount(t, c, filter(t, `{"must":[{"key":"color","match":{"value":"red"}}]}`)); n != 2 {
					t.Fatalf("count red = %d, want 2", n)
				}
				recs, err := c.Get(ctxb, []point.ID{point.NumID(4), point.NumID(2), big}, WithPayload{Enable: true}, WithVector{Enable: true})
				if err != nil || len(recs) != 2 {
					t.Fatalf("Get = %v, %v", jsonOf(recs), err)
				}
				if recs[0].ID != point.NumID(4) || recs[0].Payload["color"] != "green" || recs[0].Vector[""][3] != 1 {
					t.Fatalf("Get 4 = %s", jsonOf(recs[0]))
				}
				res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 0, 0.5, 0}}, Limit: 2, WithPayload: &WithPayload{Enable: true}})
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != 2 || res[0].ID != point.NumID(1) || res[0].Score != 1 || res[1].ID != big || res[1].Score != 0.5 {
					t.Fatalf("Search = %s", jsonOf(res))
				}
				res, _ = c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 0, 0.5, 0}}, Limit: 2,
					Filter: filter(t, `{"must_not":[{"key":"n","match":{"value":1}}]}`)})
				if len(res) != 2 || res[0].ID != big || res[1].ID != point.NumID(4) {
					t.Fatalf("filtered Search = %s", jsonOf(res))
				}
				page, err := c.Scroll(ctxb, ScrollRequest{Limit: 2})
				if err != nil || len(page.Points) != 2 || page.Points[0].ID != point.NumID(1) || page.Points[1].ID != point.NumID(4) ||
					page.NextPageOffset == nil || *page.NextPageOffset != big {
					t.Fatalf("Scroll = %s, %v", jsonOf(page), err)
				}
				page, _ = c.Scroll(ctxb, ScrollRequest{Offset: page.NextPageOffset, Limit: 2})
				if len(page.Points) != 1 || page.Points[0].ID != big || page.NextPageOffset != nil {
					t.Fatalf("Scroll page 2 = %s", jsonOf(page))
				}
			})
		}
	}
}

func TestPayloadOps(t *testing.T) {
	for sname, stg := range stages {
		t.Run(sname, func(t *testing.T) {
			dir := t.TempDir()
			st := openTest(t, dir, nil)
			defer func() { st.Close() }()
			c := mustCreate(t, st, "c", CreateCollection{Vectors: VectorsConfig{
				"a": {Size: 2, Distance: point.Cosine}, "b": {Size: 3, Distance: point.Euclid}}})
			mustUpsert(t, c,
				PointStruct{ID: point.NumID(1), Vector: Vectors{"a": {3, 4}, "b": {1, 1, 1}}, Payload: pl(t, `{"k":1,"x":"y"}`)},
				PointStruct{ID: point.NumID(2), Vector: Vectors{"a": {1, 0}}, Payload: pl(t, `{"k":2}`)})
			c = stg(t, &st, dir, "c")
			ids := []point.ID{point.NumID(1)}
			steps := []func() error{
				func() error {
					_, err := c.SetPayload(ctxb, SetPayload{Payload: pl(t, `{"z":true}`), Points: ids}, true)
					return err
				},
				func() error {
					_, err := c.DeletePayload(ctxb, DeletePayload{Keys: []string{"x"}, Points: ids}, true)
					return err
				},
				func() error {
					_, err := c.SetPayload(ctxb, SetPayload{Payload: pl(t, `{"w":5}`), Filter: filter(t, `{"must":[{"key":"k","match":{"value":2}}]}`)}, true)
					return err
				},
				func() error {
					_, err := c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(2), Vector: Vectors{"b": {0, 0, 2}}}}, true)
					return err
				},
				func() error {
					_, err := c.DeleteVectors(ctxb, DeleteVectors{Points: ids, Vector: []string{"b"}}, true)
					return err
				},
			}
			for i, f := range steps {
				if err := f(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			c = stg(t, &st, dir, "c")
			recs, _ := c.Get(ctxb, []point.ID{point.NumID(1), point.NumID(2)}, WithPayload{Enable: true}, WithVector{Enable: true})
			got := jsonOf(recs)
			want := `[{"id":1,"payload":{"k":1,"z":true},"vector":{"a":[0.6,0.8]}},{"id":2,"payload":{"k":2,"w":5},"vector":{"a":[1.0,0.0],"b":[0.0,0.0,2.0]}}]`
			if got != want {
				t.Fatalf("records\n got %s\nwant %s", got, want)
			}
			res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "b", Vector: []float32{0, 0, 0}}, Limit: 5})
			if err != nil || len(res) != 1 || res[0].ID != point.NumID(2) || res[0].Score != 2 {
				t.Fatalf("euclid search = %s %v", jsonOf(res), err)
			}
			if _, err := c.ClearPayload(ctxb, PointsSelector{Points: ids}, true); err != nil {
				t.Fatal(err)
			}
			if _, err := c.SetPayload(ctxb, SetPayload{Payload: pl(t, `{"a":1}`), Points: []point.ID{point.NumID(7)}}, true); !errors.Is(err, ErrPointNotFound) {
				t.Fatalf("set payload on missing point: %v", err)
			}
			if n := mustCount(t, c, filter(t, `{"must":[{"is_empty":{"key":"k"}}]}`)); n != 1 {
				t.Fatalf("count empty k = %d", n)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	bad := []struct {
		name string
		req  CreateCollection
		want error
	}{
		{"ok", simpleReq(0, point.Dot), ErrInvalid},
		{"ok", simpleReq(65537, point.Dot), ErrInvalid},
		{"ok", CreateCollection{Vectors: VectorsConfig{"": {Size: 4, Distance: 9}}}, ErrInvalid},
		{"ok", CreateCollection{Vectors: VectorsConfig{"": {Size: 4, Distance: point.Dot}}, HnswConfig: &HnswConfigDiff{EfConstruct: intp(2)}}, ErrInvalid},
		{"a/b", simpleReq(4, point.Dot), ErrInvalid},
		{"", simpleReq(4, point.Dot), ErrInvalid},
	}
	for _, b := range bad {
		if err := st.CreateCollection(b.name, b.req); !errors.Is(err, b.want) {
			t.Errorf("CreateCollection(%q, %s) = %v, want %v", b.name, jsonOf(b.req), err, b.want)
		}
	}
	c := mustCreate(t, st, "ok", simpleReq(4, point.Dot))
	if err := st.CreateCollection("ok", simpleReq(4, point.Dot)); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("duplicate = %v", err)
	}
	_, err := c.Upsert(ctxb, []PointStruct{{ID: point.NumID(1), Vector: Vectors{"": {1, 2, 3}}}}, true)
	if !errors.Is(err, ErrBadRequest) || err.Error() != "Wrong input: Vector dimension error: expected dim: 4, got 3" {
		t.Fatalf("dimension error = %v", err)
	}
	_, err = c.Upsert(ctxb, []PointStruct{{ID: point.NumID(1), Vector: Vectors{"": {1, 2, 3, float32(math.NaN())}}}}, true)
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("NaN error = %v", err)
	}
	if _, err := st.Collection("nope"); !errors.Is(err, ErrNotFound) || err.Error() != "Not found: Collection `nope` doesn't exist!" {
		t.Fatalf("missing collection = %v", err)
	}
}

func TestAliases(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	mustCreate(t, st, "a", simpleReq(2, point.Dot))
	mustCreate(t, st, "b", simpleReq(2, point.Dot))
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "x"}},
		{CreateAlias: &CreateAlias{CollectionName: "missing", AliasName: "y"}}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("failing batch = %v", err)
	}
	if len(st.ListAliases()) != 0 {
		t.Fatalf("failed batch applied: %v", st.ListAliases())
	}
	err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "x"}},
		{RenameAlias: &RenameAlias{OldAliasName: "x", NewAliasName: "z"}},
		{CreateAlias: &CreateAlias{CollectionName: "b", AliasName: "w"}}})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = openTest(t, dir, nil)
	defer st.Close()
	if c, err := st.Collection("z"); err != nil || c.Name() != "a" {
		t.Fatalf("alias z = %v %v", c, err)
	}
	if got := jsonOf(st.ListAliases()); got != `[{"alias_name":"w","collection_name":"b"},{"alias_name":"z","collection_name":"a"}]` {
		t.Fatalf("aliases = %s", got)
	}
	if ok, err := st.DeleteCollection("b"); !ok || err != nil {
		t.Fatalf("delete = %v %v", ok, err)
	}
	if got := jsonOf(st.ListAliases()); got != `[{"alias_name":"z","collection_name":"a"}]` {
		t.Fatalf("aliases after delete = %s", got)
	}
	if got := st.ListCollections(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("collections = %v", got)
	}
}

// TestSearchMatchesBruteForce checks exact search over head + several
// segments against a brute force, for every distance.
func TestSearchMatchesBruteForce(t *testing.T) {
	for _, d := range []point.Distance{point.Cosine, point.Dot, point.Euclid, point.Manhattan} {
		t.Run(d.String(), func(t *testing.T) {
			st := openTest(t, t.TempDir(), nil)
			defer st.Close()
			req := simpleReq(8, d)
			req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(0)}
			c := mustCreate(t, st, "c", req)
			r := rand.New(rand.NewPCG(1, uint64(d)))
			vecs := map[uint64][]float32{}
			for batch := range 4 {
				var pts []PointStruct
				for range 50 {
					id := r.Uint64N(150)
					v := randVec(r, 8)
					vecs[id] = v
					pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"": v}})
				}
				mustUpsert(t, c, pts...)
				if batch < 3 {
					if err := c.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			q := randVec(r, 8)
			type sc struct {
				id    uint64
				score float32
			}
			var want []sc
			for id, v := range vecs {
				want = append(want, sc{id, refScore(d, q, v)})
			}
			sort.Slice(want, func(i, j int) bool {
				if d.HigherIsBetter() {
					return want[i].score > want[j].score
				}
				return want[i].score < want[j].score
			})
			res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Offset: 3})
			if err != nil || len(res) != 10 {
				t.Fatalf("search: %d results, %v", len(res), err)
			}
			for i, p := range res {
				w := want[i+3]
				if p.ID != point.NumID(w.id) || math.Abs(float64(p.Score-w.score)) > 1e-4 {
					t.Fatalf("result %d = %v %v, want %v %v", i, p.ID, p.Score, w.id, w.score)
				}
			}
			thr := (want[4].score + want[5].score) / 2
			res, _ = c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, ScoreThreshold: &thr})
			if len(res) != 5 {
				t.Fatalf("threshold search: %d results, want 5", len(res))
			}
		})
	}
}

func refScore(d point.Distance, q, v []float32) float32 {
	var s float64
	switch d {
	case point.Cosine:
		var nq, nv float64
		for i := range q {
			s += float64(q[i] * v[i])
			nq += float64(q[i] * q[i])
			nv += float64(v[i] * v[i])
		}
		return float32(s / math.Sqrt(nq*nv))
	case point.Dot:
		for i := range q {
			s += float64(q[i] * v[i])
		}
	case point.Euclid:
		for i := range q {
			s += float64((q[i] - v[i]) * (q[i] - v[i]))
		}
		s = math.Sqrt(s)
	case point.Manhattan:
		for i := range q {
			s += math.Abs(float64(q[i] - v[i]))
		}
	}
	return float32(s)
}

// TestCreateCollectionNamedLikeAlias checks that a collection may not take
// an alias's name, with Qdrant's bad-input answer, and that nothing changes.
func TestCreateCollectionNamedLikeAlias(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	mustCreate(t, st, "c", simpleReq(2, point.Dot))
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "c", AliasName: "a"}}}); err != nil {
		t.Fatal(err)
	}
	err := st.CreateCollection("a", simpleReq(2, point.Dot))
	const want = "Wrong input: Can't create collection with name a. Alias with the same name already exists"
	if !errors.Is(err, ErrBadRequest) || err.Error() != want {
		t.Fatalf("create over an alias = %v, want %q (ErrBadRequest)", err, want)
	}
	if names := st.ListCollections(); len(names) != 1 || names[0] != "c" {
		t.Fatalf("collections = %v", names)
	}
}
