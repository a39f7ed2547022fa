package server

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
)

// waitParam reads the `wait` query parameter (default false) and checks
// `ordering` (weak, medium or strong; all mean the same on one node).
func waitParam(c echo.Context) (bool, error) {
	switch o := c.QueryParam("ordering"); o {
	case "", "weak", "medium", "strong":
	default:
		return false, badRequest("Query deserialize error: ordering: unknown variant `%s`, expected one of `weak`, `medium`, `strong`", o)
	}
	w := c.QueryParam("wait")
	if w == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(w)
	if err != nil {
		return false, badRequest("Query deserialize error: wait: %q is not a boolean", w)
	}
	return b, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// vectorSelector is the with_vector selector of a request, or its alias
// with_vectors (Qdrant's serde alias) when only that is given.
func vectorSelector(withVector, withVectors *engine.WithVector) *engine.WithVector {
	if withVector != nil {
		return withVector
	}
	return withVectors
}
