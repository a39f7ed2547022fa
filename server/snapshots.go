package server

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/snapshot"
)

// errNoSnapshots answers snapshot routes when the server has no snapshot
// manager.
var errNoSnapshots = wrapMsg(errUnavailable, "Service unavailable: snapshots are not configured")

// snapshotRoutes registers Qdrant's collection, full and shard snapshot
// routes. Listing and downloading need read access; everything else the
// full key. Uploads are exempt from the JSON body limit: they stream to
// disk, bounded by the manager's MaxBytes and the free disk space.
func (s *Server) snapshotRoutes() {
	const col = "/collections/:name/snapshots"
	s.add(http.MethodPost, col, accessWrite, s.createCollectionSnapshot)
	s.add(http.MethodGet, col, accessRead, s.listCollectionSnapshots)
	s.add(http.MethodGet, col+"/:snapshot_name", accessRead, s.downloadCollectionSnapshot)
	s.add(http.MethodDelete, col+"/:snapshot_name", accessWrite, s.deleteCollectionSnapshot)
	s.add(http.MethodPost, col+"/upload", accessWrite, s.uploadCollectionSnapshot)
	s.unlimited[http.MethodPost+" "+col+"/upload"] = true
	s.add(http.MethodPut, col+"/recover", accessWrite, s.recoverCollectionSnapshot)

	s.add(http.MethodPost, "/snapshots", accessWrite, s.createFullSnapshot)
	s.add(http.MethodGet, "/snapshots", accessRead, s.listFullSnapshots)
	s.add(http.MethodGet, "/snapshots/:snapshot_name", accessRead, s.downloadFullSnapshot)
	s.add(http.MethodDelete, "/snapshots/:snapshot_name", accessWrite, s.deleteFullSnapshot)

	const shard = "/collections/:name/shards/:shard_id/snapshots"
	s.add(http.MethodPost, shard, accessWrite, s.createShardSnapshot)
	s.add(http.MethodGet, shard, accessRead, s.listShardSnapshots)
	s.add(http.MethodGet, shard+"/:snapshot_name", accessRead, s.downloadShardSnapshot)
	s.add(http.MethodDelete, shard+"/:snapshot_name", accessWrite, s.deleteShardSnapshot)
	s.add(http.MethodPost, shard+"/upload", accessWrite, s.uploadShardSnapshot)
	s.unlimited[http.MethodPost+" "+shard+"/upload"] = true
	s.add(http.MethodPut, shard+"/recover", accessWrite, s.recoverShardSnapshot)
	s.add(http.MethodGet, "/collections/:name/shards/:shard_id/snapshot", accessRead, s.streamShardSnapshot)
	s.verifyRoutes()
}

// snapshots returns the manager, or a 503 when there is none.
func (s *Server) snapshots() (*snapshot.Manager, error) {
	if s.snaps == nil || s.snaps.Storage == nil {
		return nil, errNoSnapshots
	}
	return s.snaps, nil
}

// snapshotWait reads `wait`, which defaults to true on snapshot routes as
// in Qdrant.
func snapshotWait(c echo.Context) (bool, error) {
	w := c.QueryParam("wait")
	if w == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(w)
	if err != nil {
		return false, badRequest("Query deserialize error: wait: %q is not a boolean", w)
	}
	return b, nil
}

// acceptedBody is Qdrant's answer to wait=false: no result.
type acceptedBody struct {
	Status string  `json:"status"`
	Time   float64 `json:"time"`
}

func accepted(c echo.Context) error {
	return c.JSON(http.StatusAccepted, acceptedBody{Status: "accepted", Time: elapsed(c)})
}

// Wait blocks until the snapshot work accepted with wait=false has
// finished (the snapshot manager owns it: snapshot.Manager.Wait). Call it
// after the HTTP server has shut down, before the storage is closed.
func (s *Server) Wait() {
	if s.snaps != nil {
		s.snaps.Wait()
	}
}

// runOrAccept runs work now and answers with its result, or, with
// wait=false, answers 202 and runs it in the background.
func (s *Server) runOrAccept(c echo.Context, what string, work func(ctx context.Context) (any, error)) error {
	wait, err := snapshotWait(c)
	if err != nil {
		return err
	}
	if !wait {
		m, err := s.snapshots()
		if err != nil {
			return err
		}
		m.Go(what, func(ctx context.Context) error { _, err := work(ctx); return err })
		return accepted(c)
	}
	res, err := work(c.Request().Context())
	if err != nil {
		return err
	}
	return ok(c, res)
}

// shardID parses :shard_id; a value that is not a shard number names no
// route, as in Qdrant (404).
// shardSnapshots returns the snapshot manager and the shard id of a shard
// snapshot route: 503 without a manager, 404 for an id that is not a shard.
func (s *Server) shardSnapshots(c echo.Context) (*snapshot.Manager, uint32, error) {
	m, err := s.snapshots()
	if err != nil {
		return nil, 0, err
	}
	id, err := shardID(c)
	return m, id, err
}

func shardID(c echo.Context) (uint32, error) {
	v, err := strconv.ParseUint(c.Param("shard_id"), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", snapshot.ErrNoShard, c.Param("shard_id"))
	}
	return uint32(v), nil
}

// list answers a listing, [] rather than null when empty.
func list(c echo.Context, ds []snapshot.Description, err error) error {
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []snapshot.Description{}
	}
	return ok(c, ds)
}

// serveSnapshot streams an opened archive (a local file, or one
// synthesized from a remote store's objects) with Range support, the
// checksum as ETag when known and an attachment disposition.
func serveSnapshot(c echo.Context, d *snapshot.Download, err error) error {
	if err != nil {
		return err
	}
	defer d.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	if d.Checksum != "" {
		h.Set("ETag", `"`+d.Checksum+`"`)
	}
	http.ServeContent(c.Response(), c.Request(), d.Name, d.ModTime, d.Content)
	return nil
}

func (s *Server) createCollectionSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	name := c.Param("name")
	if _, err := m.Storage.Collection(name); err != nil {
		return err
	}
	return s.runOrAccept(c, "create collection snapshot", func(ctx context.Context) (any, error) {
		return m.CreateCollection(ctx, name)
	})
}

func (s *Server) listCollectionSnapshots(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	ds, err := m.ListCollection(c.Param("name"))
	return list(c, ds, err)
}

func (s *Server) downloadCollectionSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	d, err := m.DownloadCollection(c.Request().Context(), c.Param("name"), c.Param("snapshot_name"))
	return serveSnapshot(c, d, err)
}

// deleteNow deletes a snapshot; deleting is quick, so wait=false only
// changes the answer to 202 and errors are still reported.
func deleteNow(c echo.Context, del func() error) error {
	wait, err := snapshotWait(c)
	if err != nil {
		return err
	}
	if err := del(); err != nil {
		return err
	}
	if !wait {
		return accepted(c)
	}
	return ok(c, true)
}

func (s *Server) deleteCollectionSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	return deleteNow(c, func() error { return m.DeleteCollection(c.Param("name"), c.Param("snapshot_name")) })
}

func (s *Server) createFullSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	return s.runOrAccept(c, "create full snapshot", func(ctx context.Context) (any, error) {
		return m.CreateFull(ctx)
	})
}

func (s *Server) listFullSnapshots(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	ds, err := m.ListFull()
	return list(c, ds, err)
}

func (s *Server) downloadFullSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	d, err := m.DownloadFull(c.Request().Context(), c.Param("snapshot_name"))
	return serveSnapshot(c, d, err)
}

func (s *Server) deleteFullSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	return deleteNow(c, func() error { return m.DeleteFull(c.Param("snapshot_name")) })
}

func (s *Server) createShardSnapshot(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	if err := m.CheckShard(name, id); err != nil { // 404 now for a missing collection or shard
		return err
	}
	return s.runOrAccept(c, "create shard snapshot", func(ctx context.Context) (any, error) {
		return m.CreateShard(ctx, name, id)
	})
}

func (s *Server) listShardSnapshots(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	ds, err := m.ListShard(c.Param("name"), id)
	return list(c, ds, err)
}

func (s *Server) downloadShardSnapshot(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	d, err := m.DownloadShard(c.Request().Context(), c.Param("name"), id, c.Param("snapshot_name"))
	return serveSnapshot(c, d, err)
}

func (s *Server) deleteShardSnapshot(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	return deleteNow(c, func() error { return m.DeleteShard(c.Param("name"), id, c.Param("snapshot_name")) })
}

// streamShardSnapshot streams a fresh shard snapshot without storing it.
// Headers go out with the first byte, so an error found before (no such
// collection or shard) is answered in the error envelope; one found after
// aborts the connection, so the client sees a truncated download rather
// than a short archive that looks complete.
func (s *Server) streamShardSnapshot(c echo.Context) error {
	m, id, err := s.shardSnapshots(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	col, err := m.Storage.Collection(name)
	if err != nil {
		return err
	}
	w := &lazyWriter{c: c, filename: snapshot.ShardName(col.Name(), id, time.Now().UTC())}
	if _, err := m.StreamShard(c.Request().Context(), w, name, id); err != nil {
		if !w.started {
			return err
		}
		s.log.Error("stream shard snapshot", "collection", name, "shard", id, "err", err)
		panic(http.ErrAbortHandler)
	}
	if !w.started {
		w.start()
	}
	return nil
}

// lazyWriter sends the download headers with the first write.
type lazyWriter struct {
	c        echo.Context
	filename string
	started  bool
}

func (w *lazyWriter) start() {
	w.started = true
	h := w.c.Response().Header()
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": w.filename}))
	w.c.Response().WriteHeader(http.StatusOK)
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.start()
	}
	return w.c.Response().Write(p)
}
