package server

import (
	"context"
	"errors"
	"io"
	"mime/multipart"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/snapshot"
)

// recoverRequest is Qdrant's SnapshotRecover body.
type recoverRequest struct {
	Location *string `json:"location"`
	Priority *string `json:"priority"`
	Checksum *string `json:"checksum"`
	APIKey   *string `json:"api_key"`
	// PointInTime (Cairn's extension, RFC 3339) replays the WAL archive
	// onto the snapshot up to that moment (see recoverToMoment).
	PointInTime *string `json:"point_in_time"`
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// recoverArgs checks a recover's checksum and priority before any work.
func recoverArgs(checksum, priority string) (string, snapshot.Priority, error) {
	if checksum != "" {
		var err error
		if checksum, err = snapshot.ParseChecksum(checksum); err != nil {
			return "", "", err
		}
	}
	p, err := snapshot.ParsePriority(priority)
	return checksum, p, err
}

// recoverBody reads a recover route's body and checks its location,
// checksum and priority before any work.
func (s *Server) recoverBody(c echo.Context) (req recoverRequest, checksum string, prio snapshot.Priority, err error) {
	if _, err := snapshotWait(c); err != nil { // before a Recovery holds a download slot
		return req, "", "", err
	}
	if err := s.bind(c, &req); err != nil {
		return req, "", "", err
	}
	if req.Location == nil {
		return req, "", "", badJSON(errors.New("missing field `location`"))
	}
	checksum, prio, err = recoverArgs(deref(req.Checksum), deref(req.Priority))
	return req, checksum, prio, err
}

func (s *Server) recoverCollectionSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	req, checksum, prio, err := s.recoverBody(c)
	if err != nil {
		return err
	}
	if req.PointInTime != nil {
		return s.recoverToMoment(c, m, *req.Location, checksum, deref(req.APIKey), *req.PointInTime)
	}
	// Refuse what can be refused at once, so wait=false answers it too.
	r, err := m.PrepareRecover(c.Param("name"), *req.Location, checksum, prio, deref(req.APIKey))
	if err != nil {
		return err
	}
	return s.runOrAccept(c, "recover collection snapshot", func(ctx context.Context) (any, error) {
		return true, r.Run(ctx)
	})
}

// uploadCollectionSnapshot receives a multipart upload (field "snapshot")
// straight into a file under the temp path, checking its SHA-256 as it
// streams in, then recovers the collection from it.
func (s *Server) uploadCollectionSnapshot(c echo.Context) error {
	m, err := s.snapshots()
	if err != nil {
		return err
	}
	name := c.Param("name")
	check := func() error { return snapshot.CheckRecoverName(name) }
	return s.recoverUpload(c, m, "recover uploaded snapshot", check, func(ctx context.Context, path string, prio snapshot.Priority) error {
		return m.Recover(ctx, name, path, "", prio) // receiveUpload checked the checksum
	})
}

// recoverUpload answers an upload route: it reads wait, checksum and
// priority, runs check (what can be refused before the body is read),
// streams the upload into the temp path checking its checksum, then runs
// restore on the file now, or after answering 202 when wait=false. The
// uploaded file is removed afterwards.
func (s *Server) recoverUpload(c echo.Context, m *snapshot.Manager, what string, check func() error,
	restore func(ctx context.Context, path string, prio snapshot.Priority) error) error {
	wait, err := snapshotWait(c)
	if err != nil {
		return err
	}
	checksum, prio, err := recoverArgs(c.QueryParam("checksum"), c.QueryParam("priority"))
	if err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	up, err := receiveUpload(c, m, checksum)
	if err != nil {
		return err
	}
	work := func(ctx context.Context) error {
		defer up.Remove()
		return restore(ctx, up.Path, prio)
	}
	if !wait {
		m.Go(what, work)
		return accepted(c)
	}
	if err := work(c.Request().Context()); err != nil {
		return err
	}
	return ok(c, true)
}

// receiveUpload finds the multipart field "snapshot" of an upload and
// has the manager receive it (size and free-space checks first).
func receiveUpload(c echo.Context, m *snapshot.Manager, checksum string) (*snapshot.Upload, error) {
	r := c.Request()
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("snapshot upload: want a multipart/form-data body: %v", err)
	}
	var part *multipart.Part
	defer func() {
		if part != nil {
			part.Close()
		}
	}()
	return m.ReceiveUpload(r.ContentLength, checksum, func() (io.Reader, error) {
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, badRequest("snapshot upload: no `snapshot` field in the form")
			}
			if err != nil {
				return nil, badRequest("snapshot upload: read form: %v", err)
			}
			if p.FormName() == "snapshot" {
				part = p
				return p, nil
			}
			p.Close()
		}
	})
}
