package server

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/walarchive"
)

// recoverToMoment answers PUT /collections/{name}/snapshots/recover with
// "point_in_time": the snapshot at location is restored and the WAL archive
// of its timeline replayed onto it up to the moment
// (walarchive.RestoreToMoment); the collection is replaced (or created)
// only if all of it succeeds. The location is a file:// URL inside the
// snapshots folder (a collection snapshot, or a full snapshot holding the
// collection) or, with snapshots_storage: s3, an s3://bucket/key URL or a
// snapshot name of the store. The archive replayed is that of the
// collection whose snapshot it is (the snapshots folder's
// {snapshots_path}/{source}/..., else the collection recovered), so a
// snapshot of c can be recovered to a moment as d.
func (s *Server) recoverToMoment(c echo.Context, m *snapshot.Manager, loc, checksum, at string) error {
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
	from, source, err := s.momentSource(c.Request().Context(), m, name, loc, checksum)
	if err != nil {
		return err
	}
	return s.runOrAccept(c, "recover collection to a moment", func(ctx context.Context) (any, error) {
		_, err := walarchive.RestoreToMoment(ctx, walarchive.RestoreOptions{Storage: s.eng, Archive: s.walArchive.Store, Snapshots: m,
			SnapshotsPath: m.SnapshotsPath, TempPath: m.TempPath, MaxBytes: m.MaxBytes,
			Source: source, As: name, From: &from, To: to, Logger: s.log})
		if err == nil {
			s.walArchive.Forget(name) // its WAL now continues from the restored lsn
		}
		return true, err
	})
}

// momentSource resolves a point-in-time recover's location to the
// snapshot to start from and the collection whose archive is replayed.
func (s *Server) momentSource(ctx context.Context, m *snapshot.Manager, name, loc, checksum string) (snapshot.Candidate, string, error) {
	if !strings.HasPrefix(loc, "file://") {
		if m.Remote == nil || strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
			return snapshot.Candidate{}, "", badRequest("point_in_time: the location must be a file:// snapshot inside the snapshots folder, or with snapshots_storage: s3 an s3:// location or a snapshot name (a download cannot be recovered to a moment yet)")
		}
		from, err := m.RemoteCandidate(ctx, name, loc)
		if err != nil {
			return from, "", err
		}
		from.Checksum = checksum
		source := name
		if from.Kind == snapshot.KindCollection {
			if k := strings.Split(from.Key, "/"); len(k) == 3 {
				source = k[1] // snapshots/{collection}/{name}
			}
		}
		return from, source, nil
	}
	path, err := snapshot.ResolveFileLocation(m.SnapshotsPath, loc)
	if err != nil {
		return snapshot.Candidate{}, "", err
	}
	if checksum != "" {
		if err := snapshot.VerifyChecksum(path, checksum); err != nil {
			return snapshot.Candidate{}, "", err
		}
	}
	from, err := snapshot.LocalCandidate(path)
	if err != nil {
		return from, "", err
	}
	source := name
	if rel, ok := relToSnapshots(m.SnapshotsPath, path); ok && strings.Count(filepath.ToSlash(rel), "/") == 1 {
		source = filepath.Dir(rel)
	}
	return from, source, nil
}

// relToSnapshots returns path (resolved, as ResolveFileLocation returns
// it) relative to the snapshots folder, also resolved.
func relToSnapshots(snapshotsPath, path string) (string, bool) {
	base, err := filepath.Abs(snapshotsPath)
	if err != nil {
		return "", false
	}
	if r, err := filepath.EvalSymlinks(base); err == nil {
		base = r
	}
	rel, err := filepath.Rel(base, path)
	return rel, err == nil && !strings.HasPrefix(rel, "..")
}
