package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// verifyRoutes registers the snapshot verify routes: read-only key
// allowed, as verifying changes nothing. Each answers the report
// (snapshot.Report) as its result, 200 whether or not the checks pass
// (result.ok says); an unknown collection, shard or snapshot is a 404.
func (s *Server) verifyRoutes() {
	s.add(http.MethodPost, "/collections/:name/snapshots/:snapshot_name/verify", accessRead, s.verifyCollectionSnapshot)
	s.add(http.MethodPost, "/collections/:name/shards/:shard_id/snapshots/:snapshot_name/verify", accessRead, s.verifyShardSnapshot)
	s.add(http.MethodPost, "/snapshots/:snapshot_name/verify", accessRead, s.verifyFullSnapshot)
}

func (s *Server) verifyCollectionSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	rep, err := m.VerifyCollection(c.Request().Context(), c.Param("name"), c.Param("snapshot_name"))
	if err != nil {
		return err
	}
	return ok(c, rep)
}

func (s *Server) verifyShardSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	id, err := shardID(c)
	if err != nil {
		return err
	}
	rep, err := m.VerifyShard(c.Request().Context(), c.Param("name"), id, c.Param("snapshot_name"))
	if err != nil {
		return err
	}
	return ok(c, rep)
}

func (s *Server) verifyFullSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	rep, err := m.VerifyFull(c.Request().Context(), c.Param("snapshot_name"))
	if err != nil {
		return err
	}
	return ok(c, rep)
}
