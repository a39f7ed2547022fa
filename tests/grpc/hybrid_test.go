package grpctests

import (
	"testing"

	"github.com/qdrant/go-client/qdrant"
)

// sparseOf is point i's deterministic sparse vector: two of 8 terms.
func sparseOf(i int) ([]uint32, []float32) {
	return []uint32{uint32(i % 8), uint32(8 + i%3)}, []float32{float32(i%5) + 0.5, 1}
}

// TestHybridAndGroups: a collection with a dense and a sparse (IDF)
// vector, created and filled with the official client, answers a hybrid
// query (dense and sparse prefetches fused by rrf) and a query-groups
// request as REST answers them; REST reads the sparse vectors gRPC wrote.
func TestHybridAndGroups(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	err := cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "h",
		VectorsConfig:       qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"d": {Size: dim, Distance: qdrant.Distance_Dot}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"s": {Modifier: qdrant.Modifier_Idf.Enum()}})})
	if err != nil {
		t.Fatal(err)
	}
	var pts []*qdrant.PointStruct
	for i := range 60 {
		ix, vals := sparseOf(i)
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(i)), Payload: qdrant.NewValueMap(payloadOf(i)),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"d": qdrant.NewVectorDense(vec(i)), "s": qdrant.NewVectorSparse(ix, vals)})})
	}
	if _, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "h", Wait: qdrant.PtrOf(true), Points: pts}); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Vector map[string]any `json:"vector"`
	}
	c.mustREST("GET", "/collections/h/points/7", nil).Result(t, &rec)
	if s, ok := rec.Vector["s"].(map[string]any); !ok || len(s["indices"].([]any)) != 2 {
		t.Fatalf("REST reads point 7's vectors as %v", rec.Vector)
	}

	sq := qdrant.NewQuerySparse([]uint32{3, 9}, []float32{1, 0.5})
	hybrid, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "h", Limit: qdrant.PtrOf(uint64(6)),
		Prefetch: []*qdrant.PrefetchQuery{
			{Using: qdrant.PtrOf("s"), Query: sq, Limit: qdrant.PtrOf(uint64(10))},
			{Using: qdrant.PtrOf("d"), Query: qdrant.NewQueryDense(vec(5)), Limit: qdrant.PtrOf(uint64(10))}},
		Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Points []restHit `json:"points"`
	}
	c.mustREST("POST", "/collections/h/points/query", map[string]any{"limit": 6, "query": map[string]any{"fusion": "rrf"},
		"prefetch": []any{
			map[string]any{"using": "s", "query": map[string]any{"indices": []int{3, 9}, "values": []float32{1, 0.5}}, "limit": 10},
			map[string]any{"using": "d", "query": vec(5), "limit": 10}}}).Result(t, &r)
	sameHits(t, "hybrid rrf", hybrid, r.Points)
	if len(hybrid) != 6 {
		t.Fatalf("hybrid: %d points", len(hybrid))
	}

	groups, err := cl.QueryGroups(ctx(t), &qdrant.QueryPointGroups{CollectionName: "h", Using: qdrant.PtrOf("d"), Query: qdrant.NewQueryDense(vec(9)),
		GroupBy: "city", GroupSize: qdrant.PtrOf(uint64(2)), Limit: qdrant.PtrOf(uint64(3))})
	if err != nil {
		t.Fatal(err)
	}
	var rg struct {
		Groups []struct {
			ID   string    `json:"id"`
			Hits []restHit `json:"hits"`
		} `json:"groups"`
	}
	c.mustREST("POST", "/collections/h/points/query/groups", map[string]any{"using": "d", "query": vec(9), "group_by": "city",
		"group_size": 2, "limit": 3}).Result(t, &rg)
	if len(groups) != 3 || len(rg.Groups) != 3 {
		t.Fatalf("query groups: gRPC %v, REST %v", groups, rg.Groups)
	}
	for i, g := range groups {
		if g.GetId().GetStringValue() != rg.Groups[i].ID {
			t.Fatalf("group %d: gRPC %v, REST %q", i, g.GetId(), rg.Groups[i].ID)
		}
		sameHits(t, "group "+rg.Groups[i].ID, g.GetHits(), rg.Groups[i].Hits)
		if len(g.GetHits()) != 2 {
			t.Fatalf("group %d: %d hits", i, len(g.GetHits()))
		}
	}
}
