package grpcapi

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
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

// TestStrictModeUpdateAndRefusalsGRPC: strict mode set by UpdateCollection
// reaches the engine, and its refusals answer Qdrant's gRPC codes: a limit
// (REST 400) InvalidArgument, a rate limit (REST 429) ResourceExhausted.
func TestStrictModeUpdateAndRefusalsGRPC(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustCreate(t, "s")
	col, bg := e.collections(), context.Background()
	pc := qdrant.NewPointsClient(e.conn)
	if _, err := pc.Upsert(bg, &qdrant.UpsertPoints{CollectionName: "s", Wait: qdrant.PtrOf(true),
		Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectors(1, 2, 3, 4)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := col.Update(bg, &qdrant.UpdateCollection{CollectionName: "s",
		StrictModeConfig: &qdrant.StrictModeConfig{Enabled: qdrant.PtrOf(true), MaxQueryLimit: qdrant.PtrOf(uint32(2)), ReadRateLimit: qdrant.PtrOf(uint32(2))}}); err != nil {
		t.Fatal(err)
	}
	r, err := col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if sm := r.GetResult().GetConfig().GetStrictModeConfig(); !sm.GetEnabled() || sm.GetMaxQueryLimit() != 2 || sm.GetReadRateLimit() != 2 {
		t.Fatalf("strict mode after update %v", sm)
	}
	search := func(limit uint64) error {
		_, err := pc.Search(bg, &qdrant.SearchPoints{CollectionName: "s", Vector: []float32{1, 2, 3, 4}, Limit: limit})
		return err
	}
	wantCode(t, "limit above max_query_limit", search(3), codes.InvalidArgument, `Limit exceeded 3 > 2 for "limit"`)
	// Two tokens a minute: the third search within the minute is refused.
	var last error
	for i := 0; i < 3 && last == nil; i++ {
		last = search(1)
	}
	wantCode(t, "read rate limit", last, codes.ResourceExhausted, "Rate limiting exceeded: Read rate limit exceeded")
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

// TestStrictModeResidentMemoryGRPC: max_resident_memory_percent (which
// Qdrant's gRPC message cannot carry; set here through the engine) refuses
// gRPC upserts and payload sets with InvalidArgument and Qdrant's text at
// the limit, lets deletes through, and leaves the rest of the strict mode
// in the gRPC info.
func TestStrictModeResidentMemoryGRPC(t *testing.T) {
	var res atomic.Uint64
	res.Store(500)
	mem := func() (engine.MemoryReading, error) {
		return engine.MemoryReading{Resident: res.Load(), Total: 1000}, nil
	}
	e := newTestEnvEngine(t, Options{}, nil, engine.Options{Memory: mem})
	e.mustCreate(t, "s")
	col, bg := e.collections(), context.Background()
	pc := qdrant.NewPointsClient(e.conn)
	if err := e.st.UpdateCollection("s", engine.CollectionUpdate{StrictModeConfig: &engine.StrictModeConfig{
		Enabled: qdrant.PtrOf(true), MaxQueryLimit: qdrant.PtrOf(7), MaxResidentMemoryPercent: qdrant.PtrOf(60)}}); err != nil {
		t.Fatal(err)
	}
	upsert := func(id uint64) error {
		_, err := pc.Upsert(bg, &qdrant.UpsertPoints{CollectionName: "s", Wait: qdrant.PtrOf(true),
			Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectors(1, 2, 3, 4)}}})
		return err
	}
	if err := upsert(1); err != nil {
		t.Fatalf("upsert below the limit: %v", err)
	}
	res.Store(650)
	wantCode(t, "upsert at 65%", upsert(2), codes.InvalidArgument,
		"Resident memory usage is at 65% of total memory, exceeding the configured limit of 60%. Help: Reduce memory usage")
	_, err := pc.SetPayload(bg, &qdrant.SetPayloadPoints{CollectionName: "s", Wait: qdrant.PtrOf(true),
		Payload: qdrant.NewValueMap(map[string]any{"a": 1}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1))})
	wantCode(t, "set payload at 65%", err, codes.InvalidArgument, "exceeding the configured limit of 60%")
	if _, err := pc.Delete(bg, &qdrant.DeletePoints{CollectionName: "s", Wait: qdrant.PtrOf(true),
		Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}); err != nil {
		t.Fatalf("delete at 65%%: %v", err)
	}
	r, err := col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if sm := r.GetResult().GetConfig().GetStrictModeConfig(); !sm.GetEnabled() || sm.GetMaxQueryLimit() != 7 {
		t.Fatalf("strict mode in the info %v", sm)
	}
}
