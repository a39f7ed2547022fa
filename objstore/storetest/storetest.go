// Package storetest is the contract every objstore.Store keeps, as a test
// suite: Run it from an implementation's tests. It is imported by tests
// only.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/objstore"
)

// BigSize is the size of the object the contract stores to exercise
// multipart uploads: above two S3 minimum parts (5 MiB).
const BigSize = 11<<20 + 12345

// Run runs the contract over the stores newStore returns, a fresh empty
// one for every subtest.
func Run(t *testing.T, newStore func(t *testing.T) objstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s objstore.Store)
	}{
		{"PutGetStat", testPutGetStat},
		{"Ranges", testRanges},
		{"Missing", testMissing},
		{"Overwrite", testOverwrite},
		{"BadBodies", testBadBodies},
		{"BadKeys", testBadKeys},
		{"List", testList},
		{"Delete", testDelete},
		{"Cancelled", testCancelled},
		{"Big", testBig},
		{"Concurrent", testConcurrent},
		{"Hashed", testHashed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func put(t *testing.T, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// Read returns the n bytes at off of key (n < 0: to the end).
func Read(t *testing.T, s objstore.Store, key string, off, n int64) []byte {
	t.Helper()
	r, err := s.Get(context.Background(), key, off, n)
	if err != nil {
		t.Fatalf("get %s [%d,+%d): %v", key, off, n, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s [%d,+%d): %v", key, off, n, err)
	}
	return b
}

// Data returns n deterministic pseudo-random bytes.
func Data(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testPutGetStat(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "a/b", []byte("hello"))
	if err := s.Put(ctx, "a/unknown", strings.NewReader("size unknown"), -1); err != nil {
		t.Fatal(err)
	}
	put(t, s, "empty", nil)
	if got := Read(t, s, "a/b", 0, -1); string(got) != "hello" {
		t.Fatalf("get a/b = %q", got)
	}
	if got := Read(t, s, "a/unknown", 0, -1); string(got) != "size unknown" {
		t.Fatalf("get a/unknown = %q", got)
	}
	if got := Read(t, s, "empty", 0, -1); len(got) != 0 {
		t.Fatalf("get empty = %q", got)
	}
	info, err := s.Stat(ctx, "a/b")
	if err != nil || info.Key != "a/b" || info.Size != 5 || info.Modified.IsZero() {
		t.Fatalf("stat a/b = %+v, %v", info, err)
	}
	if info, err := s.Stat(ctx, "empty"); err != nil || info.Size != 0 {
		t.Fatalf("stat empty = %+v, %v", info, err)
	}
	if s.String() == "" {
		t.Fatal("String is empty")
	}
}

func testRanges(t *testing.T, s objstore.Store) {
	put(t, s, "r", []byte("0123456789"))
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, -1, "0123456789"}, {3, 4, "3456"}, {3, -1, "3456789"}, {8, 100, "89"}, {0, 0, ""}, {10, -1, ""}, {10, 5, ""}, {9, 1, "9"}} {
		if got := Read(t, s, "r", c.off, c.n); string(got) != c.want {
			t.Errorf("get [%d,+%d) = %q, want %q", c.off, c.n, got, c.want)
		}
	}
	if r, err := s.Get(context.Background(), "r", 11, -1); err == nil {
		b, rerr := io.ReadAll(r)
		r.Close()
		if rerr == nil {
			t.Fatalf("get from offset 11 of 10 bytes gave %q, want an error", b)
		}
	}
}

func testMissing(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "no/such", 0, -1); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("get missing: %v, want ErrNotExist", err)
	}
	if _, err := s.Stat(ctx, "no/such"); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("stat missing: %v, want ErrNotExist", err)
	}
	put(t, s, "no/such/deeper", []byte("x"))
	if _, err := s.Stat(ctx, "no/such"); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("stat of a key prefix: %v, want ErrNotExist", err)
	}
	if _, err := s.Get(ctx, "no", 0, -1); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("get of a key prefix: %v, want ErrNotExist", err)
	}
	if infos, err := s.List(ctx, "nothing/"); err != nil || len(infos) != 0 {
		t.Fatalf("list of nothing = %v, %v", infos, err)
	}
}

func testOverwrite(t *testing.T, s objstore.Store) {
	put(t, s, "o", []byte("first"))
	put(t, s, "o", []byte("second, longer"))
	if got := Read(t, s, "o", 0, -1); string(got) != "second, longer" {
		t.Fatalf("after overwrite: %q", got)
	}
	if infos, err := s.List(context.Background(), ""); err != nil || len(infos) != 1 || infos[0].Size != 14 {
		t.Fatalf("list after overwrite = %+v, %v", infos, err)
	}
}

// failingReader yields n bytes then fails.
type failingReader struct {
	n int
}

var errSource = errors.New("source failed")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errSource
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func testBadBodies(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "keep", []byte("old"))
	cases := []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"short", strings.NewReader("ab"), 3},
		{"long", strings.NewReader("abcd"), 3},
		{"failing", &failingReader{n: 100}, -1},
		{"failing sized", &failingReader{n: 100}, 200},
		{"failing big", &failingReader{n: BigSize}, -1},
	}
	for _, c := range cases {
		for _, key := range []string{"new", "keep"} {
			if err := s.Put(ctx, key, c.r, c.size); err == nil {
				t.Errorf("%s body stored under %s", c.name, key)
			}
			if r, ok := c.r.(*strings.Reader); ok {
				r.Seek(0, io.SeekStart)
			}
			if f, ok := c.r.(*failingReader); ok {
				*f = failingReader{n: 100}
				if c.name == "failing big" {
					f.n = BigSize
				}
			}
		}
	}
	if _, err := s.Stat(ctx, "new"); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("a failed put left an object: %v", err)
	}
	if got := Read(t, s, "keep", 0, -1); string(got) != "old" {
		t.Fatalf("a failed put changed the object: %q", got)
	}
	if infos, err := s.List(ctx, ""); err != nil || len(infos) != 1 {
		t.Fatalf("list after failed puts = %+v, %v", infos, err)
	}
}

func testBadKeys(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "/a", "a/", "a//b", "../x", "a/../b", "a\\b", "a\x00b"} {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1); !errors.Is(err, objstore.ErrBadKey) {
			t.Errorf("put %q: %v, want ErrBadKey", key, err)
		}
		if _, err := s.Get(ctx, key, 0, -1); !errors.Is(err, objstore.ErrBadKey) {
			t.Errorf("get %q: %v, want ErrBadKey", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, objstore.ErrBadKey) {
			t.Errorf("stat %q: %v, want ErrBadKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, objstore.ErrBadKey) {
			t.Errorf("delete %q: %v, want ErrBadKey", key, err)
		}
	}
	for _, prefix := range []string{"/a", "../", "a//"} {
		if _, err := s.List(ctx, prefix); !errors.Is(err, objstore.ErrBadKey) {
			t.Errorf("list %q: %v, want ErrBadKey", prefix, err)
		}
	}
	if infos, err := s.List(ctx, ""); err != nil || len(infos) != 0 {
		t.Fatalf("bad keys stored something: %+v, %v", infos, err)
	}
}

func testList(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	keys := []string{"a.c", "a/b", "a/c/d", "ab", "b", "snapshots/c/x.snapshot", "snapshots/c2/y", "ü/名前"}
	for i, k := range []int{3, 0, 7, 1, 5, 2, 6, 4} {
		put(t, s, keys[k], bytes.Repeat([]byte{'x'}, i+1))
	}
	list := func(prefix string) []string {
		t.Helper()
		infos, err := s.List(ctx, prefix)
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		var out []string
		for _, in := range infos {
			if in.Modified.IsZero() || in.Size < 1 {
				t.Errorf("list %q: %+v", prefix, in)
			}
			out = append(out, in.Key)
		}
		return out
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"", keys},
		{"a", []string{"a.c", "a/b", "a/c/d", "ab"}},
		{"a/", []string{"a/b", "a/c/d"}},
		{"a/c", []string{"a/c/d"}},
		{"snapshots/c", []string{"snapshots/c/x.snapshot", "snapshots/c2/y"}},
		{"snapshots/c/", []string{"snapshots/c/x.snapshot"}},
		{"zzz", nil},
		{"snapshots/none/", nil},
	} {
		if got := list(c.prefix); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("list %q = %q, want %q", c.prefix, got, c.want)
		}
	}
}

func testDelete(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "d/e/f", []byte("1"))
	put(t, s, "d/g", []byte("2"))
	if err := s.Delete(ctx, "d/e/f"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d/e/f"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if err := s.Delete(ctx, "d"); err != nil {
		t.Fatalf("deleting a key prefix: %v", err)
	}
	if _, err := s.Get(ctx, "d/e/f", 0, -1); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("get after delete: %v", err)
	}
	if infos, err := s.List(ctx, ""); err != nil || len(infos) != 1 || infos[0].Key != "d/g" {
		t.Fatalf("list after delete = %+v, %v", infos, err)
	}
	put(t, s, "d/e/f", []byte("again"))
	if got := Read(t, s, "d/e/f", 0, -1); string(got) != "again" {
		t.Fatalf("put after delete: %q", got)
	}
}

func testCancelled(t *testing.T, s objstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, "c", strings.NewReader("x"), 1); !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context: %v", err)
	}
	if _, err := s.Get(ctx, "c", 0, -1); err == nil {
		t.Error("get with a cancelled context succeeded")
	}
	if _, err := s.List(ctx, ""); err == nil {
		t.Error("list with a cancelled context succeeded")
	}
	// Cancelled while the body is read: nothing is stored.
	ctx, cancel = context.WithCancel(context.Background())
	r := &cancelAfter{r: bytes.NewReader(Data(7, BigSize)), after: 1 << 20, cancel: cancel}
	if err := s.Put(ctx, "c", r, BigSize); err == nil {
		t.Error("a put cancelled midway succeeded")
	}
	if _, err := s.Stat(context.Background(), "c"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("a cancelled put left an object: %v", err)
	}
}

// cancelAfter cancels its context once after bytes have been read.
type cancelAfter struct {
	r      io.Reader
	after  int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.after -= n; c.after <= 0 {
		c.cancel()
	}
	return n, err
}

func testBig(t *testing.T, s objstore.Store) {
	data := Data(1, BigSize)
	put(t, s, "big/sized", data)
	if err := s.Put(context.Background(), "big/unsized", bytes.NewBuffer(data), -1); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"big/sized", "big/unsized"} {
		if got := Read(t, s, k, 0, -1); !bytes.Equal(got, data) {
			t.Fatalf("%s: read back %d bytes, differ", k, len(got))
		}
		if got := Read(t, s, k, 6<<20-3, 10); !bytes.Equal(got, data[6<<20-3:6<<20+7]) {
			t.Fatalf("%s: range across parts differs", k)
		}
		if info, err := s.Stat(context.Background(), k); err != nil || info.Size != BigSize {
			t.Fatalf("stat %s = %+v, %v", k, info, err)
		}
	}
}

func testConcurrent(t *testing.T, s objstore.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Go(func() {
			key := fmt.Sprintf("con/%d/obj", i)
			data := Data(uint64(i), 1000+i)
			if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
				errs <- err
				return
			}
			if err := s.Delete(context.Background(), fmt.Sprintf("con/%d/other", i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if infos, err := s.List(context.Background(), "con/"); err != nil || len(infos) != 8 {
		t.Fatalf("list = %d objects, %v", len(infos), err)
	}
}

// wrapped hides every method of its Store but Store's, as a wrapper
// does: objstore.PutHashed then checks the body itself.
type wrapped struct{ objstore.Store }

func testHashed(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	for _, st := range []struct {
		name string
		s    objstore.Store
	}{{"store", s}, {"wrapped", wrapped{s}}} {
		for _, size := range []int{0, 5, 1 << 20, BigSize} {
			data := Data(uint64(size), size)
			sum := sha256.Sum256(data)
			bad := sum
			bad[7] ^= 1
			key := fmt.Sprintf("h/%s/%d", st.name, size)
			for _, sized := range []int64{int64(size), -1} {
				if err := objstore.PutHashed(ctx, st.s, key, bytes.NewReader(data), sized, bad[:]); !errors.Is(err, objstore.ErrChecksum) {
					t.Fatalf("%s: put of %d bytes (size %d) under a wrong SHA-256: %v, want ErrChecksum", st.name, size, sized, err)
				}
				if _, err := s.Stat(ctx, key); !errors.Is(err, objstore.ErrNotExist) {
					t.Fatalf("%s: a put under a wrong SHA-256 left an object: %v", st.name, err)
				}
			}
			if err := objstore.PutHashed(ctx, st.s, key, bytes.NewReader(data), int64(size), sum[:]); err != nil {
				t.Fatalf("%s: put of %d bytes under their SHA-256: %v", st.name, size, err)
			}
			if got := Read(t, s, key, 0, -1); !bytes.Equal(got, data) {
				t.Fatalf("%s: read back %d bytes of %d, differ", st.name, len(got), size)
			}
			// A refused put leaves the object there untouched.
			other := Data(uint64(size)+1, size)
			if err := objstore.PutHashed(ctx, st.s, key, bytes.NewReader(other), int64(size), bad[:]); !errors.Is(err, objstore.ErrChecksum) {
				t.Fatalf("%s: overwrite under a wrong SHA-256: %v, want ErrChecksum", st.name, err)
			}
			if got := Read(t, s, key, 0, -1); !bytes.Equal(got, data) {
				t.Fatalf("%s: a refused put changed the object", st.name)
			}
		}
		if err := objstore.PutHashed(ctx, st.s, "h/short-sum", strings.NewReader("x"), 1, []byte{1, 2}); !errors.Is(err, objstore.ErrChecksum) {
			t.Fatalf("%s: put with a 2-byte SHA-256: %v, want ErrChecksum", st.name, err)
		}
		if err := objstore.PutBytes(ctx, st.s, "h/bytes", []byte("small")); err != nil {
			t.Fatalf("%s: PutBytes: %v", st.name, err)
		}
		if got := Read(t, s, "h/bytes", 0, -1); string(got) != "small" {
			t.Fatalf("%s: PutBytes stored %q", st.name, got)
		}
	}
	if infos, err := s.List(ctx, "h/short-sum"); err != nil || len(infos) != 0 {
		t.Fatalf("a refused SHA-256 stored something: %+v, %v", infos, err)
	}
}
