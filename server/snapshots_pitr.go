package server

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/walarchive"
)

// recoverToMoment answers PUT /collections/{name}/snapshots/recover with
// "point_in_time": the snapshot at location is restored and the WAL archive
// of its timeline replayed onto it up to the moment
// (walarchive.RestoreToMoment); the collection is replaced (or created)
// only if all of it succeeds. The location is what an ordinary recover
// takes (snapshot.Manager.PrepareMoment): a file:// URL inside the
// snapshots folder, an http(s):// URL (downloaded first, within the same
// bounds), or with snapshots_storage: s3 an s3://bucket/key URL or a
// snapshot name; the snapshot is a collection snapshot or a full one
// holding the collection. The archive replayed is that of the collection
// the snapshot's manifest names (a full snapshot: the collection
// recovered), so a snapshot of c can be recovered to a moment as d.
// location stays required, as in Qdrant's SnapshotRecover.
func (s *Server) recoverToMoment(c echo.Context, m *snapshot.Manager, loc, checksum, apiKey, at string) error {
	if s.walArchive == nil {
		return badRequest("point_in_time: WAL archiving is off (backup.wal_archive.target): there is no archive to replay")
	}
	to, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return badRequest("point_in_time: %q is not an RFC 3339 time such as 2026-12-07T10:00:00Z", at)
	}
	name := c.Param("name")
	if err := snapshot.CheckRecoverName(name); err != nil {
		return err
	}
	r, err := m.PrepareMoment(name, loc, checksum, apiKey, func(ctx context.Context, from snapshot.Candidate) error {
		_, err := walarchive.RestoreToMoment(ctx, walarchive.RestoreOptions{Storage: s.eng, Archive: s.walArchive.Store, Snapshots: m,
			SnapshotsPath: m.SnapshotsPath, TempPath: m.TempPath, MaxBytes: m.MaxBytes,
			As: name, From: &from, To: to, Logger: s.log})
		if err == nil {
			s.walArchive.Forget(name) // its WAL now continues from the restored lsn
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.runOrAccept(c, "recover collection to a moment", func(ctx context.Context) (any, error) {
		return true, r.Run(ctx)
	})
}
