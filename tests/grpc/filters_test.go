package grpctests

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// filterPayload is point i's payload for the filter cases: every kind a
// condition tests, some keys missing, empty or null on some points.
func filterPayload(i int) map[string]any {
	p := map[string]any{
		"i": i, "price": float64(i) / 2, "city": cities[i%3], "tags": []any{"t" + strconv.Itoa(i%4), i % 3},
		"meta":     map[string]any{"even": i%2 == 0},
		"loc":      map[string]any{"lon": 10 + float64(i)*0.1, "lat": 59 + float64(i)*0.05},
		"created":  time.Date(2024, 1, 1+i, 12, 0, 0, 0, time.UTC).Format(time.RFC3339),
		"desc":     []string{"the quick brown fox", "a lazy dog", "quick thinking"}[i%3],
		"children": []any{map[string]any{"age": i % 7, "name": "c" + strconv.Itoa(i)}},
	}
	if i%3 != 0 {
		p["children"] = append(p["children"].([]any), map[string]any{"age": 10 + i%3})
	}
	switch i % 5 {
	case 0:
		p["opt"] = nil
	case 1:
		p["opt"] = []any{}
	case 2:
		p["opt"] = "set"
	}
	return p
}

// match is a REST field match condition.
func match(key string, m map[string]any) map[string]any {
	return map[string]any{"key": key, "match": m}
}

// TestFiltersSameOverRESTAndGRPC: every condition kind, built with the
// official client's helpers, selects over gRPC the points REST's JSON
// filter selects (count and scroll), on the same collection.
func TestFiltersSameOverRESTAndGRPC(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.mustREST("PUT", "/collections/f", map[string]any{"vectors": map[string]any{"size": dim, "distance": "Dot"}})
	var pts []map[string]any
	for i := range n {
		pts = append(pts, map[string]any{"id": i, "vector": vec(i), "payload": filterPayload(i)})
	}
	c.mustREST("PUT", "/collections/f/points?wait=true", map[string]any{"points": pts})
	ts := func(day int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC))
	}
	for _, tc := range []struct {
		name string
		rest map[string]any
		grpc *qdrant.Filter
	}{
		{"keyword", map[string]any{"must": []any{match("city", map[string]any{"value": "Oslo"})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("city", "Oslo")}}},
		{"integer", map[string]any{"must": []any{match("i", map[string]any{"value": 7})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchInt("i", 7)}}},
		{"bool nested key", map[string]any{"must": []any{match("meta.even", map[string]any{"value": true})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchBool("meta.even", true)}}},
		{"any keywords", map[string]any{"must": []any{match("city", map[string]any{"any": []string{"Oslo", "Bergen"}})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeywords("city", "Oslo", "Bergen")}}},
		{"any integers in a list", map[string]any{"must": []any{match("tags", map[string]any{"any": []int{1}})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchInts("tags", 1)}}},
		{"except keywords", map[string]any{"must": []any{match("city", map[string]any{"except": []string{"Oslo"}})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchExcept("city", "Oslo")}}},
		{"except integers", map[string]any{"must": []any{match("i", map[string]any{"except": []int{1, 2, 3}})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchExceptInts("i", 1, 2, 3)}}},
		{"text", map[string]any{"must": []any{match("desc", map[string]any{"text": "quick"})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchText("desc", "quick")}}},
		{"integer range", map[string]any{"must": []any{map[string]any{"key": "i", "range": map[string]any{"gte": 5, "lt": 12}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("i", &qdrant.Range{Gte: qdrant.PtrOf(5.0), Lt: qdrant.PtrOf(12.0)})}}},
		{"float range", map[string]any{"must": []any{map[string]any{"key": "price", "range": map[string]any{"gt": 3.5, "lte": 9}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("price", &qdrant.Range{Gt: qdrant.PtrOf(3.5), Lte: qdrant.PtrOf(9.0)})}}},
		{"datetime range", map[string]any{"must": []any{map[string]any{"key": "created", "range": map[string]any{"gte": "2024-01-05T00:00:00Z", "lt": "2024-01-20T00:00:00Z"}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewDatetimeRange("created", &qdrant.DatetimeRange{Gte: ts(5), Lt: ts(20)})}}},
		{"is_empty", map[string]any{"must": []any{map[string]any{"is_empty": map[string]any{"key": "opt"}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewIsEmpty("opt")}}},
		{"is_null", map[string]any{"must": []any{map[string]any{"is_null": map[string]any{"key": "opt"}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewIsNull("opt")}}},
		{"has_id", map[string]any{"must": []any{map[string]any{"has_id": []int{1, 4, 9, 400}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(1), qdrant.NewIDNum(4), qdrant.NewIDNum(9), qdrant.NewIDNum(400))}}},
		{"values_count", map[string]any{"must": []any{map[string]any{"key": "children", "values_count": map[string]any{"gte": 2}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewValuesCount("children", &qdrant.ValuesCount{Gte: qdrant.PtrOf(uint64(2))})}}},
		{"geo radius", map[string]any{"must": []any{map[string]any{"key": "loc", "geo_radius": map[string]any{"center": map[string]any{"lon": 10.5, "lat": 59.25}, "radius": 30000}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewGeoRadius("loc", 59.25, 10.5, 30000)}}},
		{"geo bounding box", map[string]any{"must": []any{map[string]any{"key": "loc", "geo_bounding_box": map[string]any{
			"top_left": map[string]any{"lon": 10.2, "lat": 60}, "bottom_right": map[string]any{"lon": 11.5, "lat": 59}}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewGeoBoundingBox("loc", 60, 10.2, 59, 11.5)}}},
		{"geo polygon", map[string]any{"must": []any{map[string]any{"key": "loc", "geo_polygon": map[string]any{"exterior": map[string]any{"points": []any{
			map[string]any{"lon": 10, "lat": 59}, map[string]any{"lon": 12, "lat": 59}, map[string]any{"lon": 12, "lat": 59.6}, map[string]any{"lon": 10, "lat": 59}}}}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewGeoPolygon("loc", &qdrant.GeoLineString{Points: []*qdrant.GeoPoint{
				{Lon: 10, Lat: 59}, {Lon: 12, Lat: 59}, {Lon: 12, Lat: 59.6}, {Lon: 10, Lat: 59}}})}}},
		{"nested", map[string]any{"must": []any{map[string]any{"nested": map[string]any{"key": "children", "filter": map[string]any{"must": []any{
			match("age", map[string]any{"value": 3}), map[string]any{"key": "name", "match": map[string]any{"value": "c3"}}}}}}}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewNestedFilter("children", &qdrant.Filter{Must: []*qdrant.Condition{
				qdrant.NewMatchInt("age", 3), qdrant.NewMatchKeyword("name", "c3")}})}}},
		{"array projection", map[string]any{"must": []any{match("children[].age", map[string]any{"value": 11})}},
			&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchInt("children[].age", 11)}}},
		{"should, must_not and min_should", map[string]any{
			"should":     []any{match("city", map[string]any{"value": "Oslo"}), match("city", map[string]any{"value": "Tromsø"})},
			"must_not":   []any{map[string]any{"has_id": []int{0, 3}}},
			"min_should": map[string]any{"conditions": []any{match("meta.even", map[string]any{"value": true}), map[string]any{"key": "i", "range": map[string]any{"lt": 20}}, match("tags", map[string]any{"value": "t1"})}, "min_count": 2}},
			&qdrant.Filter{
				Should:    []*qdrant.Condition{qdrant.NewMatch("city", "Oslo"), qdrant.NewMatch("city", "Tromsø")},
				MustNot:   []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(0), qdrant.NewIDNum(3))},
				MinShould: &qdrant.MinShould{MinCount: 2, Conditions: []*qdrant.Condition{qdrant.NewMatchBool("meta.even", true), qdrant.NewRange("i", &qdrant.Range{Lt: qdrant.PtrOf(20.0)}), qdrant.NewMatch("tags", "t1")}},
			}},
		{"a filter as a condition", map[string]any{"must_not": []any{map[string]any{"must": []any{match("city", map[string]any{"value": "Oslo"}), map[string]any{"key": "i", "range": map[string]any{"gt": 10}}}}}},
			&qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewFilterAsCondition(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatch("city", "Oslo"), qdrant.NewRange("i", &qdrant.Range{Gt: qdrant.PtrOf(10.0)})}})}}},
	} {
		var restIDs []restPoint
		c.mustREST("POST", "/collections/f/points/scroll", map[string]any{"filter": tc.rest, "limit": 100, "with_payload": false}).Result(t, &struct {
			Points *[]restPoint `json:"points"`
		}{&restIDs})
		want := make([]uint64, len(restIDs))
		for i, p := range restIDs {
			want[i], _ = strconv.ParseUint(fmt.Sprint(p.ID), 10, 64)
		}
		got, err := c.client.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "f", Filter: tc.grpc, Limit: qdrant.PtrOf(uint32(100))})
		if err != nil {
			t.Errorf("%s: gRPC scroll: %v", tc.name, err)
			continue
		}
		if !slices.Equal(ids(got), want) {
			t.Errorf("%s: gRPC selects %v, REST %v", tc.name, ids(got), want)
		}
		if len(want) == 0 || len(want) == n {
			t.Errorf("%s: selects %d of %d points: not a discriminating case", tc.name, len(want), n)
		}
		if cnt := c.count("f", tc.grpc); cnt != uint64(len(want)) {
			t.Errorf("%s: gRPC count %d, REST scroll %d", tc.name, cnt, len(want))
		}
	}
}

// restPoint is a scrolled REST point.
type restPoint struct {
	ID any `json:"id"`
}
