package grpcapi

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/server"
)

// pointsEnv is a test server with collection "c" (4-d cosine) holding
// points 1..6, and the engine's collection to compare answers with.
type pointsEnv struct {
	*testEnv
	pc  qdrant.PointsClient
	cl  *qdrant.Client
	col *engine.Collection
}

var cities = []string{"Oslo", "Bergen", "Oslo", "Tromsø", "Bergen", "Oslo"}

func newPointsEnv(t *testing.T) *pointsEnv {
	t.Helper()
	e := newTestEnv(t, Options{})
	e.mustCreate(t, "c")
	cl := e.officialClient(t, "")
	pe := &pointsEnv{testEnv: e, pc: cl.GetPointsClient(), cl: cl}
	var pts []*qdrant.PointStruct
	for i := 1; i <= 6; i++ {
		f := float32(i)
		pts = append(pts, &qdrant.PointStruct{
			Id:      qdrant.NewIDNum(uint64(i)),
			Vectors: qdrant.NewVectors(1, f, f*f, 7-f),
			Payload: qdrant.NewValueMap(map[string]any{"city": cities[i-1], "n": i, "w": float64(i) / 2}),
		})
	}
	res, err := cl.Upsert(context.Background(), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: pts})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetStatus() != qdrant.UpdateStatus_Completed || res.OperationId == nil {
		t.Fatalf("upsert with wait: %v", res)
	}
	if pe.col, err = e.st.Collection("c"); err != nil {
		t.Fatal(err)
	}
	return pe
}

// rest answers a REST request against the same storage.
func (e *pointsEnv) rest(t *testing.T, method, path, body string) json.RawMessage {
	t.Helper()
	h := server.New(server.Options{Storage: e.st, Logger: quiet})
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	var env struct{ Result json.RawMessage }
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	return env.Result
}

// sameScored fails unless the gRPC answer holds the engine's points, in
// order, with the same scores, payloads and vectors.
func sameScored(t *testing.T, what string, got []*qdrant.ScoredPoint, want []engine.ScoredPoint) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, engine has %d", what, len(got), len(want))
	}
	exp := scoredToProto(want)
	for i := range got {
		if got[i].String() != exp[i].String() {
			t.Fatalf("%s[%d]: got %v\nengine %v", what, i, got[i], exp[i])
		}
	}
}

func ids(pts []*qdrant.ScoredPoint) []uint64 {
	out := make([]uint64, len(pts))
	for i, p := range pts {
		out[i] = p.GetId().GetNum()
	}
	return out
}

func TestPointsSearchMatchesEngineAndREST(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	q := []float32{1, 3, 9, 4}
	filter := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("city", "Oslo")}}
	got, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: q, Limit: 2, Filter: filter,
		WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.col.Search(ctx, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 2,
		Filter:      mustFilter(t, `{"must":[{"key":"city","match":{"value":"Oslo"}}]}`),
		WithPayload: &engine.WithPayload{Enable: true}, WithVector: &engine.WithVector{Enable: true}})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "search", got.GetResult(), want)
	if got.GetTime() <= 0 {
		t.Errorf("time %v, want the seconds taken", got.GetTime())
	}
	// REST answers the same points and scores for the same request.
	var rest []struct {
		ID    uint64  `json:"id"`
		Score float32 `json:"score"`
	}
	if err := json.Unmarshal(e.rest(t, "POST", "/collections/c/points/search",
		`{"vector":[1,3,9,4],"limit":2,"filter":{"must":[{"key":"city","match":{"value":"Oslo"}}]}}`), &rest); err != nil {
		t.Fatal(err)
	}
	for i, r := range rest {
		if r.ID != got.GetResult()[i].GetId().GetNum() || r.Score != got.GetResult()[i].GetScore() {
			t.Fatalf("REST %v, gRPC %v", rest, got.GetResult())
		}
	}
	// Payload keys as stored: integers, doubles, strings.
	pl := got.GetResult()[0].GetPayload()
	if _, ok := pl["n"].GetKind().(*qdrant.Value_IntegerValue); !ok {
		t.Errorf("n: %v, want an integer", pl["n"])
	}
	if _, ok := pl["w"].GetKind().(*qdrant.Value_DoubleValue); !ok {
		t.Errorf("w: %v, want a double", pl["w"])
	}

	batch, err := e.pc.SearchBatch(ctx, &qdrant.SearchBatchPoints{CollectionName: "c", SearchPoints: []*qdrant.SearchPoints{
		{CollectionName: "c", Vector: q, Limit: 3}, {CollectionName: "c", Vector: []float32{1, 0, 0, 0}, Limit: 1, Offset: qdrant.PtrOf(uint64(1))}}})
	if err != nil {
		t.Fatal(err)
	}
	wantBatch, err := e.col.SearchBatch(ctx, []engine.SearchRequest{{Vector: engine.NamedVector{Vector: q}, Limit: 3},
		{Vector: engine.NamedVector{Vector: []float32{1, 0, 0, 0}}, Limit: 1, Offset: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantBatch {
		sameScored(t, "batch", batch.GetResult()[i].GetResult(), wantBatch[i])
	}
}

func mustFilter(t *testing.T, js string) *payload.Filter {
	t.Helper()
	var sel struct {
		Filter *payload.Filter `json:"filter"`
	}
	if err := json.Unmarshal([]byte(`{"filter":`+js+`}`), &sel); err != nil {
		t.Fatal(err)
	}
	return sel.Filter
}

func TestPointsQueryAndRecommendMatchEngine(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	got, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c",
		Prefetch: []*qdrant.PrefetchQuery{
			{Query: qdrant.NewQueryDense([]float32{1, 1, 1, 6}), Limit: qdrant.PtrOf(uint64(4))},
			{Query: qdrant.NewQueryDense([]float32{1, 6, 36, 1}), Limit: qdrant.PtrOf(uint64(4))},
		},
		Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF), Limit: qdrant.PtrOf(uint64(3)), WithPayload: qdrant.NewWithPayloadInclude("city")})
	if err != nil {
		t.Fatal(err)
	}
	four, three := 4, 3
	want, err := e.col.Query(ctx, engine.QueryRequest{
		Prefetch: []engine.QueryRequest{
			{Query: &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: engine.VectorInput{Vector: []float32{1, 1, 1, 6}}}, Limit: &four},
			{Query: &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: engine.VectorInput{Vector: []float32{1, 6, 36, 1}}}, Limit: &four},
		},
		Query: &engine.QueryExpr{Kind: engine.QueryFusion, Fusion: engine.FusionRRF}, Limit: &three,
		WithPayload: &engine.WithPayload{Enable: true, Include: []string{"city"}}})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "query", got, want)

	// Nearest by point id leaves the point out, as REST.
	byID, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryID(qdrant.NewIDNum(2)), Limit: qdrant.PtrOf(uint64(10))})
	if err != nil {
		t.Fatal(err)
	}
	var restIDs []struct{ ID uint64 }
	var restQ struct{ Points []struct{ ID uint64 } }
	if err := json.Unmarshal(e.rest(t, "POST", "/collections/c/points/query", `{"query":2,"limit":10}`), &restQ); err != nil {
		t.Fatal(err)
	}
	restIDs = restQ.Points
	if len(restIDs) != len(byID) || len(byID) != 5 {
		t.Fatalf("query by id: gRPC %v, REST %v", ids(byID), restIDs)
	}
	for i := range byID {
		if byID[i].GetId().GetNum() != restIDs[i].ID {
			t.Fatalf("query by id: gRPC %v, REST %v", ids(byID), restIDs)
		}
	}

	qb, err := e.cl.QueryBatch(ctx, &qdrant.QueryBatchPoints{CollectionName: "c", QueryPoints: []*qdrant.QueryPoints{
		{CollectionName: "c", Query: qdrant.NewQueryID(qdrant.NewIDNum(2))}, {CollectionName: "c"}}})
	if err != nil || len(qb) != 2 || len(qb[0].GetResult()) != 5 || len(qb[1].GetResult()) != 6 {
		t.Fatalf("query batch: %v %v", qb, err)
	}

	rec, err := e.pc.Recommend(ctx, &qdrant.RecommendPoints{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(1)},
		NegativeVectors: []*qdrant.Vector{qdrant.NewVector(1, 6, 36, 1)}, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	one := point.NumID(1)
	wantRec, err := e.col.Recommend(ctx, engine.RecommendRequest{Positive: []engine.VectorInput{{ID: &one}},
		Negative: []engine.VectorInput{{Vector: []float32{1, 6, 36, 1}}}, Limit: &three})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "recommend", rec.GetResult(), wantRec)
	rb, err := e.pc.RecommendBatch(ctx, &qdrant.RecommendBatchPoints{CollectionName: "c", RecommendPoints: []*qdrant.RecommendPoints{
		{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(1)}, NegativeVectors: []*qdrant.Vector{qdrant.NewVector(1, 6, 36, 1)}, Limit: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "recommend batch", rb.GetResult()[0].GetResult(), wantRec)
	for _, st := range []qdrant.RecommendStrategy{qdrant.RecommendStrategy_BestScore, qdrant.RecommendStrategy_SumScores} {
		name, _ := strategyFromProto(&st)
		got, err := e.pc.Recommend(ctx, &qdrant.RecommendPoints{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(1)},
			NegativeVectors: []*qdrant.Vector{qdrant.NewVector(1, 6, 36, 1)}, Limit: 3, Strategy: &st})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := e.col.Recommend(ctx, engine.RecommendRequest{Positive: []engine.VectorInput{{ID: &one}},
			Negative: []engine.VectorInput{{Vector: []float32{1, 6, 36, 1}}}, Strategy: name, Limit: &three})
		if err != nil {
			t.Fatal(err)
		}
		sameScored(t, name, got.GetResult(), want)
	}
	_, err = e.pc.Recommend(ctx, &qdrant.RecommendPoints{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(99)}, Limit: 3})
	wantCode(t, "missing example", err, codes.NotFound, "No point with id 99 found")
}

func TestPointsGetScrollCount(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	got, err := e.cl.Get(ctx, &qdrant.GetPoints{CollectionName: "c", Ids: []*qdrant.PointId{qdrant.NewIDNum(3), qdrant.NewIDNum(42), qdrant.NewIDNum(1)},
		WithVectors: qdrant.NewWithVectors(true)})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := e.col.Get(ctx, []point.ID{point.NumID(3), point.NumID(42), point.NumID(1)}, engine.WithPayload{Enable: true}, engine.WithVector{Enable: true})
	if err != nil {
		t.Fatal(err)
	}
	if exp := recordsToProto(recs); len(got) != 2 || got[0].String() != exp[0].String() || got[1].String() != exp[1].String() {
		t.Fatalf("get: %v\nengine %v", got, exp)
	}
	if got[0].GetPayload()["city"].GetStringValue() != "Oslo" {
		t.Fatalf("get returns the payload by default: %v", got[0])
	}

	// Scroll pages of 4 then 2, the offset carried over.
	page, next, err := e.cl.ScrollAndOffset(ctx, &qdrant.ScrollPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint32(4))})
	if err != nil || len(page) != 4 || next.GetNum() != 5 {
		t.Fatalf("scroll: %v next %v %v", page, next, err)
	}
	page, next, err = e.cl.ScrollAndOffset(ctx, &qdrant.ScrollPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint32(4)), Offset: next,
		WithPayload: qdrant.NewWithPayload(false)})
	if err != nil || len(page) != 2 || next != nil || page[0].GetPayload() != nil && len(page[0].GetPayload()) > 0 {
		t.Fatalf("scroll page 2: %v next %v %v", page, next, err)
	}
	_, err = e.cl.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint32(0))})
	wantCode(t, "scroll limit 0", err, codes.InvalidArgument, "limit")

	n, err := e.cl.Count(ctx, &qdrant.CountPoints{CollectionName: "c", Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("city", "Bergen")}}})
	if err != nil || n != 2 {
		t.Fatalf("count: %d %v", n, err)
	}
	var restCount struct{ Count uint64 }
	if err := json.Unmarshal(e.rest(t, "POST", "/collections/c/points/count", `{"filter":{"must":[{"key":"city","match":{"value":"Bergen"}}]}}`), &restCount); err != nil || restCount.Count != n {
		t.Fatalf("REST count %v %v", restCount, err)
	}

	// order_by needs a range index on the key.
	if _, err := e.cl.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "c", FieldName: "n",
		FieldType: qdrant.FieldType_FieldTypeInteger.Enum(), Wait: qdrant.PtrOf(true)}); err != nil {
		t.Fatal(err)
	}
	ordered, err := e.cl.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint32(2)),
		OrderBy: &qdrant.OrderBy{Key: "n", Direction: qdrant.Direction_Desc.Enum()}})
	if err != nil || len(ordered) != 2 || ordered[0].GetId().GetNum() != 6 || ordered[0].GetOrderValue().GetInt() != 6 {
		t.Fatalf("scroll by n desc: %v %v", ordered, err)
	}
	info, err := e.st.CollectionInfo("c")
	if err != nil || info.PayloadSchema["n"].DataType != "integer" {
		t.Fatalf("index: %+v %v", info.PayloadSchema, err)
	}
	if _, err := e.cl.DeleteFieldIndex(ctx, &qdrant.DeleteFieldIndexCollection{CollectionName: "c", FieldName: "n", Wait: qdrant.PtrOf(true)}); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.st.CollectionInfo("c"); len(info.PayloadSchema) != 0 {
		t.Fatalf("index not deleted: %+v", info.PayloadSchema)
	}
}

// TestPointsTimeoutIsREST's: a request's timeout bounds the engine's
// context as REST's ?timeout does, and an operation stopped by it answers
// Qdrant's timeout message. fn waits for its context, so the outcome does
// not depend on how long anything takes.
func TestPointsTimeoutIsRESTs(t *testing.T) {
	e := newPointsEnv(t)
	p := &pointsService{s: e.srv}
	err := p.call(context.Background(), "c", "Search", qdrant.PtrOf(uint64(1)), func(ctx context.Context, _ *engine.Collection) error {
		<-ctx.Done()
		return ctx.Err()
	})
	wantCode(t, "timed out", err, codes.DeadlineExceeded, "Timeout error: Operation 'Search' timed out after 1 seconds")
	if secs, err := timeoutSecs(qdrant.PtrOf(uint64(math.MaxUint64))); err != nil || secs != engine.MaxTimeoutSeconds+1 {
		t.Fatalf("huge timeout: %d %v (want no deadline at all)", secs, err)
	}
	if secs, err := timeoutSecs(nil); err != nil || secs != 0 {
		t.Fatalf("no timeout: %d %v", secs, err)
	}
}

func TestPointsLookupFromAndIndexParams(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	e.mustCreate(t, "other")
	if _, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "other", Wait: qdrant.PtrOf(true),
		Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(100), Vectors: qdrant.NewVectors(1, 1, 1, 6)}}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.pc.Recommend(ctx, &qdrant.RecommendPoints{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(100)}, Limit: 2,
		LookupFrom: &qdrant.LookupLocation{CollectionName: "other"}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.col.Search(ctx, engine.SearchRequest{Vector: engine.NamedVector{Vector: []float32{1, 1, 1, 6}}, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "recommend from other", got.GetResult(), want)

	if _, err := e.cl.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "c", FieldName: "city", Wait: qdrant.PtrOf(true),
		FieldType:        qdrant.FieldType_FieldTypeKeyword.Enum(),
		FieldIndexParams: qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)})}); err != nil {
		t.Fatal(err)
	}
	info := string(e.rest(t, "GET", "/collections/c", ""))
	if !strings.Contains(info, `"city":{"data_type":"keyword","params":{"is_tenant":true,"type":"keyword"}`) {
		t.Fatalf("REST reports %s", info)
	}
}

func TestPointsNamedVectorsAndUUIDs(t *testing.T) {
	e := newTestEnv(t, Options{})
	ctx := context.Background()
	if err := e.st.CreateCollection("n", engine.CreateCollection{Vectors: engine.VectorsConfig{
		"img": {Size: 2, Distance: point.Dot}, "txt": {Size: 3, Distance: point.Euclid}}}); err != nil {
		t.Fatal(err)
	}
	cl := e.officialClient(t, "")
	u := "8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f"
	_, err := cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "n", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{
		{Id: qdrant.NewID(u), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"img": qdrant.NewVectorDense([]float32{1, 0}), "txt": qdrant.NewVector(0, 0, 1)})},
		{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"img": qdrant.NewVector(0, 1)})},
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cl.GetPointsClient().Search(ctx, &qdrant.SearchPoints{CollectionName: "n", VectorName: qdrant.PtrOf("img"), Vector: []float32{2, 1}, Limit: 5,
		WithVectors: qdrant.NewWithVectorsInclude("txt")})
	if err != nil {
		t.Fatal(err)
	}
	got := res.GetResult()
	if len(got) != 2 || got[0].GetId().GetUuid() != u || got[0].GetScore() != 2 || got[1].GetScore() != 1 {
		t.Fatalf("search img: %v", got)
	}
	if v := got[0].GetVectors().GetVectors().GetVectors(); len(v) != 1 || !reflect.DeepEqual(v["txt"].GetDenseVector().GetData(), []float32{0, 0, 1}) {
		t.Fatalf("with_vectors [txt]: %v", got[0].GetVectors())
	}
	_, err = cl.GetPointsClient().Search(ctx, &qdrant.SearchPoints{CollectionName: "n", VectorName: qdrant.PtrOf("nope"), Vector: []float32{2, 1}, Limit: 5})
	wantCode(t, "unknown vector name", err, codes.InvalidArgument, "nope")
	// REST reads the UUID point gRPC wrote.
	pe := &pointsEnv{testEnv: e}
	if js := string(pe.rest(t, "GET", "/collections/n/points/"+u, "")); !strings.Contains(js, `"img":[1.0,0.0]`) {
		t.Fatalf("REST reads %s", js)
	}
}

// TestPointsPrefetchBounds: the engine's bounds on the prefetch tree, its
// depth and its size, answer gRPC as they answer REST.
func TestPointsPrefetchBounds(t *testing.T) {
	e := newPointsEnv(t)
	chain := func(levels int) []*qdrant.PrefetchQuery {
		// Every level with a prefetch merges it: Qdrant refuses
		// prefetches without a query.
		p := &qdrant.PrefetchQuery{}
		for range levels - 1 {
			p = &qdrant.PrefetchQuery{Prefetch: []*qdrant.PrefetchQuery{p}, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)}
		}
		return []*qdrant.PrefetchQuery{p}
	}
	ctx := context.Background()
	if _, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Prefetch: chain(engine.MaxPrefetchDepth), Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)}); err != nil {
		t.Fatalf("%d levels: %v", engine.MaxPrefetchDepth, err)
	}
	_, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Prefetch: chain(engine.MaxPrefetchDepth + 1), Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	wantCode(t, "too deep", err, codes.InvalidArgument, "Bad request: Limit exceeded: prefetch queries are nested deeper than 64 levels")
	wide := make([]*qdrant.PrefetchQuery, engine.DefaultMaxQueryPrefetches+5)
	for i := range wide {
		wide[i] = &qdrant.PrefetchQuery{}
	}
	_, err = e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Prefetch: wide, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	wantCode(t, "too many", err, codes.InvalidArgument, "more than 1024 prefetch queries")
}
