package grpctests

import (
	"slices"
	"testing"

	"github.com/qdrant/go-client/qdrant"
)

// namedPoints returns points [from, to) with vectors "a" (4-d) and "b" (2-d).
func namedPoints(from, to int) []*qdrant.PointStruct {
	var pts []*qdrant.PointStruct
	for i := from; i < to; i++ {
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(i)), Payload: qdrant.NewValueMap(payloadOf(i)),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"a": qdrant.NewVectorDense(vec(i)), "b": qdrant.NewVectorDense(vec(i + 1000)[:2])})})
	}
	return pts
}

// TestNamedVectors: a collection of two named vectors: upsert, search by
// name (REST's answer), get with one vector selected, update and delete
// one vector of a point.
func TestNamedVectors(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	err := cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "nv", VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
		"a": {Size: dim, Distance: qdrant.Distance_Dot}, "b": {Size: 2, Distance: qdrant.Distance_Euclid}})})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "nv", Wait: qdrant.PtrOf(true), Points: namedPoints(0, n)}); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	q := vec(77)[:2]
	res, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "nv", Vector: q, VectorName: qdrant.PtrOf("b"), Limit: 5})
	if err != nil {
		t.Fatalf("search b: %v", err)
	}
	var rest []restHit
	c.mustREST("POST", "/collections/nv/points/search", map[string]any{"vector": map[string]any{"name": "b", "vector": q}, "limit": 5}).Result(t, &rest)
	sameHits(t, "search b", res.GetResult(), rest)
	qr, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "nv", Query: qdrant.NewQueryDense(q), Using: qdrant.PtrOf("b"), Limit: qdrant.PtrOf(uint64(5))})
	if err != nil {
		t.Fatalf("query using b: %v", err)
	}
	sameHits(t, "query using b", qr, rest)

	got, err := cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "nv", Ids: []*qdrant.PointId{qdrant.NewIDNum(3)}, WithVectors: qdrant.NewWithVectorsInclude("b")})
	if err != nil || len(got) != 1 {
		t.Fatalf("get 3: %v, %d points", err, len(got))
	}
	vs := got[0].GetVectors().GetVectors().GetVectors()
	if len(vs) != 1 || !slices.Equal(vs["b"].GetDense().GetData(), vec(1003)[:2]) {
		t.Errorf("get 3 with vector b only = %v", vs)
	}

	if _, err := cl.UpdateVectors(ctx(t), &qdrant.UpdatePointVectors{CollectionName: "nv", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointVectors{{
		Id: qdrant.NewIDNum(4), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"b": qdrant.NewVectorDense([]float32{9, 9})})}}}); err != nil {
		t.Fatalf("update vectors: %v", err)
	}
	if _, err := cl.DeleteVectors(ctx(t), &qdrant.DeletePointVectors{CollectionName: "nv", Wait: qdrant.PtrOf(true),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(5)), Vectors: &qdrant.VectorsSelector{Names: []string{"b"}}}); err != nil {
		t.Fatalf("delete vectors: %v", err)
	}
	got, err = cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "nv", Ids: []*qdrant.PointId{qdrant.NewIDNum(4), qdrant.NewIDNum(5)}, WithVectors: qdrant.NewWithVectors(true)})
	if err != nil || len(got) != 2 {
		t.Fatalf("get 4, 5: %v, %d points", err, len(got))
	}
	v4, v5 := got[0].GetVectors().GetVectors().GetVectors(), got[1].GetVectors().GetVectors().GetVectors()
	if !slices.Equal(v4["b"].GetDense().GetData(), []float32{9, 9}) || !slices.Equal(v4["a"].GetDense().GetData(), vec(4)) {
		t.Errorf("point 4 after updating b = %v", v4)
	}
	if _, ok := v5["b"]; ok || !slices.Equal(v5["a"].GetDense().GetData(), vec(5)) {
		t.Errorf("point 5 after deleting b = %v", v5)
	}
}

// TestSelectorsAndPaging: payload include/exclude, search offset and
// score threshold, scroll order_by, and the batch calls answering as
// their single calls do (checked against REST).
func TestSelectorsAndPaging(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	c.createCollection("c")
	c.upsert("c", 0, n)
	q := vec(321)

	sr, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: q, Limit: 4, Offset: qdrant.PtrOf(uint64(2)),
		WithPayload: qdrant.NewWithPayloadInclude("city", "i")})
	if err != nil {
		t.Fatalf("search with offset: %v", err)
	}
	all := nearest(q, where(func(int) bool { return true }), 6)
	checkScored(t, "search offset 2", sr.GetResult(), q, all[2:6])
	for _, p := range sr.GetResult() {
		if len(p.GetPayload()) != 2 || p.GetPayload()["city"] == nil || p.GetPayload()["i"] == nil {
			t.Errorf("include city, i: payload %v", p.GetPayload())
		}
	}
	threshold := dot(q, vec(int(all[3])))
	sr, err = pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: q, Limit: 10, ScoreThreshold: qdrant.PtrOf(threshold),
		WithPayload: qdrant.NewWithPayloadExclude("tags", "meta")})
	if err != nil {
		t.Fatalf("search with score threshold: %v", err)
	}
	var rest []restHit
	c.mustREST("POST", "/collections/c/points/search", map[string]any{"vector": q, "limit": 10, "score_threshold": threshold}).Result(t, &rest)
	sameHits(t, "score threshold", sr.GetResult(), rest)
	for _, p := range sr.GetResult() {
		if _, ok := p.GetPayload()["tags"]; ok || len(p.GetPayload()) != 3 {
			t.Errorf("exclude tags, meta: payload %v", p.GetPayload())
		}
	}

	// Scroll ordered by a payload key (an index is required, as in Qdrant).
	if _, err := cl.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: "c", Wait: qdrant.PtrOf(true), FieldName: "price", FieldType: qdrant.PtrOf(qdrant.FieldType_FieldTypeFloat)}); err != nil {
		t.Fatalf("index price: %v", err)
	}
	pts, err := cl.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint32(5)),
		OrderBy: &qdrant.OrderBy{Key: "price", Direction: qdrant.Direction_Desc.Enum()}})
	if err != nil {
		t.Fatalf("scroll order_by price desc: %v", err)
	}
	if !slices.Equal(ids(pts), []uint64{29, 28, 27, 26, 25}) {
		t.Errorf("scroll order_by price desc = %v, want [29 28 27 26 25]", ids(pts))
	}

	// Batches answer as their single calls.
	sb, err := pc.SearchBatch(ctx(t), &qdrant.SearchBatchPoints{CollectionName: "c", SearchPoints: []*qdrant.SearchPoints{
		{CollectionName: "c", Vector: q, Limit: 3}, {CollectionName: "c", Vector: vec(9), Limit: 2, Filter: cityFilter("Oslo")}}})
	if err != nil || len(sb.GetResult()) != 2 {
		t.Fatalf("search batch: %v, %d results", err, len(sb.GetResult()))
	}
	checkScored(t, "search batch 0", sb.GetResult()[0].GetResult(), q, all[:3])
	checkScored(t, "search batch 1", sb.GetResult()[1].GetResult(), vec(9), nearest(vec(9), where(inCity("Oslo")), 2))
	qb, err := cl.QueryBatch(ctx(t), &qdrant.QueryBatchPoints{CollectionName: "c", QueryPoints: []*qdrant.QueryPoints{
		{CollectionName: "c", Query: qdrant.NewQueryDense(q), Limit: qdrant.PtrOf(uint64(3))},
		{CollectionName: "c", Query: qdrant.NewQueryID(qdrant.NewIDNum(1)), Limit: qdrant.PtrOf(uint64(3))}}})
	if err != nil || len(qb) != 2 {
		t.Fatalf("query batch: %v, %d results", err, len(qb))
	}
	checkScored(t, "query batch 0", qb[0].GetResult(), q, all[:3])
	var byID struct {
		Points []restHit `json:"points"`
	}
	c.mustREST("POST", "/collections/c/points/query", map[string]any{"query": 1, "limit": 3}).Result(t, &byID)
	sameHits(t, "query batch 1 (by id)", qb[1].GetResult(), byID.Points)
	rb, err := pc.RecommendBatch(ctx(t), &qdrant.RecommendBatchPoints{CollectionName: "c", RecommendPoints: []*qdrant.RecommendPoints{
		{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(2)}, Limit: 3},
		{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(3)}, Negative: []*qdrant.PointId{qdrant.NewIDNum(4)}, Limit: 3}}})
	if err != nil || len(rb.GetResult()) != 2 {
		t.Fatalf("recommend batch: %v, %d results", err, len(rb.GetResult()))
	}
	for i, body := range []map[string]any{{"positive": []int{2}, "limit": 3}, {"positive": []int{3}, "negative": []int{4}, "limit": 3}} {
		var r []restHit
		c.mustREST("POST", "/collections/c/points/recommend", body).Result(t, &r)
		sameHits(t, "recommend batch", rb.GetResult()[i].GetResult(), r)
	}
}

// TestInfoAndResults: collection info figures equal REST's; update
// results carry an operation id and every answer its time.
func TestInfoAndResults(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	c.createCollection("c")
	up, err := pc.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: points(0, n)})
	if err != nil {
		t.Fatal(err)
	}
	if up.GetResult().OperationId == nil || up.GetTime() <= 0 {
		t.Errorf("upsert answer %v: want an operation id and a time", up)
	}
	sr, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: vec(1), Limit: 1})
	if err != nil || sr.GetTime() <= 0 {
		t.Errorf("search answer time %v, %v", sr.GetTime(), err)
	}
	info, err := cl.GetCollectionInfo(ctx(t), "c")
	if err != nil {
		t.Fatal(err)
	}
	var rest struct {
		Status              string `json:"status"`
		PointsCount         uint64 `json:"points_count"`
		IndexedVectorsCount uint64 `json:"indexed_vectors_count"`
		SegmentsCount       uint64 `json:"segments_count"`
		Config              struct {
			Params struct {
				ShardNumber uint32 `json:"shard_number"`
			} `json:"params"`
			HnswConfig struct {
				M           uint64 `json:"m"`
				EfConstruct uint64 `json:"ef_construct"`
			} `json:"hnsw_config"`
		} `json:"config"`
	}
	c.mustREST("GET", "/collections/c", nil).Result(t, &rest)
	if info.GetPointsCount() != rest.PointsCount || info.GetIndexedVectorsCount() != rest.IndexedVectorsCount || info.GetSegmentsCount() != rest.SegmentsCount ||
		info.GetConfig().GetParams().GetShardNumber() != rest.Config.Params.ShardNumber || info.GetConfig().GetHnswConfig().GetM() != rest.Config.HnswConfig.M ||
		info.GetConfig().GetHnswConfig().GetEfConstruct() != rest.Config.HnswConfig.EfConstruct {
		t.Errorf("gRPC info %v, REST %+v", info, rest)
	}
	if info.GetPointsCount() != n {
		t.Errorf("points_count %d, want %d", info.GetPointsCount(), n)
	}
}
