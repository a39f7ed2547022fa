package server

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/snapshot"
)

// recoverShardSnapshot answers PUT
// /collections/{name}/shards/{shard_id}/snapshots/recover: body
// {location, priority, checksum, api_key}, where location is a file:// URL
// inside the snapshots folder, an http(s):// URL, or the name of one of the
// shard's snapshots. The collection and the shard must exist.
func (s *Server) recoverShardSnapshot(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	req, checksum, prio, err := s.recoverBody(c)
	if err != nil {
		return err
	}
	if req.PointInTime != nil {
		return badRequest("point_in_time: a shard snapshot cannot be recovered to a moment; recover the collection")
	}
	// Refuse what can be refused at once, so wait=false answers it too.
	r, err := m.PrepareRecoverShard(c.Param("name"), id, *req.Location, checksum, prio, deref(req.APIKey))
	if err != nil {
		return err
	}
	return s.runOrAccept(c, "recover shard snapshot", func(ctx context.Context) (any, error) {
		return true, r.Run(ctx)
	})
}

// uploadShardSnapshot answers POST
// /collections/{name}/shards/{shard_id}/snapshots/upload: the multipart
// field "snapshot" streams into the temp path (its checksum checked as it
// comes), then replaces the shard.
func (s *Server) uploadShardSnapshot(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	check := func() error { return m.CheckShard(name, id) } // 404 for a missing collection or shard
	return s.recoverUpload(c, m, "recover uploaded shard snapshot", check, func(ctx context.Context, path string, prio snapshot.Priority) error {
		return m.RecoverShard(ctx, name, id, path, "", prio) // receiveUpload checked the checksum
	})
}
