package engine

import (
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestFilterSameBeforeAndAfterSeal checks that a filter gives the same
// answer whether the points are still in the mutable head or sealed into a
// segment: a text match on a key with a full-text index is a token test (as
// Qdrant answers it on every segment), and has_vector sees the point's
// vectors, in scroll, count, search and get-by-filter alike.
func TestFilterSameBeforeAndAfterSeal(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", CreateCollection{Vectors: VectorsConfig{
		"img": {Size: 2, Distance: point.Euclid},
		"txt": {Size: 2, Distance: point.Dot},
	}})
	mustUpsert(t, c,
		PointStruct{ID: point.NumID(1), Vector: Vectors{"img": {0, 0}, "txt": {1, 0}}, Payload: pl(t, `{"desc":"the quick brown fox"}`)},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"img": {1, 1}}, Payload: pl(t, `{"desc":"lazy dog"}`)},
		PointStruct{ID: point.NumID(3), Vector: Vectors{"txt": {0, 1}}, Payload: pl(t, `{"desc":"fox"}`)},
	)
	var schema payload.FieldSchema
	if err := schema.UnmarshalJSON([]byte(`{"type":"text","tokenizer":"word","lowercase":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFieldIndex(ctxb, "desc", schema, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filter string
		want   int // points matching
		hits   int // of those, points with an img vector
	}{
		{`{"must":[{"key":"desc","match":{"text":"quick fox"}}]}`, 1, 1},
		{`{"must":[{"key":"desc","match":{"text":"FOX"}}]}`, 2, 1},
		{`{"must":[{"has_vector":"txt"}]}`, 2, 1},
		{`{"must":[{"has_vector":"img"}]}`, 2, 2},
		{`{"must_not":[{"has_vector":"img"}]}`, 1, 0},
	}
	check := func(stage string) {
		t.Helper()
		for _, tc := range cases {
			f := filter(t, tc.filter)
			if n := mustCount(t, c, f); n != tc.want {
				t.Errorf("%s: count %s = %d, want %d", stage, tc.filter, n, tc.want)
			}
			res, err := c.Scroll(ctxb, ScrollRequest{Filter: f, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Points) != tc.want {
				t.Errorf("%s: scroll %s = %d points, want %d", stage, tc.filter, len(res.Points), tc.want)
			}
			hits, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "img", Vector: []float32{0, 0}}, Filter: f, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != tc.hits {
				t.Errorf("%s: search img %s = %d hits, want %d", stage, tc.filter, len(hits), tc.hits)
			}
		}
	}
	check("head")
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	check("sealed")
}
