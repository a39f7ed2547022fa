package grpctests

import (
	"testing"

	"github.com/qdrant/go-client/qdrant"
)

// TestQueryParity: recommend by raw vectors, the recommend query, a
// two-level prefetch with score thresholds and `using`, and lookup_from
// another collection answer what REST answers for the same request.
func TestQueryParity(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	c.createCollection("c")
	c.upsert("c", 0, n)
	c.createCollection("other")
	c.upsert("other", 100, 105) // ids 100..104, vectors vec(100..104)
	q := vec(55)

	rec, err := pc.Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: "c", Limit: 4,
		PositiveVectors: []*qdrant.Vector{qdrant.NewVectorDense(vec(60))}, NegativeVectors: []*qdrant.Vector{qdrant.NewVectorDense(vec(61))},
		Positive: []*qdrant.PointId{qdrant.NewIDNum(2)}})
	if err != nil {
		t.Fatalf("recommend by vectors: %v", err)
	}
	var rest []restHit
	c.mustREST("POST", "/collections/c/points/recommend", map[string]any{"positive": []any{vec(60), 2}, "negative": []any{vec(61)}, "limit": 4}).Result(t, &rest)
	sameHits(t, "recommend by vectors", rec.GetResult(), rest)

	type queryCase struct {
		name string
		grpc *qdrant.QueryPoints
		rest map[string]any
	}
	for _, tc := range []queryCase{
		{"recommend query", &qdrant.QueryPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint64(4)),
			Query: qdrant.NewQueryRecommend(&qdrant.RecommendInput{Positive: []*qdrant.VectorInput{qdrant.NewVectorInputID(qdrant.NewIDNum(3)), qdrant.NewVectorInputDense(vec(70))},
				Negative: []*qdrant.VectorInput{qdrant.NewVectorInputID(qdrant.NewIDNum(4))}})},
			map[string]any{"limit": 4, "query": map[string]any{"recommend": map[string]any{"positive": []any{3, vec(70)}, "negative": []any{4}}}}},
		{"two-level prefetch", &qdrant.QueryPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint64(3)), Query: qdrant.NewQueryDense(q),
			Prefetch: []*qdrant.PrefetchQuery{{Limit: qdrant.PtrOf(uint64(10)), Query: qdrant.NewQueryDense(vec(56)), Using: qdrant.PtrOf(""),
				ScoreThreshold: qdrant.PtrOf(float32(-1)),
				Prefetch:       []*qdrant.PrefetchQuery{{Limit: qdrant.PtrOf(uint64(20)), Query: qdrant.NewQueryDense(vec(57)), Filter: cityFilter("Bergen")}}}}},
			map[string]any{"limit": 3, "query": q, "prefetch": []any{map[string]any{"limit": 10, "query": vec(56), "using": "", "score_threshold": -1,
				"prefetch": []any{map[string]any{"limit": 20, "query": vec(57), "filter": map[string]any{"must": []any{match("city", map[string]any{"value": "Bergen"})}}}}}}}},
		{"query by id from another collection", &qdrant.QueryPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint64(4)),
			Query: qdrant.NewQueryID(qdrant.NewIDNum(102)), LookupFrom: &qdrant.LookupLocation{CollectionName: "other"}},
			map[string]any{"limit": 4, "query": 102, "lookup_from": map[string]any{"collection": "other"}}},
		{"query with offset, threshold and payload", &qdrant.QueryPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint64(3)), Offset: qdrant.PtrOf(uint64(2)),
			Query: qdrant.NewQueryDense(q), ScoreThreshold: qdrant.PtrOf(float32(-0.5)), WithPayload: qdrant.NewWithPayloadInclude("i")},
			map[string]any{"limit": 3, "offset": 2, "query": q, "score_threshold": -0.5, "with_payload": []string{"i"}}},
	} {
		got, err := cl.Query(ctx(t), tc.grpc)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var r struct {
			Points []restHit `json:"points"`
		}
		c.mustREST("POST", "/collections/c/points/query", tc.rest).Result(t, &r)
		sameHits(t, tc.name, got, r.Points)
		if len(got) == 0 {
			t.Errorf("%s: no points: not a discriminating case", tc.name)
		}
		for i, p := range got {
			if i < len(r.Points) && len(p.GetPayload()) != len(r.Points[i].Payload) {
				t.Errorf("%s: payload %v over gRPC, %v over REST", tc.name, p.GetPayload(), r.Points[i].Payload)
			}
		}
	}
}

// TestPayloadParity: set payload under a nested key, delete a nested key
// and clear by filter give the payloads REST's same calls give.
func TestPayloadParity(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	for _, coll := range []string{"g", "r"} {
		c.createCollection(coll)
		c.upsert(coll, 0, 9)
	}
	w := qdrant.PtrOf(true)
	if _, err := cl.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "g", Wait: w, Key: qdrant.PtrOf("meta"),
		Payload: qdrant.NewValueMap(map[string]any{"deep": "yes"}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}); err != nil {
		t.Fatalf("set payload under meta: %v", err)
	}
	c.mustREST("POST", "/collections/r/points/payload?wait=true", map[string]any{"payload": map[string]any{"deep": "yes"}, "key": "meta", "points": []int{1}})
	if _, err := cl.DeletePayload(ctx(t), &qdrant.DeletePayloadPoints{CollectionName: "g", Wait: w, Keys: []string{"meta.even", "tags[0]"},
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(2))}); err != nil {
		t.Fatalf("delete nested keys: %v", err)
	}
	c.mustREST("POST", "/collections/r/points/payload/delete?wait=true", map[string]any{"keys": []string{"meta.even", "tags[0]"}, "points": []int{2}})
	if _, err := cl.ClearPayload(ctx(t), &qdrant.ClearPayloadPoints{CollectionName: "g", Wait: w, Points: qdrant.NewPointsSelectorFilter(cityFilter("Tromsø"))}); err != nil {
		t.Fatalf("clear by filter: %v", err)
	}
	c.mustREST("POST", "/collections/r/points/payload/clear?wait=true", map[string]any{"filter": map[string]any{"must": []any{match("city", map[string]any{"value": "Tromsø"})}}})
	for i := range 9 {
		got, err := cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "g", Ids: []*qdrant.PointId{qdrant.NewIDNum(uint64(i))}, WithPayload: qdrant.NewWithPayload(true)})
		if err != nil || len(got) != 1 {
			t.Fatalf("get %d: %v", i, err)
		}
		var r []struct {
			Payload map[string]any `json:"payload"`
		}
		c.mustREST("POST", "/collections/r/points", map[string]any{"ids": []int{i}, "with_payload": true}).Result(t, &r)
		want := map[string]any{}
		if r[0].Payload != nil {
			want = restValue(t, r[0].Payload).(map[string]any)
		}
		checkPayload(t, "gRPC against REST payload ops", i, got[0].GetPayload(), want)
	}
}
