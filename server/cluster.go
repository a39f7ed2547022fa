package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// clusterRoutes registers Qdrant's cluster routes as a node with
// distributed mode off answers them.
func (s *Server) clusterRoutes() {
	s.add(http.MethodGet, "/cluster", accessRead, s.clusterStatus)
	s.add(http.MethodGet, "/collections/:name/cluster", accessRead, s.collectionCluster)
	s.add(http.MethodGet, "/collections/:name/optimizations", accessRead, s.optimizations)
}

// clusterStatus answers GET /cluster: Qdrant's ClusterStatus of a node
// without distributed mode, {"status": "disabled"}.
func (s *Server) clusterStatus(c echo.Context) error {
	return ok(c, struct {
		Status string `json:"status"`
	}{"disabled"})
}

// collectionCluster answers GET /collections/{name}/cluster: every shard
// local and active on this node.
func (s *Server) collectionCluster(c echo.Context) error {
	st, err := s.storage()
	if err != nil {
		return err
	}
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	return ok(c, col.ClusterInfo(st.PeerID()))
}

// optimizations answers GET /collections/{name}/optimizations: running
// optimizations and the estimated queue; ?with=queued,completed,idle_segments
// adds those lists (completed_limit bounds the completed ones, 16 unless
// set).
func (s *Server) optimizations(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var queued, completed, idle bool
	if w := c.QueryParam("with"); w != "" {
		for _, part := range strings.Split(w, ",") {
			switch strings.TrimSpace(part) {
			case "queued":
				queued = true
			case "completed":
				completed = true
			case "idle_segments":
				idle = true
			default:
				return badRequest("Format error in query string: with: unknown variant `%s`, expected one of `queued`, `completed`, `idle_segments`", strings.TrimSpace(part))
			}
		}
	}
	limit := 16
	if v := c.QueryParam("completed_limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest("Format error in query string: completed_limit: invalid digit found in string")
		}
		limit = n
	}
	return ok(c, col.Optimizations(queued, completed, idle, limit))
}
