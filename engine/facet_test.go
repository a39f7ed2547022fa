package engine

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// scrollCount counts, by scrolling every point matching f, the points
// holding each value at key that want keeps (once per point).
func scrollCount(t *testing.T, c *Collection, f *payload.Filter, key string, want func(any) (string, bool)) map[string]int {
	t.Helper()
	res, err := c.Scroll(ctxb, ScrollRequest{Filter: f, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range res.Points {
		seen := map[string]bool{}
		for _, v := range payload.Values(r.Payload, key) {
			if k, ok := want(v); ok && !seen[k] {
				seen[k] = true
				out[k]++
			}
		}
	}
	return out
}

// TestFacetEqualsScrollAndCount checks keyword, integer and bool facets,
// with and without a filter, over sealed segments, the head and deleted
// points, against counting a scroll: counts, order (count descending, then
// value ascending) and limit.
func TestFacetEqualsScrollAndCount(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	for key, typ := range map[string]payload.FieldType{"tag": payload.TypeKeyword, "n": payload.TypeInteger, "b": payload.TypeBool} {
		if _, err := c.CreateFieldIndex(ctxb, key, payload.FieldSchema{Type: typ}, true); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(16, 4))
	for id := uint64(1); id <= 400; id++ {
		tags := []any{fmt.Sprintf("t%d", r.IntN(9)), fmt.Sprintf("t%d", r.IntN(9)), r.IntN(3)}
		p := map[string]any{"tag": tags, "n": []any{r.IntN(6) - 2, 1.5, "x"}, "b": r.IntN(2) == 0, "g": r.IntN(2)}
		if id%17 == 0 {
			p = map[string]any{"other": 1}
		}
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"": {1, 0}}, Payload: pl(t, jsonOf(p))})
		if id%150 == 0 {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(3), point.NumID(160), point.NumID(390)}}, true); err != nil {
		t.Fatal(err)
	}
	str := func(v any) (string, bool) { s, ok := v.(string); return jsonOf(s), ok }
	integer := func(v any) (string, bool) {
		s := fmt.Sprint(v)
		var i int64
		_, err := fmt.Sscan(s, &i)
		return s, err == nil && fmt.Sprint(i) == s
	}
	boolean := func(v any) (string, bool) { b, ok := v.(bool); return jsonOf(b), ok }
	for _, tc := range []struct {
		key  string
		want func(any) (string, bool)
	}{{"tag", str}, {"n", integer}, {"b", boolean}} {
		for _, f := range []*payload.Filter{nil, filter(t, `{"must":[{"key":"g","match":{"value":1}}]}`)} {
			counts := scrollCount(t, c, f, tc.key, tc.want)
			type kv struct {
				k string
				n int
			}
			var want []kv
			for k, n := range counts {
				want = append(want, kv{k, n})
			}
			slices.SortFunc(want, func(a, b kv) int {
				if a.n != b.n {
					return cmp.Compare(b.n, a.n)
				}
				if tc.key == "n" { // numeric order
					var x, y int
					fmt.Sscan(a.k, &x)
					fmt.Sscan(b.k, &y)
					return cmp.Compare(x, y)
				}
				return cmp.Compare(a.k, b.k)
			})
			for _, limit := range []int{3, 100} {
				res, err := c.Facet(ctxb, FacetRequest{Key: tc.key, Filter: f, Limit: &limit, Exact: limit == 3})
				if err != nil {
					t.Fatal(err)
				}
				exp := want[:min(limit, len(want))]
				if len(res.Hits) != len(exp) {
					t.Fatalf("%s %v limit %d: %d hits, want %d", tc.key, f != nil, limit, len(res.Hits), len(exp))
				}
				for i, h := range res.Hits {
					if jsonOf(h.Value) != exp[i].k || h.Count != exp[i].n {
						t.Fatalf("%s %v: hit %d %v×%d, want %s×%d", tc.key, f != nil, i, h.Value, h.Count, exp[i].k, exp[i].n)
					}
				}
			}
		}
	}
	res, err := c.Facet(ctxb, FacetRequest{Key: "tag"})
	if err != nil || len(res.Hits) != 9 { // t0..t8: fewer than the default 10
		t.Fatalf("default limit: %d hits, %v", len(res.Hits), err)
	}
}

// TestFacetByHand checks the order of equal counts, UUIDs in canonical
// form, and the refusals with Qdrant's texts.
func TestFacetByHand(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	for key, typ := range map[string]payload.FieldType{"k": payload.TypeKeyword, "u": payload.TypeUUID, "f": payload.TypeFloat} {
		if _, err := c.CreateFieldIndex(ctxb, key, payload.FieldSchema{Type: typ}, true); err != nil {
			t.Fatal(err)
		}
	}
	off := false
	if _, err := c.CreateFieldIndex(ctxb, "i", payload.FieldSchema{Type: payload.TypeInteger, Object: true, Lookup: &off}, true); err != nil {
		t.Fatal(err)
	}
	for id, p := range []string{
		`{"k":["b","a","a"],"u":"6BA7B810-9DAD-11D1-80B4-00C04FD430C8"}`,
		`{"k":"c","u":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}`,
		`{"k":["c","b"],"u":"not-a-uuid"}`,
		`{"k":"a"}`,
	} {
		mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(id + 1)), Vector: Vectors{"": {1, 0}}, Payload: pl(t, p)})
	}
	res, err := c.Facet(ctxb, FacetRequest{Key: "k"})
	if err != nil || jsonOf(res) != `{"hits":[{"value":"a","count":2},{"value":"b","count":2},{"value":"c","count":2}]}` {
		t.Fatalf("keyword facet %s %v", jsonOf(res), err)
	}
	res, err = c.Facet(ctxb, FacetRequest{Key: "u"})
	if err != nil || jsonOf(res) != `{"hits":[{"value":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","count":2}]}` {
		t.Fatalf("uuid facet %s %v", jsonOf(res), err)
	}
	zero := 0
	for _, tc := range []struct {
		req  FacetRequest
		kind error
		text string
	}{
		{FacetRequest{Key: "nope"}, ErrBadRequest, "Wrong input: No appropriate index for faceting: `nope`. Please create one to facet on this field."},
		{FacetRequest{Key: "f"}, ErrBadRequest, "No appropriate index for faceting: `f`"},
		{FacetRequest{Key: "i"}, ErrBadRequest, "No appropriate index for faceting: `i`"},
		{FacetRequest{Key: "k", Limit: &zero}, ErrInvalid, "limit: value 0 invalid"},
		{FacetRequest{Key: "a["}, ErrBadRequest, "key"},
	} {
		_, err := c.Facet(ctxb, tc.req)
		wantErr(t, tc.text, err, tc.kind, tc.text)
	}
}
