package server

import "github.com/labstack/echo/v4"

// DiskPath is the Cairn extension route (not in Qdrant's API, hence the
// /cairn/ prefix) that answers a collection's disk usage by kind.
const DiskPath = "/cairn/collections/:name/disk"

// getCollectionDisk answers GET /cairn/collections/{name}/disk with the
// collection's engine.DiskUsage (name or alias), in Qdrant's envelope.
func (s *Server) getCollectionDisk(c echo.Context) error {
	coll, err := s.collection(c)
	if err != nil {
		return err
	}
	u, err := coll.DiskUsage()
	if err != nil {
		return err
	}
	return ok(c, u)
}
