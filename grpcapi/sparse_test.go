package grpcapi

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// hybridEnv is a pointsEnv with collection "h" too: dense "d" (2-d dot)
// and sparse "s" (IDF), created and filled over gRPC.
func hybridEnv(t *testing.T) (*pointsEnv, *engine.Collection) {
	t.Helper()
	e := newPointsEnv(t)
	ctx := context.Background()
	idf := qdrant.Modifier_Idf
	err := e.cl.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "h",
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"d": {Size: 2, Distance: qdrant.Distance_Dot}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"s": {Modifier: &idf, Index: &qdrant.SparseIndexConfig{FullScanThreshold: qdrant.PtrOf(uint64(100))}}})})
	if err != nil {
		t.Fatal(err)
	}
	var pts []*qdrant.PointStruct
	for i := 1; i <= 6; i++ {
		f := float32(i)
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(i)), Payload: qdrant.NewValueMap(map[string]any{"g": i % 3}),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"d": qdrant.NewVector(f, 7-f),
				"s": qdrant.NewVectorSparse([]uint32{uint32(i % 4), 10 + uint32(i%2)}, []float32{f / 2, 1})})})
	}
	if _, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "h", Wait: qdrant.PtrOf(true), Points: pts}); err != nil {
		t.Fatal(err)
	}
	col, err := e.st.Collection("h")
	if err != nil {
		t.Fatal(err)
	}
	return e, col
}

// TestSparseConfigUpsertRead: sparse_vectors configured over gRPC reach
// the engine (REST reports them), and points with sparse vectors written
// over gRPC read back over gRPC as the engine holds them.
func TestSparseConfigUpsertRead(t *testing.T) {
	e, col := hybridEnv(t)
	ctx := context.Background()
	var info struct {
		Config struct {
			Params struct {
				SparseVectors json.RawMessage `json:"sparse_vectors"`
			}
		}
	}
	if err := json.Unmarshal(e.rest(t, "GET", "/collections/h", ""), &info); err != nil {
		t.Fatal(err)
	}
	if got := string(info.Config.Params.SparseVectors); got != `{"s":{"index":{"full_scan_threshold":100},"modifier":"idf"}}` {
		t.Fatalf("REST sparse_vectors %s", got)
	}
	gi, err := e.cl.GetCollectionInfo(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	s := gi.GetConfig().GetParams().GetSparseVectorsConfig().GetMap()["s"]
	if s.GetModifier() != qdrant.Modifier_Idf || s.GetIndex().GetFullScanThreshold() != 100 {
		t.Fatalf("gRPC sparse config %v", gi.GetConfig().GetParams().GetSparseVectorsConfig())
	}
	// Update changes the modifier as REST's update does; a refused
	// setting answers REST's message.
	none := qdrant.Modifier_None
	if err := e.cl.UpdateCollection(ctx, &qdrant.UpdateCollection{CollectionName: "h",
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"s": {Modifier: &none}})}); err != nil {
		t.Fatal(err)
	}
	if gi, err = e.cl.GetCollectionInfo(ctx, "h"); err != nil || gi.GetConfig().GetParams().GetSparseVectorsConfig().GetMap()["s"].GetModifier() != qdrant.Modifier_None {
		t.Fatalf("after update: %v %v", gi.GetConfig().GetParams().GetSparseVectorsConfig(), err)
	}
	err = e.cl.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "u8", VectorsConfig: vectors4(),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"s": {Index: &qdrant.SparseIndexConfig{Datatype: qdrant.Datatype_Uint8.Enum()}}})})
	restErr := engine.CheckCreateCollection([]byte(`{"vectors":{"size":4,"distance":"Cosine"},"sparse_vectors":{"s":{"index":{"datatype":"uint8"}}}}`))
	if restErr == nil {
		t.Fatal("REST accepts a uint8 sparse index")
	}
	wantCode(t, "uint8 sparse index", err, codes.InvalidArgument, restErr.Error())
	got, err := e.cl.Get(ctx, &qdrant.GetPoints{CollectionName: "h", Ids: []*qdrant.PointId{qdrant.NewIDNum(3)}, WithVectors: qdrant.NewWithVectors(true)})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := col.Get(ctx, []point.ID{point.NumID(3)}, engine.WithPayload{Enable: true}, engine.WithVector{Enable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].String() != recordsToProto(recs)[0].String() {
		t.Fatalf("get: %v\nengine %v", got, recordsToProto(recs))
	}
	if sp := got[0].GetVectors().GetVectors().GetVectors()["s"].GetSparseVector(); !reflect.DeepEqual(sp.GetIndices(), []uint32{3, 11}) ||
		!reflect.DeepEqual(sp.GetValues(), []float32{1.5, 1}) {
		t.Fatalf("sparse read back %v", got[0].GetVectors())
	}
	sc, err := e.cl.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "h", WithVectors: qdrant.NewWithVectorsInclude("s")})
	if err != nil || len(sc) != 6 || len(sc[5].GetVectors().GetVectors().GetVectors()) != 1 {
		t.Fatalf("scroll: %v %v", sc, err)
	}
	// update_vectors sets a sparse vector.
	_, err = e.cl.UpdateVectors(ctx, &qdrant.UpdatePointVectors{CollectionName: "h", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointVectors{
		{Id: qdrant.NewIDNum(3), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"s": qdrant.NewVectorSparse([]uint32{5}, []float32{2})})}}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err = col.Get(ctx, []point.ID{point.NumID(3)}, engine.WithPayload{}, engine.WithVector{Enable: true})
	if err != nil || !reflect.DeepEqual(recs[0].Sparse["s"], point.SparseVector{Indices: []uint32{5}, Values: []float32{2}}) {
		t.Fatalf("update vectors: %v %v", recs, err)
	}
	// The engine's checks answer for bad sparse vectors.
	_, err = e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "h", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(9),
		Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"s": qdrant.NewVectorSparse([]uint32{1, 2}, []float32{1})})}}})
	wantCode(t, "length mismatch", err, codes.InvalidArgument, "must be the same length as indices")
}

// TestSparseQueries: sparse search and query (using "s") and a hybrid
// query (dense and sparse prefetches fused by rrf) answer over gRPC what
// the engine and REST answer.
func TestSparseQueries(t *testing.T) {
	e, col := hybridEnv(t)
	ctx := context.Background()
	sq := point.SparseVector{Indices: []uint32{1, 11}, Values: []float32{1, 0.5}}
	res, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "h", VectorName: qdrant.PtrOf("s"), Vector: sq.Values,
		SparseIndices: &qdrant.SparseIndices{Data: sq.Indices}, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	want, err := col.Search(ctx, engine.SearchRequest{Vector: engine.NamedVector{Name: "s", Sparse: &sq}, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "sparse search", res.GetResult(), want)
	four := 4
	got, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "h", Using: qdrant.PtrOf("s"), Query: qdrant.NewQuerySparse(sq.Indices, sq.Values), Limit: qdrant.PtrOf(uint64(4))})
	if err != nil {
		t.Fatal(err)
	}
	wantQ, err := col.Query(ctx, engine.QueryRequest{Using: "s", Query: &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: engine.VectorInput{Sparse: &sq}}, Limit: &four})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "sparse query", got, wantQ)
	if len(got) == 0 {
		t.Fatal("sparse query found nothing")
	}
	hybrid, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "h", Limit: qdrant.PtrOf(uint64(5)),
		Prefetch: []*qdrant.PrefetchQuery{
			{Using: qdrant.PtrOf("s"), Query: qdrant.NewQuerySparse(sq.Indices, sq.Values), Limit: qdrant.PtrOf(uint64(4))},
			{Using: qdrant.PtrOf("d"), Query: qdrant.NewQueryDense([]float32{1, 2}), Limit: qdrant.PtrOf(uint64(4))}},
		Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	if err != nil {
		t.Fatal(err)
	}
	var rest struct {
		Points []struct {
			ID    uint64
			Score float32
		}
	}
	body := `{"prefetch":[{"using":"s","query":{"indices":[1,11],"values":[1,0.5]},"limit":4},{"using":"d","query":[1,2],"limit":4}],"query":{"fusion":"rrf"},"limit":5}`
	if err := json.Unmarshal(e.rest(t, "POST", "/collections/h/points/query", body), &rest); err != nil {
		t.Fatal(err)
	}
	if len(hybrid) != len(rest.Points) || len(hybrid) < 4 {
		t.Fatalf("hybrid: gRPC %v, REST %v", hybrid, rest.Points)
	}
	for i, p := range rest.Points {
		if hybrid[i].GetId().GetNum() != p.ID || hybrid[i].GetScore() != p.Score {
			t.Fatalf("hybrid[%d]: gRPC %v, REST %v", i, hybrid[i], p)
		}
	}
}

// TestSparseUnnamedRefused: a sparse vector as a point's unnamed vector
// (or for a collection without sparse vectors) is refused as REST refuses
// it, and nothing is written.
func TestSparseUnnamedRefused(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	_, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsSparse([]uint32{1}, []float32{1})}}})
	wantCode(t, "unnamed sparse", err, codes.InvalidArgument)
	_, err = e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"s": qdrant.NewVectorSparse([]uint32{1}, []float32{1})})}}})
	wantCode(t, "unknown sparse name", err, codes.InvalidArgument)
	recs, err := e.col.Get(ctx, []point.ID{point.NumID(1)}, engine.WithPayload{}, engine.WithVector{Enable: true})
	if err != nil || len(recs) != 1 || len(recs[0].Vector[""]) != 4 || recs[0].Sparse != nil {
		t.Fatalf("point 1 changed: %v %v", recs, err)
	}
}

// TestSparseMatrixAndDiscoverGRPC: the search matrix on a sparse vector
// answers the engine's matrix; discover and context on one answer the
// engine's clear refusal as InvalidArgument.
func TestSparseMatrixAndDiscoverGRPC(t *testing.T) {
	e, col := hybridEnv(t)
	ctx := context.Background()
	got, err := e.pc.SearchMatrixPairs(ctx, &qdrant.SearchMatrixPoints{CollectionName: "h", Using: qdrant.PtrOf("s"),
		Sample: qdrant.PtrOf(uint64(6)), Limit: qdrant.PtrOf(uint64(2))})
	if err != nil {
		t.Fatal(err)
	}
	want, err := col.SearchMatrixPairs(ctx, engine.MatrixRequest{Using: "s", Sample: qdrant.PtrOf(6), Limit: qdrant.PtrOf(2)})
	if err != nil {
		t.Fatal(err)
	}
	pairs := got.GetResult().GetPairs()
	if len(pairs) != len(want.Pairs) || len(pairs) != 12 {
		t.Fatalf("pairs %v, engine %+v", pairs, want)
	}
	for i, p := range pairs {
		if w := want.Pairs[i]; p.GetA().GetNum() != w.A.Num() || p.GetB().GetNum() != w.B.Num() || p.GetScore() != w.Score {
			t.Fatalf("pair %d: %v, engine %+v", i, p, w)
		}
	}
	ex := func(n uint64) *qdrant.VectorExample {
		return &qdrant.VectorExample{Example: &qdrant.VectorExample_Id{Id: qdrant.NewIDNum(n)}}
	}
	pair := []*qdrant.ContextExamplePair{{Positive: ex(1), Negative: ex(2)}}
	_, err = e.pc.Discover(ctx, &qdrant.DiscoverPoints{CollectionName: "h", Using: qdrant.PtrOf("s"), Limit: 2,
		Target: &qdrant.TargetVector{Target: &qdrant.TargetVector_Single{Single: ex(3)}}, Context: pair})
	wantCode(t, "discover", err, codes.InvalidArgument, "discover on sparse vector s is not supported by Cairn")
	_, err = e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "h", Using: qdrant.PtrOf("s"), Query: qdrant.NewQueryContext(&qdrant.ContextInput{
		Pairs: []*qdrant.ContextInputPair{{Positive: qdrant.NewVectorInputID(qdrant.NewIDNum(1)), Negative: qdrant.NewVectorInputID(qdrant.NewIDNum(2))}}})})
	wantCode(t, "query context", err, codes.InvalidArgument, "context on sparse vector s is not supported by Cairn")
}
