package grpctests

import (
	"slices"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// TestHealthCheck: Qdrant.HealthCheck answers title and version like
// REST's `/`, without an api key.
func TestHealthCheck(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	var root struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	}
	if err := jsonUnmarshal(c.mustREST("GET", "/", nil).Body, &root); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", apiKey} {
		h, err := c.dial(key).HealthCheck(ctx(t))
		if err != nil {
			t.Fatalf("health check with key %q: %v", key, err)
		}
		if h.GetTitle() != root.Title || h.GetVersion() != root.Version {
			t.Errorf("health check with key %q = %q %q, REST's / says %q %q", key, h.GetTitle(), h.GetVersion(), root.Title, root.Version)
		}
	}
}

// TestCollections: create, get, list, exists, update and delete through
// the official client, each seen by the next call.
func TestCollections(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	err := cl.CreateCollection(ctx(t), &qdrant.CreateCollection{
		CollectionName: "books",
		VectorsConfig:  qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 8, Distance: qdrant.Distance_Cosine}),
		HnswConfig:     &qdrant.HnswConfigDiff{M: qdrant.PtrOf(uint64(12)), EfConstruct: qdrant.PtrOf(uint64(64))},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	c.createCollection("films")

	ok, err := cl.CollectionExists(ctx(t), "books")
	if err != nil || !ok {
		t.Errorf("exists(books) = %v, %v; want true", ok, err)
	}
	ok, err = cl.CollectionExists(ctx(t), "nothing")
	if err != nil || ok {
		t.Errorf("exists(nothing) = %v, %v; want false, nil", ok, err)
	}
	names, err := cl.ListCollections(ctx(t))
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"books", "films"}) {
		t.Errorf("list = %v, %v; want [books films]", names, err)
	}

	info, err := cl.GetCollectionInfo(ctx(t), "books")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	p := info.GetConfig().GetParams().GetVectorsConfig().GetParams()
	if p.GetSize() != 8 || p.GetDistance() != qdrant.Distance_Cosine {
		t.Errorf("vectors config = %v, want size 8 Cosine", p)
	}
	if m := info.GetConfig().GetHnswConfig().GetM(); m != 12 {
		t.Errorf("hnsw m = %d, want 12", m)
	}
	if info.GetStatus() != qdrant.CollectionStatus_Green || info.GetPointsCount() != 0 {
		t.Errorf("status %v with %d points, want Green and 0", info.GetStatus(), info.GetPointsCount())
	}

	err = cl.UpdateCollection(ctx(t), &qdrant.UpdateCollection{
		CollectionName:   "books",
		OptimizersConfig: &qdrant.OptimizersConfigDiff{IndexingThreshold: qdrant.PtrOf(uint64(777))},
		HnswConfig:       &qdrant.HnswConfigDiff{EfConstruct: qdrant.PtrOf(uint64(99))},
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	info, err = cl.GetCollectionInfo(ctx(t), "books")
	if err != nil {
		t.Fatalf("get after update: %v", err)
	}
	if got := info.GetConfig().GetOptimizerConfig().GetIndexingThreshold(); got != 777 {
		t.Errorf("indexing_threshold after update = %d, want 777", got)
	}
	if got := info.GetConfig().GetHnswConfig().GetEfConstruct(); got != 99 {
		t.Errorf("ef_construct after update = %d, want 99", got)
	}
	// REST sees the same collection.
	var rest struct {
		Config struct {
			OptimizerConfig struct {
				IndexingThreshold int `json:"indexing_threshold"`
			} `json:"optimizer_config"`
		} `json:"config"`
	}
	c.mustREST("GET", "/collections/books", nil).Result(t, &rest)
	if rest.Config.OptimizerConfig.IndexingThreshold != 777 {
		t.Errorf("REST indexing_threshold after the gRPC update = %d, want 777", rest.Config.OptimizerConfig.IndexingThreshold)
	}

	if err := cl.DeleteCollection(ctx(t), "books"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if ok, err := cl.CollectionExists(ctx(t), "books"); err != nil || ok {
		t.Errorf("exists after delete = %v, %v; want false", ok, err)
	}
	_, err = cl.GetCollectionInfo(ctx(t), "books")
	wantCode(t, "get a deleted collection", err, codes.NotFound, "books")
}

// TestAliases: create, list (all and per collection), rename, delete, and
// an alias used in place of the collection's name by Points calls.
func TestAliases(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, 10)
	if err := cl.CreateAlias(ctx(t), "current", "c"); err != nil {
		t.Fatalf("create alias: %v", err)
	}
	if err := cl.UpdateAliases(ctx(t), []*qdrant.AliasOperations{qdrant.NewAliasCreate("other", "c")}); err != nil {
		t.Fatalf("update aliases: %v", err)
	}
	all, err := cl.ListAliases(ctx(t))
	if err != nil {
		t.Fatalf("list aliases: %v", err)
	}
	var got []string
	for _, a := range all {
		if a.GetCollectionName() != "c" {
			t.Errorf("alias %s points at %s, want c", a.GetAliasName(), a.GetCollectionName())
		}
		got = append(got, a.GetAliasName())
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"current", "other"}) {
		t.Errorf("aliases = %v, want [current other]", got)
	}
	if n := c.count("current", nil); n != 10 {
		t.Errorf("count through the alias = %d, want 10", n)
	}
	if err := cl.RenameAlias(ctx(t), "other", "renamed"); err != nil {
		t.Fatalf("rename alias: %v", err)
	}
	if err := cl.DeleteAlias(ctx(t), "current"); err != nil {
		t.Fatalf("delete alias: %v", err)
	}
	per, err := cl.ListCollectionAliases(ctx(t), "c")
	if err != nil || !slices.Equal(per, []string{"renamed"}) {
		t.Errorf("aliases of c = %v, %v; want [renamed]", per, err)
	}
	// REST lists the same.
	var rest struct {
		Aliases []struct {
			AliasName string `json:"alias_name"`
		} `json:"aliases"`
	}
	c.mustREST("GET", "/collections/c/aliases", nil).Result(t, &rest)
	if len(rest.Aliases) != 1 || rest.Aliases[0].AliasName != "renamed" {
		t.Errorf("REST aliases of c = %+v, want [renamed]", rest.Aliases)
	}
	err = cl.DeleteAlias(ctx(t), "current")
	if err == nil {
		t.Errorf("deleting a deleted alias succeeded")
	}
}

// TestLimitsAndShutdown: a message over service.max_request_size_mb is
// refused (ResourceExhausted) and stores nothing; SIGTERM stops a server
// whose gRPC clients are connected, cleanly, and the port closes.
func TestLimitsAndShutdown(t *testing.T) {
	t.Parallel()
	c := start(t, opts{config: map[string]any{"service": map[string]any{"max_request_size_mb": 1}}})
	c.createCollection("c")
	big := make([]*qdrant.PointStruct, 0, 60000)
	for i := range 60000 {
		big = append(big, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(i)), Vectors: qdrant.NewVectorsDense(vec(i))})
	}
	req := &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: big}
	if sz := proto.Size(req); sz <= 1<<20 {
		t.Fatalf("the big upsert is %d bytes, not over 1 MiB", sz)
	}
	_, err := c.client.Upsert(ctx(t), req)
	wantCode(t, "upsert over max_request_size_mb", err, codes.ResourceExhausted)
	if got := c.count("c", nil); got != 0 {
		t.Errorf("count after the refused upsert = %d, want 0", got)
	}
	c.upsert("c", 0, 100) // under the limit
	c.stop()
	if _, err := c.dial(apiKey).HealthCheck(ctx(t)); err == nil {
		t.Errorf("gRPC answered after the server stopped")
	}
}
