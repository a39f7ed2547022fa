package grpcapi

import (
	"context"
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
