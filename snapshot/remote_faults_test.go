package snapshot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// TestRemoteRestoreFaults: a get failing in the middle of a restore, and
// an object corrupted in the store (ErrCorrupt naming the file), fail the
// recover and leave the live collection as it was.
func TestRemoteRestoreFaults(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, _ := remoteEnv(t, mk)
		src := e.create(t, "src", dim, 1)
		fill(t, src, 3, dim)
		d, err := e.m.CreateCollection(ctxb, "src")
		if err != nil {
			t.Fatal(err)
		}
		live := e.create(t, "live", dim, 1)
		fill(t, live, 4, dim)
		want := dump(t, live)
		key, _ := manifestKey("src", d.Name)
		untouched := func(what string) {
			t.Helper()
			l, err := e.st.Collection("live")
			if err != nil || dump(t, l) != want {
				t.Fatalf("%s: live collection changed (%v)", what, err)
			}
			assertNoTemps(t, e.m.TempPath)
		}
		boom := errors.New("injected get failure")
		var n atomic.Int32
		cs.setFail(func(op, key string) error {
			if op == "get" && strings.HasPrefix(key, RemoteObjects) {
				if n.Add(1) == 2 {
					return boom
				}
			}
			return nil
		})
		if err := e.m.RecoverRemote(ctxb, "live", key, "", PrioritySnapshot); !errors.Is(err, boom) {
			t.Fatalf("recover with a failing get: %v", err)
		}
		untouched("failing get")
		cs.setFail(nil)

		rm, err := e.m.readRemote(ctxb, key)
		if err != nil {
			t.Fatal(err)
		}
		var victim RemoteEntry
		for _, en := range rm.Entries {
			if !en.Dir && en.Size > 8 {
				victim = en
				break
			}
		}
		obj := victim.Chunks[0].Object
		rc, _ := cs.Get(ctxb, obj, 0, -1)
		b, _ := io.ReadAll(rc)
		b[len(b)/2] ^= 0xff
		if err := cs.Store.Put(ctxb, obj, bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		err = e.m.RecoverRemote(ctxb, "live", key, "", PrioritySnapshot)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), victim.Path) {
			t.Fatalf("recover from a corrupted object: %v (want ErrCorrupt naming %s)", err, victim.Path)
		}
		untouched("corrupted object")
	})
}

// TestRemoteCRCMismatch: a manifest (well formed, its own checksum right)
// whose CRC-32C of a file disagrees with the file's chunks fails the
// restore with ErrCorrupt naming the file, before anything is installed.
func TestRemoteCRCMismatch(t *testing.T) {
	e, cs, _ := remoteEnv(t, remoteStores["mem"])
	fill(t, e.create(t, "c", dim, 1), 14, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := manifestKey("c", d.Name)
	rm, err := e.m.readRemote(ctxb, key)
	if err != nil {
		t.Fatal(err)
	}
	var victim string
	for i := range rm.Entries {
		if en := &rm.Entries[i]; !en.Dir && len(en.Chunks) > 0 {
			en.CRC32C ^= 1
			victim = en.Path
			break
		}
	}
	b, err := encodeRemote(rm)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.Put(ctxb, key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	err = e.m.RecoverRemote(ctxb, "copy", key, "", PrioritySnapshot)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "CRC-32C") {
		t.Fatalf("CRC mismatch: %v", err)
	}
	if e.st.CollectionExists("copy") {
		t.Fatal("collection installed from a snapshot that failed its CRC")
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestRemoteRecoverSlots: a recover from the store takes a download slot
// (one more is refused with ErrBusy before any work), and Close ends it
// with engine.ErrClosed, the live collection untouched.
func TestRemoteRecoverSlots(t *testing.T) {
	e, cs, _ := remoteEnv(t, remoteStores["mem"])
	e.m.MaxDownloads = 1
	c := e.create(t, "c", dim, 1)
	fill(t, c, 16, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, c)
	reached := make(chan struct{})
	var once sync.Once
	cs.setFail(func(op, key string) error {
		if op == "get" && strings.HasPrefix(key, RemoteObjects) {
			once.Do(func() { close(reached) })
		}
		return nil
	})
	blocking := &blockingGets{Store: e.m.Remote}
	e.m.Remote = blocking
	r, err := e.m.PrepareRecover("c", d.Name, "", PrioritySnapshot, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctxb) }()
	<-reached
	if _, err := e.m.PrepareRecover("c", d.Name, "", PrioritySnapshot, ""); !errors.Is(err, ErrBusy) {
		t.Fatalf("second recover: %v, want ErrBusy", err)
	}
	e.m.Close()
	if err := <-done; !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("recover ended by Close: %v", err)
	}
	if got, _ := e.st.Collection("c"); dump(t, got) != want {
		t.Fatal("live collection changed")
	}
	assertNoTemps(t, e.m.TempPath)
}

// blockingGets makes every object read wait for its context's end.
type blockingGets struct{ objstore.Store }

func (b *blockingGets) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	rc, err := b.Store.Get(ctx, key, off, n)
	if err != nil || !strings.HasPrefix(key, RemoteObjects) {
		return rc, err
	}
	rc.Close()
	<-ctx.Done()
	return nil, ctx.Err()
}
