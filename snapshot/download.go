package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
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
	RateWindow:     60 * time.Second,
	MinBytes:       1 << 20,
}

// Timeouts bound the phases of a recover download. None bounds the whole
// download, which may take long for a big archive: Idle fires when no byte
// arrives for that long, and RateWindow with MinBytes when the body
// trickles (fewer than MinBytes in a window), so that a slow source cannot
// hold a download slot forever.
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
	// RateWindow and MinBytes bound the body's rate: a window (counted
	// from the response headers) in which fewer than MinBytes arrive
	// stalls the download.
	RateWindow time.Duration
	// MinBytes is the least a body must bring in each RateWindow.
	MinBytes int64
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
	if t.RateWindow > 0 {
		d.RateWindow = t.RateWindow
	}
	if t.MinBytes > 0 {
		d.MinBytes = t.MinBytes
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
	budget downloadBudget
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

// freeSpace measures the free space of the temp path's filesystem
// (Manager.testFreeSpace in tests).
func (m *Manager) freeSpace() (int64, error) {
	if m.testFreeSpace != nil {
		return m.testFreeSpace()
	}
	if err := m.fs().MkdirAll(m.TempPath, dirMode); err != nil {
		return 0, fmt.Errorf("create temp path: %w", relErr(err, m.TempPath))
	}
	return vfs.FreeSpace(m.TempPath)
}

// downloadBudget is the disk space the recover downloads running at once
// may take together when max_snapshot_size_mb does not bound them: half of
// what was free on the temp path above DownloadReserve when the first of
// them started (the archive is unpacked next to itself). Each download
// takes bytes from it as they arrive and gives them back when it ends, so
// concurrent downloads share one bound instead of each measuring the free
// space on its own. Guarded by lifetime.mu.
type downloadBudget struct {
	pool  int64 // bytes all running downloads may take together
	used  int64 // bytes they have taken
	users int   // downloads holding a grant; the pool is measured again at 0
}

// grant is one download's share of the space: limit is the most bytes it
// may take (all that was unreserved when it started); with a shared
// budget, its bytes are also taken from the pool as they arrive.
type grant struct {
	lt     *lifetime
	limit  int64
	bound  string // names the bound for the error
	shared bool
	taken  int64
	once   sync.Once
}

// downloadLimit returns the grant of a download starting now:
// MaxBytes when set, else a share of the downloads' budget. Release it
// when the download ends.
func (m *Manager) downloadLimit() (*grant, error) {
	lt := m.life()
	if m.MaxBytes > 0 {
		return &grant{lt: lt, limit: m.MaxBytes, bound: "storage.max_snapshot_size_mb"}, nil
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	b := &lt.budget
	if b.users == 0 {
		free, err := m.freeSpace()
		if err != nil {
			return nil, fmt.Errorf("check free space of the temp path: %w", err)
		}
		b.pool, b.used = (free-DownloadReserve)/2, 0
		if b.pool <= 0 {
			return nil, fmt.Errorf("%w: the temp path has %d MiB free, a download keeps %d MiB free", ErrTooLarge, free>>20, DownloadReserve>>20)
		}
	}
	left := b.pool - b.used
	if left <= 0 {
		return nil, fmt.Errorf("%w: the downloads running take all of the %d bytes the downloads may take together (half the free space of the temp path)", ErrTooLarge, b.pool)
	}
	b.users++
	return &grant{lt: lt, limit: left, bound: "half the free space of the temp path, shared by the downloads running", shared: true}, nil
}

// take takes n more bytes from the shared budget; false when they do not
// fit.
func (g *grant) take(n int) bool {
	if !g.shared {
		return true
	}
	g.lt.mu.Lock()
	defer g.lt.mu.Unlock()
	b := &g.lt.budget
	if b.used+int64(n) > b.pool {
		return false
	}
	b.used += int64(n)
	g.taken += int64(n)
	return true
}

// release gives the grant's bytes back; it may be called more than once.
func (g *grant) release() {
	if !g.shared {
		return
	}
	g.once.Do(func() {
		g.lt.mu.Lock()
		defer g.lt.mu.Unlock()
		g.lt.budget.used -= g.taken
		g.lt.budget.users--
	})
}

// errBudgetSpent ends a download whose bytes no longer fit the shared
// budget.
var errBudgetSpent = errors.New("download budget spent")

// budgetReader takes the bytes it reads from a grant.
type budgetReader struct {
	r io.Reader
	g *grant
}

func (br budgetReader) Read(p []byte) (int, error) {
	n, err := br.r.Read(p)
	if n > 0 && !br.g.take(n) {
		return n, errBudgetSpent
	}
	return n, err
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

// rateReader ends a body that trickles: at the end of each window it
// checks that at least min bytes arrived in it, else calls stalled (which
// cancels the request).
type rateReader struct {
	r       io.Reader
	n       atomic.Int64 // bytes read so far
	last    int64        // n at the start of the window; the timer's only
	min     int64
	window  time.Duration
	timer   *time.Timer
	stopped atomic.Bool
	stalled func()
}

func newRateReader(r io.Reader, window time.Duration, min int64, stalled func()) *rateReader {
	rr := &rateReader{r: r, min: min, window: window, stalled: stalled}
	rr.timer = time.AfterFunc(window, rr.check)
	return rr
}

func (rr *rateReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.n.Add(int64(n))
	return n, err
}

func (rr *rateReader) check() {
	if rr.stopped.Load() {
		return
	}
	n := rr.n.Load()
	if n-rr.last < rr.min {
		rr.stalled()
		return
	}
	rr.last = n
	rr.timer.Reset(rr.window)
}

// stop stops the checks once the body has been read.
func (rr *rateReader) stop() {
	rr.stopped.Store(true)
	rr.timer.Stop()
}

// get sends the GET of a download of u (with apiKey, when not ""), and
// returns its 200 answer; the caller closes its body. cancel ends ctx
// with a stall when no response headers come within t.ResponseHeader.
func (m *Manager) get(ctx context.Context, cancel context.CancelCauseFunc, u *url.URL, t Timeouts, apiKey string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, kindErrorf(ErrBadLocation, "Bad request: invalid snapshot location %s: %v", u.Redacted(), err)
	}
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	var client HTTPDoer = m.HTTPClient
	if client == nil {
		client = m.downloadClient(u.Host, t)
	}
	headers := time.AfterFunc(t.ResponseHeader, func() { cancel(&stallError{what: "response headers", d: t.ResponseHeader}) })
	resp, err := client.Do(req)
	headers.Stop()
	if err != nil {
		return nil, m.downloadError(ctx, u, err, false)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: download %s: %s", ErrBadLocation, u.Redacted(), resp.Status)
	}
	return resp, nil
}
