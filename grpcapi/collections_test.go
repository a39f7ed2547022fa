package grpcapi

import (
	"context"
	"slices"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cairn-db/cairn/engine"
)

// TestCollectionsLifecycle: create with settings, get (the figures and
// config of the engine's collection info), list, exists, update, delete.
func TestCollectionsLifecycle(t *testing.T) {
	e := newTestEnv(t, Options{})
	col, bg := e.collections(), context.Background()
	m, th := uint64(32), uint64(5000)
	onDisk := true
	_, err := col.Create(bg, &qdrant.CreateCollection{CollectionName: "c",
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			"img":  {Size: 4, Distance: qdrant.Distance_Dot, OnDisk: &onDisk},
			"text": {Size: 8, Distance: qdrant.Distance_Euclid, HnswConfig: &qdrant.HnswConfigDiff{M: &m}},
		}),
		HnswConfig:       &qdrant.HnswConfigDiff{EfConstruct: qdrant.PtrOf(uint64(64))},
		OptimizersConfig: &qdrant.OptimizersConfigDiff{IndexingThreshold: &th, MaxOptimizationThreads: qdrant.NewMaxOptimizationThreads(2)},
		WalConfig:        &qdrant.WalConfigDiff{WalCapacityMb: qdrant.PtrOf(uint64(8))},
		Metadata:         qdrant.NewValueMap(map[string]any{"team": "search", "n": 3, "tags": []any{"a", true}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "c"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.st.CollectionInfo("c")
	if err != nil {
		t.Fatal(err)
	}
	r := got.GetResult()
	if r.GetStatus() != qdrant.CollectionStatus_Green || !r.GetOptimizerStatus().GetOk() || r.GetPointsCount() != uint64(info.PointsCount) ||
		r.GetSegmentsCount() != uint64(info.SegmentsCount) || r.GetIndexedVectorsCount() != uint64(info.IndexedVectorsCount) {
		t.Fatalf("info %v, engine %+v", r, info)
	}
	cfg := r.GetConfig()
	vm := cfg.GetParams().GetVectorsConfig().GetParamsMap().GetMap()
	if vm["img"].GetSize() != 4 || vm["img"].GetDistance() != qdrant.Distance_Dot || !vm["img"].GetOnDisk() ||
		vm["text"].GetDistance() != qdrant.Distance_Euclid || vm["text"].GetHnswConfig().GetM() != 32 {
		t.Fatalf("vectors %v", vm)
	}
	if cfg.GetHnswConfig().GetEfConstruct() != 64 || cfg.GetHnswConfig().GetM() != engine.DefaultHnswM ||
		cfg.GetOptimizerConfig().GetIndexingThreshold() != 5000 || cfg.GetOptimizerConfig().GetMaxOptimizationThreads().GetValue() != 2 ||
		cfg.GetWalConfig().GetWalCapacityMb() != 8 || cfg.GetParams().GetShardNumber() != 1 {
		t.Fatalf("config %v", cfg)
	}
	if md := cfg.GetMetadata(); md["team"].GetStringValue() != "search" || md["n"].GetIntegerValue() != 3 ||
		len(md["tags"].GetListValue().GetValues()) != 2 {
		t.Fatalf("metadata %v", md)
	}

	list, err := col.List(bg, &qdrant.ListCollectionsRequest{})
	if err != nil || len(list.GetCollections()) != 1 || list.GetCollections()[0].GetName() != "c" {
		t.Fatalf("list %v, %v", list, err)
	}
	for name, want := range map[string]bool{"c": true, "other": false} {
		ex, err := col.CollectionExists(bg, &qdrant.CollectionExistsRequest{CollectionName: name})
		if err != nil || ex.GetResult().GetExists() != want {
			t.Fatalf("exists %s: %v, %v", name, ex, err)
		}
	}

	_, err = col.Update(bg, &qdrant.UpdateCollection{CollectionName: "c",
		OptimizersConfig: &qdrant.OptimizersConfigDiff{MaxOptimizationThreads: qdrant.NewMaxOptimizationThreadsSetting(qdrant.MaxOptimizationThreads_Auto)},
		HnswConfig:       &qdrant.HnswConfigDiff{M: qdrant.PtrOf(uint64(24))},
		VectorsConfig: qdrant.NewVectorsConfigDiffMap(map[string]*qdrant.VectorParamsDiff{
			"img": {HnswConfig: &qdrant.HnswConfigDiff{EfConstruct: qdrant.PtrOf(uint64(50))}}}),
		Params:   &qdrant.CollectionParamsDiff{ReplicationFactor: qdrant.PtrOf(uint32(1))},
		Metadata: qdrant.NewValueMap(map[string]any{"team": nil}),
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := e.st.CollectionInfo("c")
	if err != nil {
		t.Fatal(err)
	}
	if after.Config.HnswConfig.M != 24 || after.Config.OptimizerConfig.MaxOptimizationThreads != nil ||
		*after.Config.Params.Vectors["img"].HnswConfig.EfConstruct != 50 || after.Config.Metadata["team"] != nil {
		t.Fatalf("after update %+v", after.Config)
	}
	got, err = col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "c"})
	if err != nil || got.GetResult().GetConfig().GetOptimizerConfig().GetMaxOptimizationThreads().GetSetting() != qdrant.MaxOptimizationThreads_Auto {
		t.Fatalf("auto threads: %v, %v", got, err)
	}

	del, err := col.Delete(bg, &qdrant.DeleteCollection{CollectionName: "c"})
	if err != nil || !del.GetResult() {
		t.Fatalf("delete: %v, %v", del, err)
	}
	del, err = col.Delete(bg, &qdrant.DeleteCollection{CollectionName: "c"})
	if err != nil || del.GetResult() {
		t.Fatalf("delete again: %v, %v (want false, as REST)", del, err)
	}
}

// TestCollectionsSingleVector: the unnamed vector comes back in the single
// form, and REST's JSON config is the one the engine stored.
func TestCollectionsSingleVector(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustCreate(t, "c")
	got, err := e.collections().Get(context.Background(), &qdrant.GetCollectionInfoRequest{CollectionName: "c"})
	if err != nil {
		t.Fatal(err)
	}
	p := got.GetResult().GetConfig().GetParams().GetVectorsConfig().GetParams()
	if p.GetSize() != 4 || p.GetDistance() != qdrant.Distance_Cosine {
		t.Fatalf("vectors %v", got.GetResult().GetConfig().GetParams())
	}
}

// TestCollectionsBadInput: unknown collections are NotFound, bad names and
// bad settings InvalidArgument, and a refused setting gets the same text
// REST gives for the same body (engine.CheckCreateCollection).
func TestCollectionsBadInput(t *testing.T) {
	e := newTestEnv(t, Options{})
	col, bg := e.collections(), context.Background()
	e.mustCreate(t, "c")

	_, err := col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "nope"})
	wantCode(t, "get unknown", err, codes.NotFound, "Not found: Collection `nope` doesn't exist!")
	_, err = col.Update(bg, &qdrant.UpdateCollection{CollectionName: "nope"})
	wantCode(t, "update unknown", err, codes.NotFound)
	_, err = col.ListCollectionAliases(bg, &qdrant.ListCollectionAliasesRequest{CollectionName: "nope"})
	wantCode(t, "aliases of unknown", err, codes.NotFound)
	_, err = col.Create(bg, &qdrant.CreateCollection{CollectionName: "c", VectorsConfig: vectors4()})
	wantCode(t, "create existing", err, codes.AlreadyExists, "Collection `c` already exists!")
	for _, name := range []string{"", "a/b", "..", "x\x00y"} {
		_, err = col.Create(bg, &qdrant.CreateCollection{CollectionName: name, VectorsConfig: vectors4()})
		wantCode(t, "bad name "+name, err, codes.InvalidArgument)
	}
	_, err = col.Create(bg, &qdrant.CreateCollection{CollectionName: "z",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 0, Distance: qdrant.Distance_Cosine})})
	wantCode(t, "size 0", err, codes.InvalidArgument, "Validation error", "size")
	_, err = col.Create(bg, &qdrant.CreateCollection{CollectionName: "z",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 4})})
	wantCode(t, "unknown distance", err, codes.InvalidArgument, "distance")
	_, err = col.Update(bg, &qdrant.UpdateCollection{CollectionName: "c",
		VectorsConfig: qdrant.NewVectorsConfigDiffMap(map[string]*qdrant.VectorParamsDiff{"nope": {OnDisk: qdrant.PtrOf(true)}})})
	wantCode(t, "update unknown vector", err, codes.InvalidArgument, "Not existing vector name error: nope")
	_, err = col.Update(bg, &qdrant.UpdateCollection{CollectionName: "c",
		OptimizersConfig: &qdrant.OptimizersConfigDiff{MaxOptimizationThreads: qdrant.NewMaxOptimizationThreads(1 << 40)}})
	wantCode(t, "huge threads", err, codes.InvalidArgument, "max_optimization_threads")
	if e.st.ListCollections()[0] != "c" || len(e.st.ListCollections()) != 1 {
		t.Fatalf("a failed request changed the collections: %v", e.st.ListCollections())
	}
}

// TestCollectionsRefusedSettings: every setting Cairn refuses is refused
// over gRPC with REST's message for the same setting, and the "off" forms
// REST accepts are accepted.
func TestCollectionsRefusedSettings(t *testing.T) {
	e := newTestEnv(t, Options{})
	col, bg := e.collections(), context.Background()
	e.mustCreate(t, "c")
	base := `"vectors":{"size":4,"distance":"Cosine"}`
	f := false
	creates := []struct {
		name string
		req  *qdrant.CreateCollection
		rest string // the REST body asking for the same; "" when accepted
	}{
		{"quantization", &qdrant.CreateCollection{QuantizationConfig: qdrant.NewQuantizationBinary(&qdrant.BinaryQuantization{AlwaysRam: &f})},
			`{` + base + `,"quantization_config":{"binary":{"always_ram":false}}}`},
		{"scalar quantization", &qdrant.CreateCollection{QuantizationConfig: qdrant.NewQuantizationScalar(&qdrant.ScalarQuantization{Type: qdrant.QuantizationType_Int8, Quantile: qdrant.PtrOf(float32(0.99))})}, ""},
		{"custom sharding", &qdrant.CreateCollection{ShardingMethod: qdrant.ShardingMethod_Custom.Enum()}, `{` + base + `,"sharding_method":"custom"}`},
		{"auto sharding", &qdrant.CreateCollection{ShardingMethod: qdrant.ShardingMethod_Auto.Enum()}, ""},
		{"sparse", &qdrant.CreateCollection{SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"s": {}})}, ""},
		{"no sparse", &qdrant.CreateCollection{SparseVectorsConfig: &qdrant.SparseVectorConfig{}}, ""},
		{"strict mode", &qdrant.CreateCollection{StrictModeConfig: &qdrant.StrictModeConfig{Enabled: qdrant.PtrOf(true)}}, ""},
		{"strict mode payload size", &qdrant.CreateCollection{StrictModeConfig: &qdrant.StrictModeConfig{MaxCollectionPayloadSizeBytes: qdrant.PtrOf(uint64(100))}}, ""},
		{"strict mode multivector", &qdrant.CreateCollection{StrictModeConfig: &qdrant.StrictModeConfig{MultivectorConfig: &qdrant.StrictModeMultivectorConfig{
			MultivectorConfig: map[string]*qdrant.StrictModeMultivector{"v": {MaxVectors: qdrant.PtrOf(uint64(3))}}}}},
			`{` + base + `,"strict_mode_config":{"multivector_config":{"v":{"max_vectors":3}}}}`},
		{"strict mode off", &qdrant.CreateCollection{StrictModeConfig: &qdrant.StrictModeConfig{Enabled: &f}}, ""},
		{"wal retain", &qdrant.CreateCollection{WalConfig: &qdrant.WalConfigDiff{WalRetainClosed: qdrant.PtrOf(uint64(2))}},
			`{` + base + `,"wal_config":{"wal_retain_closed":2}}`},
		{"prevent unoptimized", &qdrant.CreateCollection{OptimizersConfig: &qdrant.OptimizersConfigDiff{PreventUnoptimized: qdrant.PtrOf(true)}},
			`{` + base + `,"optimizers_config":{"prevent_unoptimized":true}}`},
		{"inline storage", &qdrant.CreateCollection{HnswConfig: &qdrant.HnswConfigDiff{InlineStorage: qdrant.PtrOf(true)}},
			`{` + base + `,"hnsw_config":{"inline_storage":true}}`},
	}
	var accepted []string
	for i, tt := range creates {
		tt.req.CollectionName = "x" + string(rune('a'+i))
		if tt.req.VectorsConfig == nil {
			tt.req.VectorsConfig = vectors4()
		}
		_, err := col.Create(bg, tt.req)
		if tt.rest == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			accepted = append(accepted, tt.req.CollectionName)
			continue
		}
		restErr := engine.CheckCreateCollection([]byte(tt.rest))
		if restErr == nil {
			t.Fatalf("%s: REST accepts %s", tt.name, tt.rest)
		}
		if st, _ := status.FromError(err); st.Code() != codes.InvalidArgument || st.Message() != restErr.Error() {
			t.Errorf("%s: %v %q, REST says %q", tt.name, st.Code(), st.Message(), restErr)
		}
	}
	vectorRefusals := []struct {
		name string
		p    *qdrant.VectorParams
		rest string
	}{
		{"datatype", &qdrant.VectorParams{Datatype: qdrant.Datatype_Uint8.Enum()}, `{"vectors":{"size":4,"distance":"Cosine","datatype":"uint8"}}`},
		{"multivector", &qdrant.VectorParams{MultivectorConfig: &qdrant.MultiVectorConfig{}}, `{"vectors":{"size":4,"distance":"Cosine","multivector_config":{}}}`},
		{"vector quantization", &qdrant.VectorParams{QuantizationConfig: qdrant.NewQuantizationBinary(&qdrant.BinaryQuantization{})},
			`{"vectors":{"size":4,"distance":"Cosine","quantization_config":{"binary":{}}}}`},
	}
	for _, tt := range vectorRefusals {
		tt.p.Size, tt.p.Distance = 4, qdrant.Distance_Cosine
		_, err := col.Create(bg, &qdrant.CreateCollection{CollectionName: "v", VectorsConfig: qdrant.NewVectorsConfig(tt.p)})
		restErr := engine.CheckCreateCollection([]byte(tt.rest))
		if st, _ := status.FromError(err); restErr == nil || st.Code() != codes.InvalidArgument || st.Message() != restErr.Error() {
			t.Errorf("%s: %v %q, REST says %v", tt.name, st.Code(), st.Message(), restErr)
		}
	}
	updates := []struct {
		name string
		req  *qdrant.UpdateCollection
		rest string
	}{
		{"fan-out", &qdrant.UpdateCollection{Params: &qdrant.CollectionParamsDiff{ReadFanOutFactor: qdrant.PtrOf(uint32(2))}}, `{"params":{"read_fan_out_factor":2}}`},
		{"fan-out 0", &qdrant.UpdateCollection{Params: &qdrant.CollectionParamsDiff{ReadFanOutFactor: qdrant.PtrOf(uint32(0))}}, ""},
		{"quantization", &qdrant.UpdateCollection{QuantizationConfig: qdrant.NewQuantizationDiffDisabled()}, `{"quantization_config":"Disabled"}`},
		{"vector quantization", &qdrant.UpdateCollection{VectorsConfig: qdrant.NewVectorsConfigDiff(&qdrant.VectorParamsDiff{
			QuantizationConfig: qdrant.NewQuantizationDiffDisabled()})}, `{"vectors":{"":{"quantization_config":"Disabled"}}}`},
	}
	for _, tt := range updates {
		tt.req.CollectionName = "c"
		_, err := col.Update(bg, tt.req)
		if tt.rest == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		restErr := engine.CheckCollectionUpdate([]byte(tt.rest))
		if st, _ := status.FromError(err); restErr == nil || st.Code() != codes.InvalidArgument || st.Message() != restErr.Error() {
			t.Errorf("%s: %v %q, REST says %v", tt.name, st.Code(), st.Message(), restErr)
		}
	}
	// Only the accepted creates made a collection; refused ones left nothing.
	if got := e.st.ListCollections(); !slices.Equal(sorted(got), sorted(append([]string{"c"}, accepted...))) {
		t.Fatalf("collections after: %v", got)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
