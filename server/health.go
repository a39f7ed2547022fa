package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// rootInfo is the answer to GET /.
type rootInfo struct {
	Title        string `json:"title"`
	Version      string `json:"version"`
	CairnVersion string `json:"cairn_version"`
}

func (s *Server) root(c echo.Context) error {
	return c.JSON(http.StatusOK, rootInfo{
		Title:        "cairn - vector search engine",
		Version:      QdrantAPIVersion,
		CairnVersion: Version,
	})
}

func plain(text string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.String(http.StatusOK, text) }
}

// readyz answers 200 once the storage is open, 503 before.
func (s *Server) readyz(c echo.Context) error {
	if s.eng == nil {
		return c.String(http.StatusServiceUnavailable, "storage is not ready")
	}
	return c.String(http.StatusOK, "all shards are ready")
}

// telemetry is a Qdrant-shaped minimal telemetry report.
type telemetry struct {
	ID          string              `json:"id"`
	App         telemetryApp        `json:"app"`
	Collections telemetryCollection `json:"collections"`
	// Requests is set from details_level 1 on, as in Qdrant.
	Requests *telemetryRequests `json:"requests,omitempty"`
}

type telemetryApp struct {
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	APIVersion string            `json:"qdrant_api_version"`
	Features   telemetryFeatures `json:"features"`
	Startup    time.Time         `json:"startup"`
}

type telemetryCollection struct {
	NumberOfCollections int `json:"number_of_collections"`
	// Collections is set from details_level 1 on, as in Qdrant.
	Collections []collectionAggregate `json:"collections,omitempty"`
}

// telemetry answers GET /telemetry: Qdrant's TelemetryData. From
// details_level 1 on it adds each collection's figures and the REST
// answers by route and status code.
func (s *Server) telemetry(c echo.Context) error {
	level := 0
	if v := c.QueryParam("details_level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest("Format error in query string: details_level: invalid digit found in string")
		}
		level = n
	}
	t := telemetry{
		ID:          s.id,
		App:         telemetryApp{Name: "cairn", Version: Version, APIVersion: QdrantAPIVersion, Startup: s.started},
		Collections: telemetryCollection{NumberOfCollections: s.collectionCount()},
	}
	if level >= 1 {
		t.Collections.Collections = s.collectionAggregates()
		req := &telemetryRequests{}
		req.REST.Responses = s.metrics.rest.snapshot()
		req.GRPC.Responses = map[string]opStatsOut{}
		t.Requests = req
	}
	return ok(c, t)
}
