package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

func orderIDs(recs []Record) string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID.String()
	}
	return strings.Join(ids, ",")
}

// TestScrollOrderBy checks Qdrant's scroll order_by: points sorted by a
// payload key that has a range-capable index, asc or desc, from start_from,
// each with its order_value, no next page; without such an index a 400.
func TestScrollOrderBy(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	mustUpsert(t, c,
		PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 0}}, Payload: pl(t, `{"price":30,"g":"a"}`)},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"": {1, 0}}, Payload: pl(t, `{"price":10.5,"g":"b"}`)},
		PointStruct{ID: point.NumID(3), Vector: Vectors{"": {1, 0}}, Payload: pl(t, `{"price":20,"g":"a"}`)},
		PointStruct{ID: point.NumID(4), Vector: Vectors{"": {1, 0}}, Payload: pl(t, `{"g":"a"}`)},
		PointStruct{ID: point.NumID(5), Vector: Vectors{"": {1, 0}}, Payload: pl(t, `{"price":20,"g":"b"}`)},
	)
	_, err := c.Scroll(ctxb, ScrollRequest{OrderBy: &OrderBy{Key: "price"}})
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "No range index for `order_by` key: `price`") {
		t.Fatalf("order_by without index: %v", err)
	}
	var schema payload.FieldSchema
	if err := json.Unmarshal([]byte(`"float"`), &schema); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFieldIndex(ctxb, "price", schema, true); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"head", "sealed"} {
		res, err := c.Scroll(ctxb, ScrollRequest{OrderBy: &OrderBy{Key: "price"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := orderIDs(res.Points); got != "2,3,5,1" || res.NextPageOffset != nil {
			t.Errorf("%s asc: %s next %v", stage, got, res.NextPageOffset)
		}
		if ov := res.Points[0].OrderValue; ov == nil || ov.Value != 10.5 || !ov.Float {
			t.Errorf("%s asc: order_value %v", stage, ov)
		}
		// A float index's whole value is written as a float (Qdrant's
		// OrderValue::Float), 20.0, not 20.
		if b, err := json.Marshal(res.Points[1]); err != nil || !strings.Contains(string(b), `"order_value":20.0}`) {
			t.Errorf("%s asc: point 3 written as %s (%v), want order_value 20.0", stage, b, err)
		}
		res, err = c.Scroll(ctxb, ScrollRequest{Limit: 2, Filter: filter(t, `{"must":[{"key":"g","match":{"value":"a"}}]}`),
			OrderBy: &OrderBy{Key: "price", Direction: "desc"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := orderIDs(res.Points); got != "1,3" {
			t.Errorf("%s desc filtered: %s", stage, got)
		}
		from := 20.0
		res, err = c.Scroll(ctxb, ScrollRequest{OrderBy: &OrderBy{Key: "price", StartFrom: &from}})
		if err != nil {
			t.Fatal(err)
		}
		if got := orderIDs(res.Points); got != "3,5,1" {
			t.Errorf("%s start_from 20: %s", stage, got)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.Scroll(ctxb, ScrollRequest{OrderBy: &OrderBy{Key: "price", Direction: "sideways"}})
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("bad direction: %v", err)
	}
}
