package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// jobs are the snapshot operations a transport accepted without waiting
// for them (Qdrant's wait=false): the manager owns them, so that shutting
// down waits for them whichever transport started them.
type jobs struct {
	wg sync.WaitGroup
}

// Go runs work in the background, owned by the manager, and returns at
// once; Wait waits for it. The work runs with its own context, not the
// request's, since the request has been answered: a failure can only be
// logged, with what naming the operation.
func (m *Manager) Go(what string, work func(ctx context.Context) error) {
	m.jobs.wg.Add(1)
	go func() {
		defer m.jobs.wg.Done()
		if err := work(context.Background()); err != nil {
			m.log().Error("background snapshot work failed", "op", what, "err", err)
		}
	}()
}

// Wait blocks until the work started with Go has finished. Call it after
// the transports have stopped accepting requests, before the storage is
// closed.
func (m *Manager) Wait() { m.jobs.wg.Wait() }

// Upload is an uploaded archive received into the temp path by
// ReceiveUpload; Remove deletes it once it has been recovered from.
type Upload struct {
	// Path is the received file.
	Path string
	m    *Manager
}

// ReceiveUpload receives an uploaded archive into a fresh file under
// TempPath, checking its SHA-256 (when checksum is not "") as it streams
// in (see Receive). size is the length the client declared, 0 or less
// when unknown: an upload over MaxBytes (ErrTooLarge) or over the free
// space of the temp path is refused before anything is read. open returns
// the archive's stream; it is called only after those checks, so a
// transport that must read some of its request to find the archive (a
// multipart form) reads nothing of a refused one. Its errors are returned
// as they are.
func (m *Manager) ReceiveUpload(size int64, checksum string, open func() (io.Reader, error)) (*Upload, error) {
	if err := m.fs().MkdirAll(m.TempPath, 0o755); err != nil {
		return nil, fmt.Errorf("create temp path: %w", err)
	}
	if size > 0 { // refuse what cannot fit before reading it
		if m.MaxBytes > 0 && size > m.MaxBytes {
			return nil, fmt.Errorf("%w: upload of %d bytes (limit %d)", ErrTooLarge, size, m.MaxBytes)
		}
		if err := CheckFreeSpace(m.TempPath, size); err != nil {
			return nil, err
		}
	}
	r, err := open()
	if err != nil {
		return nil, err
	}
	path, _, err := Receive(m.fs(), r, m.TempPath, checksum, m.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("snapshot upload: %w", err)
	}
	return &Upload{Path: path, m: m}, nil
}

// Remove deletes the uploaded file; a failure is logged (RemoveTemps
// removes leftovers at the next start).
func (u *Upload) Remove() {
	if err := u.m.fs().Remove(u.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		u.m.log().Warn("remove uploaded snapshot", "path", u.Path, "err", err)
	}
}
