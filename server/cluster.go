package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// clusterRoutes registers Qdrant's cluster routes as a node with
// distributed mode off answers them.
func (s *Server) clusterRoutes() {
	s.add(http.MethodGet, "/cluster", accessRead, s.clusterStatus)
	s.add(http.MethodGet, "/collections/:name/cluster", accessRead, s.collectionCluster)
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
