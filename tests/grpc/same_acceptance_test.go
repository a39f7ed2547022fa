package grpctests

import (
	"net/http"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// TestSameAcceptance: settings Cairn may or may not support are accepted
// over gRPC exactly when REST accepts them, and refused with the matching
// code when REST refuses them: no setting is silently taken over one
// transport and refused over the other. (A search's shard_key is left out:
// REST ignores it today, gRPC refuses it, as Qdrant refuses an unknown
// shard key; see TestShardKeyRefused.)
func TestSameAcceptance(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	c.createCollection("c")
	c.upsert("c", 0, 10)
	v := vec(1)
	search := func(p *qdrant.SearchParams) func() error {
		return func() error {
			_, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: v, Limit: 3, Params: p})
			return err
		}
	}
	create := func(name string, mod func(*qdrant.CreateCollection)) func() error {
		return func() error {
			cc := &qdrant.CreateCollection{CollectionName: name, VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot})}
			mod(cc)
			return cl.CreateCollection(ctx(t), cc)
		}
	}
	vectors := map[string]any{"size": dim, "distance": "Dot"}
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		grpc         func() error
	}{
		{"search exact", "POST", "/collections/c/points/search", map[string]any{"vector": v, "limit": 3, "params": map[string]any{"exact": true}},
			search(&qdrant.SearchParams{Exact: qdrant.PtrOf(true)})},
		{"search indexed_only", "POST", "/collections/c/points/search", map[string]any{"vector": v, "limit": 3, "params": map[string]any{"indexed_only": true}},
			search(&qdrant.SearchParams{IndexedOnly: qdrant.PtrOf(true)})},
		{"search quantization rescore", "POST", "/collections/c/points/search", map[string]any{"vector": v, "limit": 3, "params": map[string]any{"quantization": map[string]any{"rescore": true}}},
			search(&qdrant.SearchParams{Quantization: &qdrant.QuantizationSearchParams{Rescore: qdrant.PtrOf(true)}})},
		{"search acorn", "POST", "/collections/c/points/search", map[string]any{"vector": v, "limit": 3, "params": map[string]any{"acorn": map[string]any{"enable": true}}},
			search(&qdrant.SearchParams{Acorn: &qdrant.AcornSearchParams{Enable: qdrant.PtrOf(true)}})},
		{"recommend lookup_from", "POST", "/collections/c/points/recommend", map[string]any{"positive": []int{1}, "limit": 3, "lookup_from": map[string]any{"collection": "c"}},
			func() error {
				_, err := pc.Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(1)}, Limit: 3,
					LookupFrom: &qdrant.LookupLocation{CollectionName: "c"}})
				return err
			}},
		{"query order_by", "POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"order_by": "i"}, "limit": 3},
			func() error {
				_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "i"}), Limit: qdrant.PtrOf(uint64(3))})
				return err
			}},
		{"query sample random", "POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"sample": "random"}, "limit": 3},
			func() error {
				_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQuerySample(qdrant.Sample_Random), Limit: qdrant.PtrOf(uint64(3))})
				return err
			}},
		{"query dbsf fusion", "POST", "/collections/c/points/query", map[string]any{"prefetch": []any{map[string]any{"query": v}}, "query": map[string]any{"fusion": "dbsf"}, "limit": 3},
			func() error {
				_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Prefetch: []*qdrant.PrefetchQuery{{Query: qdrant.NewQueryDense(v)}},
					Query: qdrant.NewQueryFusion(qdrant.Fusion_DBSF), Limit: qdrant.PtrOf(uint64(3))})
				return err
			}},
		{"create with scalar quantization", "PUT", "/collections/q1", map[string]any{"vectors": vectors, "quantization_config": map[string]any{"scalar": map[string]any{"type": "int8"}}},
			create("q1g", func(cc *qdrant.CreateCollection) {
				cc.QuantizationConfig = qdrant.NewQuantizationScalar(&qdrant.ScalarQuantization{Type: qdrant.QuantizationType_Int8})
			})},
		{"create with sparse vectors", "PUT", "/collections/q2", map[string]any{"vectors": vectors, "sparse_vectors": map[string]any{"s": map[string]any{}}},
			create("q2g", func(cc *qdrant.CreateCollection) {
				cc.SparseVectorsConfig = qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"s": {}})
			})},
		{"create with replication_factor 2", "PUT", "/collections/q3", map[string]any{"vectors": vectors, "replication_factor": 2},
			create("q3g", func(cc *qdrant.CreateCollection) { cc.ReplicationFactor = qdrant.PtrOf(uint32(2)) })},
		{"create with 2 shards", "PUT", "/collections/q4", map[string]any{"vectors": vectors, "shard_number": 2},
			create("q4g", func(cc *qdrant.CreateCollection) { cc.ShardNumber = qdrant.PtrOf(uint32(2)) })},
		{"create with custom sharding", "PUT", "/collections/q5", map[string]any{"vectors": vectors, "sharding_method": "custom"},
			create("q5g", func(cc *qdrant.CreateCollection) { cc.ShardingMethod = qdrant.ShardingMethod_Custom.Enum() })},
		{"create with strict mode", "PUT", "/collections/q6", map[string]any{"vectors": vectors, "strict_mode_config": map[string]any{"enabled": true, "max_query_limit": 5}},
			create("q6g", func(cc *qdrant.CreateCollection) {
				cc.StrictModeConfig = &qdrant.StrictModeConfig{Enabled: qdrant.PtrOf(true), MaxQueryLimit: qdrant.PtrOf(uint32(5))}
			})},
		{"create with on_disk_payload", "PUT", "/collections/q7", map[string]any{"vectors": vectors, "on_disk_payload": true},
			create("q7g", func(cc *qdrant.CreateCollection) { cc.OnDiskPayload = qdrant.PtrOf(true) })},
		{"create with metadata", "PUT", "/collections/q8", map[string]any{"vectors": vectors, "metadata": map[string]any{"team": "x"}},
			create("q8g", func(cc *qdrant.CreateCollection) { cc.Metadata = qdrant.NewValueMap(map[string]any{"team": "x"}) })},
		{"create with multivectors", "PUT", "/collections/q9", map[string]any{"vectors": map[string]any{"size": dim, "distance": "Dot", "multivector_config": map[string]any{"comparator": "max_sim"}}},
			func() error {
				return cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "q9", VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot,
					MultivectorConfig: &qdrant.MultiVectorConfig{Comparator: qdrant.MultiVectorComparator_MaxSim}})})
			}},
		{"keyword index as tenant", "PUT", "/collections/c/index?wait=true", map[string]any{"field_name": "city", "field_schema": map[string]any{"type": "keyword", "is_tenant": true}},
			func() error {
				_, err := cl.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: "c", Wait: qdrant.PtrOf(true), FieldName: "city",
					FieldType: qdrant.PtrOf(qdrant.FieldType_FieldTypeKeyword), FieldIndexParams: qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)})})
				return err
			}},
	} {
		code, restMsg := c.restError(tc.method, tc.path, tc.body)
		err := tc.grpc()
		want := grpcCodeOf(code)
		if want == codes.OK {
			if err != nil {
				t.Errorf("%s: REST accepts it, gRPC answers %v", tc.name, err)
			}
			continue
		}
		if code == http.StatusNotImplemented { // not a REST answer today; kept for when one is
			want = codes.Unimplemented
		}
		if st, ok := statusOf(err); ok && st.Code() == codes.Unimplemented && want == codes.InvalidArgument {
			// REST answers a feature Cairn lacks 400 (Qdrant's code for a
			// setting it refuses); gRPC may say Unimplemented, naming it.
			t.Logf("%s: REST %d %q, gRPC Unimplemented %q", tc.name, code, restMsg, st.Message())
			continue
		}
		wantCode(t, tc.name+" (REST "+http.StatusText(code)+": "+restMsg+")", err, want)
	}
}

// TestShardKeyRefused: a shard key selector on a collection without custom
// sharding is refused over gRPC, on reads and writes alike.
func TestShardKeyRefused(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, 3)
	sel := &qdrant.ShardKeySelector{ShardKeys: []*qdrant.ShardKey{qdrant.NewShardKey("k")}}
	_, err := c.client.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: vec(1), Limit: 3, ShardKeySelector: sel})
	wantCode(t, "search with a shard key", err, codes.InvalidArgument, "shard")
	_, err = c.client.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: points(5, 6), ShardKeySelector: sel})
	wantCode(t, "upsert with a shard key", err, codes.InvalidArgument, "shard")
	if got := c.count("c", nil); got != 3 {
		t.Errorf("count after the refused upsert = %d, want 3", got)
	}
}
