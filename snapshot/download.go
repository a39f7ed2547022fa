package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

// Defaults of the recover downloads (Manager.MaxDownloads and
// Manager.DownloadTimeouts); docs/format/snapshot.md describes them.
const (
	// DefaultMaxDownloads is how many recovers from http(s):// locations
	// may run at once; another is refused with ErrBusy (503).
	DefaultMaxDownloads = 4
	// DownloadReserve is the free space a download leaves on the temp
	// path's filesystem when max_snapshot_size_mb does not bound it: the
	// bound is half of what is free above the reserve, since the archive
	// is unpacked next to itself.
	DownloadReserve = 256 << 20
)

// DefaultTimeouts are the recover download timeouts used for zero fields of
// Manager.DownloadTimeouts.
var DefaultTimeouts = Timeouts{
	Connect:        10 * time.Second,
	TLSHandshake:   10 * time.Second,
	ResponseHeader: 30 * time.Second,
	Idle:           30 * time.Second,
}

// Timeouts bound the phases of a recover download. None bounds the whole
// download, which may take long for a big archive: Idle only fires when no
// byte arrives for that long.
type Timeouts struct {
	// Connect bounds establishing the TCP connection.
	Connect time.Duration
	// TLSHandshake bounds the TLS handshake of an https:// location.
	TLSHandshake time.Duration
	// ResponseHeader bounds the wait for the response headers once the
	// request is sent.
	ResponseHeader time.Duration
	// Idle bounds the wait for the next bytes of the body; it restarts
	// whenever bytes arrive.
	Idle time.Duration
}

// withDefaults returns t with its zero fields taken from DefaultTimeouts.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.Connect > 0 {
		d.Connect = t.Connect
	}
	if t.TLSHandshake > 0 {
		d.TLSHandshake = t.TLSHandshake
	}
	if t.ResponseHeader > 0 {
		d.ResponseHeader = t.ResponseHeader
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// lifetime is what Close cancels and waits for: the pending downloads and
// the slots they hold.
type lifetime struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	active int
	wg     sync.WaitGroup
}

func (m *Manager) life() *lifetime {
	m.lt.once.Do(func() { m.lt.ctx, m.lt.cancel = context.WithCancel(context.Background()) })
	return &m.lt
}

func (m *Manager) maxDownloads() int {
	if m.MaxDownloads > 0 {
		return m.MaxDownloads
	}
	return DefaultMaxDownloads
}

// reserve takes a download slot: ErrBusy when MaxDownloads are taken,
// engine.ErrClosed once Close has been called. The returned release frees
// it; it may be called more than once.
func (m *Manager) reserve() (release func(), err error) {
	lt := m.life()
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.closed {
		return nil, fmt.Errorf("%w: snapshot recovers are shutting down", engine.ErrClosed)
	}
	if n := m.maxDownloads(); lt.active >= n {
		return nil, fmt.Errorf("%w (%d at once); retry later", ErrBusy, n)
	}
	lt.active++
	lt.wg.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			lt.mu.Lock()
			lt.active--
			lt.mu.Unlock()
			lt.wg.Done()
		})
	}, nil
}

// bind returns a context that ends with ctx or when Close is called.
func (m *Manager) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(m.life().ctx, func() { cancel(errShutdown) })
	return ctx, func() { stop(); cancel(context.Canceled) }
}

// errShutdown is the cause of a download cancelled by Close.
var errShutdown = errors.New("server shutting down")

// Close cancels the recover downloads in progress, waits until they have
// returned, and refuses new ones (engine.ErrClosed). Call it when the
// server shuts down, before the storage is closed; it may be called more
// than once.
func (m *Manager) Close() {
	lt := m.life()
	lt.mu.Lock()
	lt.closed = true
	lt.mu.Unlock()
	lt.cancel()
	lt.wg.Wait()
}

// downloadLimit is the most bytes a download may take: MaxBytes when set,
// else half of the free space on the temp path above DownloadReserve (the
// archive is unpacked next to itself). The second result names the bound
// for the error.
func (m *Manager) downloadLimit() (int64, string, error) {
	if m.MaxBytes > 0 {
		return m.MaxBytes, "storage.max_snapshot_size_mb", nil
	}
	free, err := vfs.FreeSpace(m.TempPath)
	if err != nil {
		return 0, "", fmt.Errorf("check free space of the temp path: %w", err)
	}
	limit := (free - DownloadReserve) / 2
	if limit <= 0 {
		return 0, "", fmt.Errorf("%w: the temp path has %d MiB free, a download keeps %d MiB free", ErrTooLarge, free>>20, DownloadReserve>>20)
	}
	return limit, "half the free space of the temp path", nil
}

// idleReader ends a body that sends nothing for idle: each Read that
// returns bytes restarts the timer; when it fires, stalled is called
// (which cancels the request, so the blocked Read returns).
type idleReader struct {
	r     io.Reader
	idle  time.Duration
	timer *time.Timer
}

func newIdleReader(r io.Reader, idle time.Duration, stalled func()) *idleReader {
	return &idleReader{r: r, idle: idle, timer: time.AfterFunc(idle, stalled)}
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.timer.Reset(ir.idle)
	}
	return n, err
}

// stop stops the timer once the body has been read.
func (ir *idleReader) stop() { ir.timer.Stop() }
