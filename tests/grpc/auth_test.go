package grpctests

import (
	"context"
	"strconv"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

// call is one gRPC call made with a given client.
type call struct {
	name string
	do   func(t *testing.T, cl *qdrant.Client) error
}

// readCalls are calls the read-only key may make.
var readCalls = []call{
	{"ListCollections", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.ListCollections(ctx(t)); return err }},
	{"GetCollectionInfo", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.GetCollectionInfo(ctx(t), "c"); return err }},
	{"CollectionExists", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.CollectionExists(ctx(t), "c"); return err }},
	{"ListAliases", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.ListAliases(ctx(t)); return err }},
	{"Count", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.Count(ctx(t), &qdrant.CountPoints{CollectionName: "c", Exact: qdrant.PtrOf(true)})
		return err
	}},
	{"Get", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "c", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}})
		return err
	}},
	{"Scroll", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "c"})
		return err
	}},
	{"Search", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: vec(1), Limit: 3})
		return err
	}},
	{"Query", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryDense(vec(1))})
		return err
	}},
	{"Recommend", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.GetPointsClient().Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(3)}, Limit: 3})
		return err
	}},
	{"SearchBatch", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.GetPointsClient().SearchBatch(ctx(t), &qdrant.SearchBatchPoints{CollectionName: "c",
			SearchPoints: []*qdrant.SearchPoints{{CollectionName: "c", Vector: vec(1), Limit: 3}}})
		return err
	}},
	{"QueryBatch", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.QueryBatch(ctx(t), &qdrant.QueryBatchPoints{CollectionName: "c",
			QueryPoints: []*qdrant.QueryPoints{{CollectionName: "c", Query: qdrant.NewQueryDense(vec(1))}}})
		return err
	}},
	{"ListCollectionAliases", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.ListCollectionAliases(ctx(t), "c")
		return err
	}},
	{"ListSnapshots", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.ListSnapshots(ctx(t), "c"); return err }},
	{"ListFullSnapshots", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.ListFullSnapshots(ctx(t)); return err }},
}

// writeCalls are calls the read-only key may not make.
var writeCalls = []call{
	{"CreateCollection", func(t *testing.T, cl *qdrant.Client) error {
		return cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "new",
			VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot})})
	}},
	{"DeleteCollection", func(t *testing.T, cl *qdrant.Client) error { return cl.DeleteCollection(ctx(t), "c") }},
	{"CreateAlias", func(t *testing.T, cl *qdrant.Client) error { return cl.CreateAlias(ctx(t), "a", "c") }},
	{"Upsert", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: points(100, 101)})
		return err
	}},
	{"Delete", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1))})
		return err
	}},
	{"ClearPayload", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.ClearPayload(ctx(t), &qdrant.ClearPayloadPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(2))})
		return err
	}},
	{"CreateFieldIndex", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: "c", FieldName: "city", FieldType: qdrant.PtrOf(qdrant.FieldType_FieldTypeKeyword)})
		return err
	}},
	{"UpdateCollection", func(t *testing.T, cl *qdrant.Client) error {
		return cl.UpdateCollection(ctx(t), &qdrant.UpdateCollection{CollectionName: "c",
			OptimizersConfig: &qdrant.OptimizersConfigDiff{IndexingThreshold: qdrant.PtrOf(uint64(1000))}})
	}},
	{"SetPayload", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "c", Wait: qdrant.PtrOf(true),
			Payload: qdrant.NewValueMap(map[string]any{"x": 1}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(3))})
		return err
	}},
	{"UpdateVectors", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.UpdateVectors(ctx(t), &qdrant.UpdatePointVectors{CollectionName: "c", Wait: qdrant.PtrOf(true),
			Points: []*qdrant.PointVectors{{Id: qdrant.NewIDNum(3), Vectors: qdrant.NewVectorsDense(vec(33))}}})
		return err
	}},
	{"UpdateBatch", func(t *testing.T, cl *qdrant.Client) error {
		_, err := cl.UpdateBatch(ctx(t), &qdrant.UpdateBatchPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Operations: []*qdrant.PointsUpdateOperation{
			qdrant.NewPointsUpdateUpsert(&qdrant.PointsUpdateOperation_PointStructList{Points: points(200, 201)})}})
		return err
	}},
	{"CreateSnapshot", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.CreateSnapshot(ctx(t), "c"); return err }},
	{"CreateFullSnapshot", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.CreateFullSnapshot(ctx(t)); return err }},
}

// TestAPIKeys: no key and a wrong key are Unauthenticated on every call
// but the health check; the read-only key reads and is PermissionDenied on
// writes, which change nothing; the full key in `authorization: Bearer`
// is accepted as Qdrant accepts it.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, 10)
	for _, k := range []struct{ name, key string }{{"no key", ""}, {"wrong key", "not-the-key"}} {
		cl := c.dial(k.key)
		if _, err := cl.HealthCheck(ctx(t)); err != nil {
			t.Errorf("%s: health check: %v", k.name, err)
		}
		for _, cc := range append(readCalls, writeCalls...) {
			wantCode(t, k.name+": "+cc.name, cc.do(t, cl), codes.Unauthenticated)
		}
	}
	ro := c.dial(readOnlyKey)
	for _, cc := range readCalls {
		if err := cc.do(t, ro); err != nil {
			t.Errorf("read-only key: %s: %v", cc.name, err)
		}
	}
	for _, cc := range writeCalls {
		wantCode(t, "read-only key: "+cc.name, cc.do(t, ro), codes.PermissionDenied)
	}
	// Nothing the refused writes asked for happened.
	if got := c.count("c", nil); got != 10 {
		t.Errorf("count after refused writes = %d, want 10", got)
	}
	if names, err := c.client.ListCollections(ctx(t)); err != nil || len(names) != 1 {
		t.Errorf("collections after refused writes = %v, %v; want [c]", names, err)
	}
	if s, err := c.client.ListSnapshots(ctx(t), "c"); err != nil || len(s) != 0 {
		t.Errorf("snapshots after refused writes = %v, %v; want none", snapshotNames(s), err)
	}
	if a, err := c.client.ListAliases(ctx(t)); err != nil || len(a) != 0 {
		t.Errorf("aliases after refused writes = %v, %v; want none", a, err)
	}
	for _, cc := range writeCalls {
		if cc.name == "DeleteCollection" {
			continue
		}
		if err := cc.do(t, c.client); err != nil {
			t.Errorf("full key: %s: %v", cc.name, err)
		}
	}

	bearer := func(key string) *qdrant.Client {
		return c.dialConfig(&qdrant.Config{GrpcOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(
			func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
				return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key), method, req, reply, cc, opts...)
			})}})
	}
	if _, err := bearer(apiKey).ListCollections(ctx(t)); err != nil {
		t.Errorf("authorization: Bearer with the full key: %v", err)
	}
	_, err := bearer("not-the-key").ListCollections(ctx(t))
	wantCode(t, "authorization: Bearer with a wrong key", err, codes.Unauthenticated)
}

// TestNoKeyConfigured: without service.api_key every call is served,
// with or without a key sent (as Qdrant ignores keys it was not given).
func TestNoKeyConfigured(t *testing.T) {
	t.Parallel()
	c := start(t, opts{config: map[string]any{"service": map[string]any{"api_key": nil, "read_only_api_key": nil}}})
	for _, key := range []string{"", "anything"} {
		cl := c.dial(key)
		name := "c" + strconv.Itoa(len(key))
		if err := cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: name,
			VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot})}); err != nil {
			t.Errorf("key %q: create: %v", key, err)
		}
		if _, err := cl.ListCollections(ctx(t)); err != nil {
			t.Errorf("key %q: list: %v", key, err)
		}
	}
}
