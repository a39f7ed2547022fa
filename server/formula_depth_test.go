package server

import (
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// TestQueryFormulaTooDeep checks that REST refuses a formula nested past
// engine.MaxFormulaNesting with a 400 in Qdrant's envelope.
func TestQueryFormulaTooDeep(t *testing.T) {
	s := seeded(t)
	n := engine.MaxFormulaNesting + 1
	expr := strings.Repeat(`{"neg":`, n) + "1" + strings.Repeat("}", n)
	body := `{"prefetch":{"query":[0.2,0.1,0.9,0.7],"limit":3},"query":{"formula":` + expr + `}}`
	mustFail(t, s, "POST", "/collections/c/points/query", body, 400, "recursion limit exceeded")
}
