package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/point"
)

// startKey is the echo context key holding the request's start time.
const startKey = "cairn.start"

// okBody is Qdrant's success envelope.
type okBody struct {
	Result any     `json:"result"`
	Status string  `json:"status"`
	Time   seconds `json:"time"`
}

// errBody is Qdrant's error envelope.
type errBody struct {
	Status errStatus `json:"status"`
	Time   seconds   `json:"time"`
}

type errStatus struct {
	Error string `json:"error"`
}

// seconds is the envelope's "time", written as Qdrant writes a float
// (0.0, never 0).
type seconds float64

// MarshalJSON writes s with point.AppendJSONFloat.
func (s seconds) MarshalJSON() ([]byte, error) {
	return point.AppendJSONFloat(make([]byte, 0, 24), float64(s), 64), nil
}

// elapsed returns the seconds since the request started.
func elapsed(c echo.Context) float64 {
	if t, ok := c.Get(startKey).(time.Time); ok {
		return time.Since(t).Seconds()
	}
	return 0
}

// ok answers 200 with result in Qdrant's envelope.
func ok(c echo.Context, result any) error {
	return c.JSON(http.StatusOK, okBody{Result: result, Status: "ok", Time: seconds(elapsed(c))})
}

// fail answers code with msg in Qdrant's error envelope.
func fail(c echo.Context, code int, msg string) error {
	return c.JSON(code, errBody{Status: errStatus{Error: msg}, Time: seconds(elapsed(c))})
}

// startTimer records the request's start time for the envelope's "time".
func startTimer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(startKey, time.Now())
		return next(c)
	}
}
