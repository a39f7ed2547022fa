package server

import (
	"encoding/json"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// TestQueryConversionBudget checks that converting a decoded query to the
// engine's stops one prefetch past the budget (so a hostile fan-out is not
// copied in full and the engine still refuses it) and converts a tree
// within the budget whole, selectors and nested prefetches included.
func TestQueryConversionBudget(t *testing.T) {
	var wide queryIn
	if err := json.Unmarshal([]byte(`{"prefetch":[{},{},{"prefetch":[{},{}]},{},{}],"query":{"fusion":"rrf"}}`), &wide); err != nil {
		t.Fatal(err)
	}
	count := func(r engine.QueryRequest) int {
		var walk func(engine.QueryRequest) int
		walk = func(r engine.QueryRequest) int {
			n := len(r.Prefetch)
			for _, p := range r.Prefetch {
				n += walk(p)
			}
			return n
		}
		return walk(r)
	}
	budget := 3
	if r := wide.request(&budget); count(r) != 3 || budget != 0 {
		t.Fatalf("budget 3: converted %d prefetches, %d left", count(r), budget)
	}
	budget = 100
	r := wide.request(&budget)
	if count(r) != 7 || budget != 93 || r.Query == nil || r.Query.Kind != engine.QueryFusion || r.Query.Fusion != "rrf" {
		t.Fatalf("budget 100: converted %d prefetches (%d left), query %+v", count(r), budget, r.Query)
	}
	var sel queryIn
	if err := json.Unmarshal([]byte(`{"query":[1,2],"with_vectors":true,"lookup_from":{"collection":"x","vector":"v"}}`), &sel); err != nil {
		t.Fatal(err)
	}
	budget = 1
	r = sel.request(&budget)
	if r.WithVector == nil || !r.WithVector.Enable || r.LookupFrom == nil || r.LookupFrom.Collection != "x" || len(r.Query.Nearest.Vector) != 2 {
		t.Fatalf("selectors: %+v", r)
	}
}
