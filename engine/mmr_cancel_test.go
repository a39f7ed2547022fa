package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestSelectMMRCancelled checks that the quadratic MMR selection stops
// with the context's error once the request is cancelled, and selects
// as asked otherwise.
func TestSelectMMRCancelled(t *testing.T) {
	cands := []ScoredPoint{
		{ID: point.NumID(1), Vector: map[string][]float32{"": {1, 0}}},
		{ID: point.NumID(2), Vector: map[string][]float32{"": {0.9, 0.1}}},
		{ID: point.NumID(3), Vector: map[string][]float32{"": {0, 1}}},
	}
	sel, err := selectMMR(context.Background(), cands, "", point.Dot, []float32{1, 0}, 0.5, 2)
	if err != nil || len(sel) != 2 || sel[0].ID != point.NumID(1) {
		t.Fatalf("selection: %+v %v", sel, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sel, err := selectMMR(ctx, cands, "", point.Dot, []float32{1, 0}, 0.5, 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %+v %v, want context.Canceled", sel, err)
	}
}
