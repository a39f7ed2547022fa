package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFormulaNestingBound checks that a formula nested deeper than
// MaxFormulaNesting is refused (a long chain used to decode in time
// quadratic in its length), that one within it decodes, and that brackets
// inside strings do not count.
func TestFormulaNestingBound(t *testing.T) {
	chain := func(n int) string { return strings.Repeat(`{"neg":`, n) + "1" + strings.Repeat("}", n) }
	var e Expr
	if err := json.Unmarshal([]byte(chain(MaxFormulaNesting)), &e); err != nil {
		t.Fatalf("%d levels: %v", MaxFormulaNesting, err)
	}
	err := json.Unmarshal([]byte(chain(MaxFormulaNesting+1)), &e)
	if err == nil || !strings.Contains(err.Error(), "recursion limit exceeded") {
		t.Fatalf("%d levels: %v, want the recursion limit", MaxFormulaNesting+1, err)
	}
	// A deep enough chain of sums (an object and an array per level).
	deep := strings.Repeat(`{"sum":[`, MaxFormulaNesting) + "1" + strings.Repeat("]}", MaxFormulaNesting)
	if err := json.Unmarshal([]byte(deep), &e); err == nil || !strings.Contains(err.Error(), "recursion limit exceeded") {
		t.Fatalf("sum chain: %v, want the recursion limit", err)
	}
	cond := `{"key":"tag","match":{"value":"` + strings.Repeat(`{[\"`, 2*MaxFormulaNesting) + `"}}`
	if err := json.Unmarshal([]byte(`{"mult":[2,`+cond+`]}`), &e); err != nil || e.Op != opMult || e.Args[1].Op != opCondition {
		t.Fatalf("brackets in a string: %+v %v", e, err)
	}
}
