package server

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Version is Cairn's own version.
const Version = "0.1.0"

// QdrantAPIVersion is the version of Qdrant's REST API that Cairn implements;
// GET / reports it as "version" so that Qdrant clients accept the server.
const QdrantAPIVersion = "1.19.0"

// Options configures a server.
type Options struct {
	Logger *slog.Logger
}

// New returns the HTTP handler for Cairn's API.
func New(opts Options) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{
			"title":         "cairn - vector search engine",
			"version":       QdrantAPIVersion,
			"cairn_version": Version,
		})
	})
	healthy := func(c echo.Context) error { return c.String(http.StatusOK, "healthz check passed") }
	e.GET("/healthz", healthy)
	return e
}
