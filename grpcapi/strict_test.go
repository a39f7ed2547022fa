package grpcapi

import (
	"context"
	"strings"
	"testing"

	"github.com/qdrant/go-client/qdrant"
)

// TestStrictModeGRPC: strict mode set over gRPC is kept and reported in
// the collection info.
func TestStrictModeGRPC(t *testing.T) {
	e := newTestEnv(t, Options{})
	col, bg := e.collections(), context.Background()
	_, err := col.Create(bg, &qdrant.CreateCollection{CollectionName: "s", VectorsConfig: vectors4(),
		StrictModeConfig: &qdrant.StrictModeConfig{Enabled: qdrant.PtrOf(true), MaxQueryLimit: qdrant.PtrOf(uint32(7)), SearchMaxOversampling: qdrant.PtrOf(float32(1.5))}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	sm := r.GetResult().GetConfig().GetStrictModeConfig()
	if !sm.GetEnabled() || sm.GetMaxQueryLimit() != 7 || sm.GetSearchMaxOversampling() != 1.5 {
		t.Fatalf("strict mode %v", sm)
	}
}

// TestStrictModeSizesAndSparseGRPC: the uint64 limits and sparse_config
// (a map inside a message over gRPC, flattened in REST) set over gRPC
// reach the engine, are reported back, and refuse as over REST.
func TestStrictModeSizesAndSparseGRPC(t *testing.T) {
	e, _ := hybridEnv(t)
	ctx := context.Background()
	err := e.cl.UpdateCollection(ctx, &qdrant.UpdateCollection{CollectionName: "h", StrictModeConfig: &qdrant.StrictModeConfig{
		Enabled: qdrant.PtrOf(true), UpsertMaxBatchsize: qdrant.PtrOf(uint64(5)), MaxCollectionPayloadSizeBytes: qdrant.PtrOf(uint64(1 << 20)),
		SparseConfig: &qdrant.StrictModeSparseConfig{SparseConfig: map[string]*qdrant.StrictModeSparse{"s": {MaxLength: qdrant.PtrOf(uint64(2))}}}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.cl.GetCollectionInfo(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	sm := info.GetConfig().GetStrictModeConfig()
	if sm.GetUpsertMaxBatchsize() != 5 || sm.GetMaxCollectionPayloadSizeBytes() != 1<<20 ||
		sm.GetSparseConfig().GetSparseConfig()["s"].GetMaxLength() != 2 {
		t.Fatalf("strict mode %v", sm)
	}
	_, err = e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "h", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(9), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"d": qdrant.NewVector(1, 1),
			"s": qdrant.NewVectorSparse([]uint32{1, 2, 3}, []float32{1, 1, 1})})}}})
	if err == nil || !strings.Contains(err.Error(), "Sparse vector 's' has a limit of 2 indices, but 3 were provided!") {
		t.Fatalf("long sparse upsert: %v", err)
	}
}
