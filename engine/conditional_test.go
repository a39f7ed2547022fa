package engine

import (
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

func condPoint(id int, v float32, city string) PointStruct {
	return PointStruct{ID: point.NumID(uint64(id)), Vector: Vectors{"": {v, 1, 1, 1}}, Payload: payload.Payload{"city": city}}
}

// cityOf returns the stored city and first vector component of point id,
// ok false when it does not exist.
func cityOf(t *testing.T, c *Collection, id int) (string, float32, bool) {
	t.Helper()
	recs, err := c.Get(ctxb, []point.ID{point.NumID(uint64(id))}, WithPayload{Enable: true}, WithVector{Enable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		return "", 0, false
	}
	return recs[0].Payload["city"].(string), recs[0].Vector[""][0], true
}

func TestUpsertConditional(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(4, point.Dot))
	mustUpsert(t, c, condPoint(1, 1, "Berlin"), condPoint(2, 2, "London"))
	berlin := filter(t, `{"must":[{"key":"city","match":{"value":"Berlin"}}]}`)
	for _, tc := range []struct {
		name string
		opts UpsertOptions
		// want: city of points 1, 2 and 3 after writing "X" to all three ("" = absent)
		want [3]string
	}{
		{"upsert with filter", UpsertOptions{Filter: berlin}, [3]string{"X", "London", "X"}},
		{"insert_only", UpsertOptions{Mode: UpdateModeInsertOnly}, [3]string{"Berlin", "London", "X"}},
		{"insert_only ignores the filter", UpsertOptions{Mode: UpdateModeInsertOnly, Filter: berlin}, [3]string{"Berlin", "London", "X"}},
		{"update_only", UpsertOptions{Mode: UpdateModeUpdateOnly}, [3]string{"X", "X", ""}},
		{"update_only with filter", UpsertOptions{Mode: UpdateModeUpdateOnly, Filter: berlin}, [3]string{"X", "London", ""}},
		{"upsert", UpsertOptions{Mode: UpdateModeUpsert}, [3]string{"X", "X", "X"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(1), point.NumID(2), point.NumID(3)}}, true); err != nil {
				t.Fatal(err)
			}
			mustUpsert(t, c, condPoint(1, 1, "Berlin"), condPoint(2, 2, "London"))
			if _, err := c.UpsertWith(ctxb, []PointStruct{condPoint(1, 9, "X"), condPoint(2, 9, "X"), condPoint(3, 9, "X")}, tc.opts, true); err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				city, v, ok := cityOf(t, c, i+1)
				if want == "" {
					if ok {
						t.Errorf("point %d exists (%s), want none", i+1, city)
					}
					continue
				}
				if !ok || city != want {
					t.Errorf("point %d: city %q (exists %v), want %q", i+1, city, ok, want)
				}
				if want == "X" && v != 9 || want != "X" && v == 9 {
					t.Errorf("point %d: vector %v, city %q: skipped points keep their vectors", i+1, v, city)
				}
			}
		})
	}
	if _, err := c.UpsertWith(ctxb, []PointStruct{condPoint(5, 1, "X")}, UpsertOptions{Mode: "sometimes"}, true); err == nil {
		t.Fatal("unknown update_mode accepted")
	}
	if _, _, ok := cityOf(t, c, 5); ok {
		t.Fatal("refused upsert wrote its point")
	}
}

func TestUpdateVectorsWithFilter(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(4, point.Dot))
	mustUpsert(t, c, condPoint(1, 1, "Berlin"), condPoint(2, 2, "London"))
	berlin := filter(t, `{"must":[{"key":"city","match":{"value":"Berlin"}}]}`)
	up := []PointVectors{{ID: point.NumID(1), Vector: Vectors{"": {7, 1, 1, 1}}}, {ID: point.NumID(2), Vector: Vectors{"": {7, 1, 1, 1}}}}
	if _, err := c.UpdateVectorsWith(ctxb, up, berlin, true); err != nil {
		t.Fatal(err)
	}
	if _, v, _ := cityOf(t, c, 1); v != 7 {
		t.Errorf("matching point: vector %v, want 7", v)
	}
	if _, v, _ := cityOf(t, c, 2); v != 2 {
		t.Errorf("point the filter does not match: vector %v, want 2 kept", v)
	}
}
