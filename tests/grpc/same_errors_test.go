package grpctests

import (
	"math"
	"net/http"
	"strconv"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// grpcCodeOf is the gRPC code Qdrant answers for a REST status.
func grpcCodeOf(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusOK:
		return codes.OK
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return codes.InvalidArgument
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.AlreadyExists
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	}
	return codes.Unknown
}

// TestSameValidation: the same mistake made over REST and over gRPC is
// refused by both, with the code matching REST's status and, where the
// check is the engine's, the same message.
func TestSameValidation(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	c.createCollection("c")
	c.upsert("c", 0, 10)
	v := vec(1)
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		grpc         func() error
		sameText     bool
	}{
		{"search limit 0", "POST", "/collections/c/points/search", map[string]any{"vector": v, "limit": 0},
			func() error {
				_, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: v, Limit: 0})
				return err
			}, false},
		{"search hnsw_ef 0", "POST", "/collections/c/points/search", map[string]any{"vector": v, "limit": 3, "params": map[string]any{"hnsw_ef": 0}},
			func() error {
				_, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: v, Limit: 3, Params: &qdrant.SearchParams{HnswEf: qdrant.PtrOf(uint64(0))}})
				return err
			}, false},
		{"search an unknown vector name", "POST", "/collections/c/points/search", map[string]any{"vector": map[string]any{"name": "nope", "vector": v}, "limit": 3},
			func() error {
				_, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: v, Limit: 3, VectorName: qdrant.PtrOf("nope")})
				return err
			}, true},
		{"recommend with no examples", "POST", "/collections/c/points/recommend", map[string]any{"positive": []int{}, "limit": 3},
			func() error {
				_, err := pc.Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: "c", Limit: 3})
				return err
			}, false},
		{"recommend from a missing point", "POST", "/collections/c/points/recommend", map[string]any{"positive": []int{999}, "limit": 3},
			func() error {
				_, err := pc.Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: "c", Limit: 3, Positive: []*qdrant.PointId{qdrant.NewIDNum(999)}})
				return err
			}, true},
		{"discover without target or context", "POST", "/collections/c/points/discover", map[string]any{"limit": 3},
			func() error {
				_, err := pc.Discover(ctx(t), &qdrant.DiscoverPoints{CollectionName: "c", Limit: 3})
				return err
			}, true},
		{"query by a missing point", "POST", "/collections/c/points/query", map[string]any{"query": 999, "limit": 3},
			func() error {
				_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryID(qdrant.NewIDNum(999)), Limit: qdrant.PtrOf(uint64(3))})
				return err
			}, true},
		{"upsert a malformed uuid", "PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{map[string]any{"id": "not-a-uuid", "vector": v}}},
			func() error {
				_, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true),
					Points: []*qdrant.PointStruct{{Id: qdrant.NewID("not-a-uuid"), Vectors: qdrant.NewVectorsDense(v)}}})
				return err
			}, false},
		{"create an existing collection", "PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": dim, "distance": "Dot"}},
			func() error {
				return cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "c",
					VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot})})
			}, true},
		{"alias to an unknown collection", "POST", "/collections/aliases", map[string]any{"actions": []any{map[string]any{"create_alias": map[string]any{"alias_name": "a", "collection_name": "nope"}}}},
			func() error { return cl.CreateAlias(ctx(t), "a", "nope") }, true},
		{"create a collection with 70000-d vectors", "PUT", "/collections/big", map[string]any{"vectors": map[string]any{"size": 70000, "distance": "Dot"}},
			func() error {
				return cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "big",
					VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 70000, Distance: qdrant.Distance_Dot})})
			}, true},
	} {
		code, restMsg := c.restError(tc.method, tc.path, tc.body)
		if code == http.StatusOK {
			t.Errorf("%s: REST accepted it", tc.name)
			continue
		}
		err := tc.grpc()
		wantCode(t, tc.name+" (REST "+http.StatusText(code)+": "+restMsg+")", err, grpcCodeOf(code))
		if tc.sameText {
			sameMessage(t, tc.name, err, restMsg)
		}
	}
	// gRPC can send what JSON cannot: NaN and Inf components are refused.
	for _, x := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		_, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true),
			Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(50), Vectors: qdrant.NewVectorsDense([]float32{x, 0, 0, 0})}}})
		wantCode(t, "upsert a vector holding "+qdrant.NewValueDouble(float64(x)).String(), err, codes.InvalidArgument)
		_, err = pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{x, 0, 0, 0}, Limit: 3})
		wantCode(t, "search a vector holding NaN or Inf", err, codes.InvalidArgument)
	}
	if got := c.count("c", nil); got != 10 {
		t.Errorf("count after the refused writes = %d, want 10", got)
	}
}

// TestUnsupportedNamed: what Cairn's engine lacks (multi-vectors,
// inference inputs) answers Unimplemented with the feature named, never
// the generated "method X not implemented" and never a silent answer.
func TestUnsupportedNamed(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, 10)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"multi-vectors", func() error {
			_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryMulti([][]float32{vec(1), vec(2)})})
			return err
		}},
		{"inference (document vectors)", func() error {
			_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryNearest(qdrant.NewVectorInputDocument(&qdrant.Document{Text: "x", Model: "m"}))})
			return err
		}},
	} {
		wantCode(t, tc.name, tc.call(), codes.Unimplemented, tc.name, "not supported by Cairn")
	}
}

// TestPrefetchFanOutBounded: a query whose prefetch tree holds more than
// the engine's bound (1024) is refused over gRPC with REST's message, and
// one nested deeper than 64 levels is refused by both transports with the
// same message (before the engine held the depth bound, REST refused 65
// levels and gRPC served them).
func TestPrefetchFanOutBounded(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, 10)
	const over = 1025
	wide := make([]*qdrant.PrefetchQuery, over)
	restWide := make([]any, over)
	for i := range wide {
		wide[i] = &qdrant.PrefetchQuery{Query: qdrant.NewQueryDense(vec(i)), Limit: qdrant.PtrOf(uint64(1))}
		restWide[i] = map[string]any{"query": vec(i), "limit": 1}
	}
	deep := &qdrant.PrefetchQuery{Query: qdrant.NewQueryDense(vec(0)), Limit: qdrant.PtrOf(uint64(1))}
	for i := 1; i < over; i++ {
		deep = &qdrant.PrefetchQuery{Query: qdrant.NewQueryDense(vec(i)), Limit: qdrant.PtrOf(uint64(1)), Prefetch: []*qdrant.PrefetchQuery{deep}}
	}
	_, restMsg := c.restError("POST", "/collections/c/points/query", map[string]any{"prefetch": restWide, "query": map[string]any{"fusion": "rrf"}})
	_, err := c.client.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Prefetch: wide, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	wantCode(t, "1025 siblings", err, codes.InvalidArgument, "1024")
	sameMessage(t, "1025 siblings", err, restMsg)
	_, err = c.client.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Prefetch: []*qdrant.PrefetchQuery{deep}, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	wantCode(t, "1025 nested", err, codes.InvalidArgument)

	// Depth: 64 levels are served over both transports, 65 refused by both
	// with the same message (the engine's bound).
	for _, depth := range []int{64, 65} {
		var rd any = map[string]any{"query": vec(0), "limit": 1}
		gd := &qdrant.PrefetchQuery{Query: qdrant.NewQueryDense(vec(0)), Limit: qdrant.PtrOf(uint64(1))}
		for i := 1; i < depth; i++ {
			rd = map[string]any{"query": vec(i), "limit": 1, "prefetch": []any{rd}}
			gd = &qdrant.PrefetchQuery{Query: qdrant.NewQueryDense(vec(i)), Limit: qdrant.PtrOf(uint64(1)), Prefetch: []*qdrant.PrefetchQuery{gd}}
		}
		code, msg := c.restError("POST", "/collections/c/points/query", map[string]any{"prefetch": []any{rd}, "query": map[string]any{"fusion": "rrf"}})
		_, err := c.client.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Prefetch: []*qdrant.PrefetchQuery{gd}, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
		what := strconv.Itoa(depth) + " levels of prefetch"
		if depth == 64 {
			if code != http.StatusOK || err != nil {
				t.Errorf("%s: REST %d %q, gRPC %v; want both served", what, code, msg, err)
			}
			continue
		}
		wantCode(t, what+" (REST: "+msg+")", err, grpcCodeOf(code), "64 levels")
		sameMessage(t, what, err, msg)
	}
	_, err = c.client.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Prefetch: wide[:1024], Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	if err != nil {
		t.Errorf("1024 prefetches, the bound itself: %v", err)
	}
}

// TestFilterDepthSame: filters nested (a filter as a condition of the
// next) 64 and 65 levels deep get the same answer over REST and gRPC.
func TestFilterDepthSame(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, 10)
	for _, depth := range []int{60, 64, 65, 70} {
		rf := map[string]any{"must": []any{match("city", map[string]any{"value": "Oslo"})}}
		gf := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatch("city", "Oslo")}}
		for i := 1; i < depth; i++ {
			rf = map[string]any{"must": []any{rf}}
			gf = &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewFilterAsCondition(gf)}}
		}
		code, msg := c.restError("POST", "/collections/c/points/count", map[string]any{"filter": rf, "exact": true})
		_, err := c.client.Count(ctx(t), &qdrant.CountPoints{CollectionName: "c", Filter: gf, Exact: qdrant.PtrOf(true)})
		what := strconv.Itoa(depth) + " nested filters"
		if code == http.StatusOK {
			if err != nil {
				t.Errorf("%s: REST serves it, gRPC answers %v", what, err)
			}
			continue
		}
		wantCode(t, what+" (REST "+strconv.Itoa(code)+": "+msg+")", err, grpcCodeOf(code))
	}
}
