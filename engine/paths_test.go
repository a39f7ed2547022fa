package engine

import (
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestBracketPaths: "a[].b" in filters (indexed or not), payload include
// and exclude, and order_by on a multi-valued key, which returns a point
// once per distinct value as Qdrant does.
func TestBracketPaths(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	mustUpsert(t, c,
		PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 1}}, Payload: pl(t, `{"a":[{"b":1,"c":"x"},{"b":5},{"b":5}]}`)},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"": {1, 2}}, Payload: pl(t, `{"a":[{"b":3}]}`)})
	count := func(f string) int { return mustCount(t, c, filter(t, f)) }
	if n := count(`{"must":[{"key":"a[].b","match":{"value":5}}]}`); n != 1 {
		t.Fatalf("a[].b = 5: %d points, want 1", n)
	}
	r, err := c.Scroll(ctxb, ScrollRequest{WithPayload: &WithPayload{Enable: true, Include: []string{"a[].b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(r.Points[0].Payload); got != `{"a":[{"b":1},{"b":5},{"b":5}]}` {
		t.Fatalf("include a[].b: %s", got)
	}
	r, err = c.Scroll(ctxb, ScrollRequest{WithPayload: &WithPayload{Enable: true, Exclude: []string{"a[].b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(r.Points[0].Payload); got != `{"a":[{"c":"x"},{},{}]}` {
		t.Fatalf("exclude a[].b: %s", got)
	}
	if _, err := c.CreateFieldIndex(ctxb, "a[].b", payload.FieldSchema{Type: payload.TypeInteger}, true); err != nil {
		t.Fatal(err)
	}
	if n := count(`{"must":[{"key":"a[].b","range":{"gte":4}}]}`); n != 1 {
		t.Fatalf("indexed a[].b >= 4: %d points, want 1", n)
	}
	for _, tc := range []struct {
		dir  string
		want string
	}{
		{"asc", "1:1 2:3 1:5"},
		{"desc", "1:5 2:3 1:1"},
	} {
		r, err := c.Scroll(ctxb, ScrollRequest{OrderBy: &OrderBy{Key: "a[].b", Direction: tc.dir}, WithPayload: &WithPayload{}})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for i, p := range r.Points {
			if i > 0 {
				got += " "
			}
			got += p.ID.String() + ":" + jsonOf(p.OrderValue)
		}
		if got != tc.want {
			t.Errorf("order_by a[].b %s: %s, want %s", tc.dir, got, tc.want)
		}
	}
	r, err = c.Scroll(ctxb, ScrollRequest{OrderBy: &OrderBy{Key: "a[].b"}, Limit: 2, WithPayload: &WithPayload{}})
	if err != nil || len(r.Points) != 2 {
		t.Fatalf("order_by limit 2: %d points, %v", len(r.Points), err)
	}
}
