package snapshot

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

// remoteStores are the stores the remote tests run on, by name: each
// returns an empty store whose clock is now. The S3 tests add theirs.
var remoteStores = map[string]func(t testing.TB, now func() time.Time) objstore.Store{
	"mem": func(t testing.TB, now func() time.Time) objstore.Store { return objstore.NewMem(now) },
}

// forStores runs f once per store of remoteStores.
func forStores(t *testing.T, f func(t *testing.T, mk func(t testing.TB, now func() time.Time) objstore.Store)) {
	for name, mk := range remoteStores {
		t.Run(name, func(t *testing.T) { f(t, mk) })
	}
}

// memOnly runs f on the in-memory store alone, for tests that need the
// store to stamp objects with the test's clock.
func memOnly(t *testing.T, f func(t *testing.T, mk func(t testing.TB, now func() time.Time) objstore.Store)) {
	t.Run("mem", func(t *testing.T) { f(t, remoteStores["mem"]) })
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the current second: a real store (S3) stamps objects
// with its own clock, which the grace period is compared with.
func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// counting counts the objects and bytes Put into a store.
type counting struct {
	objstore.Store
	puts, bytes atomic.Int64
	stats       atomic.Int64
	fail        atomic.Pointer[func(op, key string) error]
}

func (c *counting) setFail(f func(op, key string) error) {
	if f == nil {
		c.fail.Store(nil)
		return
	}
	c.fail.Store(&f)
}

func (c *counting) check(op, key string) error {
	if f := c.fail.Load(); f != nil {
		return (*f)(op, key)
	}
	return nil
}

func (c *counting) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := c.check("put", key); err != nil {
		return err
	}
	cr := &countReader{r: r}
	err := c.Store.Put(ctx, key, cr, size)
	if err == nil {
		c.puts.Add(1)
		c.bytes.Add(cr.n)
	}
	return err
}

// PutHashed passes the declared SHA-256 on to the store (S3: the
// request's signed payload hash), counting as Put does.
func (c *counting) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	if err := c.check("put", key); err != nil {
		return err
	}
	cr := &countReader{r: r}
	err := objstore.PutHashed(ctx, c.Store, key, cr, size, sum)
	if err == nil {
		c.puts.Add(1)
		c.bytes.Add(cr.n)
	}
	return err
}

func (c *counting) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := c.check("get", key); err != nil {
		return nil, err
	}
	return c.Store.Get(ctx, key, off, n)
}

func (c *counting) reset() { c.puts.Store(0); c.bytes.Store(0); c.stats.Store(0) }

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bucketStore names a store as an S3 bucket with a prefix.
type bucketStore struct{ objstore.Store }

func (bucketStore) String() string { return "s3://test-bucket/backups/node1" }

func (b bucketStore) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	return objstore.PutHashed(ctx, b.Store, key, r, size, sum)
}

// remoteEnv is an env whose manager keeps its snapshots in a counting
// store on the test clock.
func remoteEnv(t *testing.T, mk func(t testing.TB, now func() time.Time) objstore.Store) (*env, *counting, *clock) {
	t.Helper()
	e := newEnv(t, nil)
	clk := newClock()
	cs := &counting{Store: mk(t, clk.now)}
	e.m.Remote = bucketStore{cs}
	e.m.Now = clk.now
	return e, cs, clk
}

// captureStats records the stats of the remote creates of a test.
func captureStats(t *testing.T) *[]RemoteStats {
	var got []RemoteStats
	var mu sync.Mutex
	observeRemote = func(s RemoteStats) { mu.Lock(); got = append(got, s); mu.Unlock() }
	t.Cleanup(func() { observeRemote = nil })
	return &got
}

func (c *counting) Delete(ctx context.Context, key string) error {
	if err := c.check("delete", key); err != nil {
		return err
	}
	return c.Store.Delete(ctx, key)
}

func (c *counting) Stat(ctx context.Context, key string) (objstore.Info, error) {
	if err := c.check("stat", key); err != nil {
		return objstore.Info{}, err
	}
	c.stats.Add(1)
	return c.Store.Stat(ctx, key)
}
