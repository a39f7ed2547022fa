package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/dashboard"
)

// dashboardRoutes mounts the web dashboard at /dashboard. The page and its
// assets are public (as Qdrant's dashboard): they hold no data, and every
// API request the page makes carries the user's key.
func (s *Server) dashboardRoutes() {
	h := echo.WrapHandler(dashboard.Handler())
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		s.add(m, dashboard.Prefix, accessOpen, h)
		s.add(m, dashboard.Prefix+"/*", accessOpen, h)
	}
}
