package server

import (
	"net/url"
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

// decodeParams percent-decodes the path parameters when the router matched
// the raw path. Go keeps r.URL.RawPath, and echo routes on it, only when
// the client's encoding differs from Go's own (lowercase hex, an encoded
// "/", "A" or "."); the parameters then arrive still encoded, while every
// other request gets them decoded. Qdrant decodes them either way, so
// "caf%c3%a9" names the collection "café" and "a%2Fb" the (invalid) name
// "a/b".
func decodeParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().URL.RawPath != "" {
			vals := c.ParamValues()
			for i, v := range vals {
				d, err := url.PathUnescape(v)
				if err != nil {
					return badRequest("Path deserialize error: %v", err)
				}
				vals[i] = d
			}
			c.SetParamValues(vals...)
		}
		return next(c)
	}
}
