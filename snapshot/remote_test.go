package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
)

// readAll reads a whole download.
func readAll(t testing.TB, d *Download) []byte {
	t.Helper()
	defer d.Close()
	b, err := io.ReadAll(d.Content)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRemoteRoundTrip: a snapshot made into a store is listed with the
// size of its download; the download is an ordinary archive Extract and
// Recover accept; recovering by name from the store gives the same data.
func TestRemoteRoundTrip(t *testing.T) {
	for _, comp := range []string{CompressionNone, CompressionZstd} {
		t.Run(comp, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
				e, cs, _ := remoteEnv(t, mk)
				e.m.Compression = comp
				c := e.create(t, "c", dim, 1)
				fill(t, c, 1, dim)
				d, err := e.m.CreateCollection(ctxb, "c")
				if err != nil {
					t.Fatal(err)
				}
				ls, err := e.m.ListCollection("c")
				if err != nil || len(ls) != 1 || ls[0] != d {
					t.Fatalf("list %+v, %v; created %+v", ls, err, d)
				}
				if _, err := os.Stat(filepath.Join(e.m.SnapshotsPath, "c", d.Name)); err == nil {
					t.Fatal("a local archive was written")
				}
				objs, _ := cs.List(ctxb, RemoteObjects+"/")
				for _, o := range objs {
					if strings.HasSuffix(o.Key, zstdSuffix) != (comp == CompressionZstd) {
						t.Fatalf("object %s with compression %s", o.Key, comp)
					}
				}
				dl, err := e.m.DownloadCollection(ctxb, "c", d.Name)
				if err != nil {
					t.Fatal(err)
				}
				body := readAll(t, dl)
				if int64(len(body)) != d.Size {
					t.Fatalf("download %d bytes, listed %d", len(body), d.Size)
				}
				archive := filepath.Join(e.dir, "dl.snapshot")
				if err := os.WriteFile(archive, body, 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := Extract(bytes.NewReader(body), filepath.Join(e.dir, "x"), Limits{}); err != nil {
					t.Fatalf("extract the download: %v", err)
				}
				if err := e.m.Recover(ctxb, "fromfile", archive, "", PrioritySnapshot); err != nil {
					t.Fatal(err)
				}
				// By name: one of the target collection's own snapshots.
				want := dump(t, c)
				upsert(t, c, points(rand.New(rand.NewPCG(3, 3)), 7000, 10, dim))
				r, err := e.m.PrepareRecover("c", d.Name, "", PrioritySnapshot, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := r.Run(ctxb); err != nil {
					t.Fatal(err)
				}
				if c, err = e.st.Collection("c"); err != nil || dump(t, c) != want {
					t.Fatalf("recover by name did not restore the snapshot (%v)", err)
				}
				for _, n := range []string{"fromfile"} {
					got, err := e.st.Collection(n)
					if err != nil {
						t.Fatal(err)
					}
					sameData(t, c, got, dim)
				}
				assertNoTemps(t, e.m.TempPath)
			})
		})
	}
}

// TestRemoteIncremental: a second snapshot after a small change uploads
// only the new segment's files and the mutable ones, and reads from disk
// only those: the sealed segments' digests come from the hash cache, also
// after a restart (a new Manager on the same snapshots path).
func TestRemoteIncremental(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		stats := captureStats(t)
		old := chunkBytes
		chunkBytes = 64 << 10 // the WAL file spans several chunks
		t.Cleanup(func() { chunkBytes = old })
		segs := 16 // no merge: every flush leaves a segment
		req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: 64, Distance: point.Dot}},
			OptimizersConfig: &engine.OptimizersConfigDiff{DefaultSegmentNumber: &segs}}
		if err := e.st.CreateCollection("c", req); err != nil {
			t.Fatal(err)
		}
		c, _ := e.st.Collection("c")
		r := rand.New(rand.NewPCG(5, 5))
		for i := range 4 {
			upsert(t, c, points(r, i*500, 500, 64))
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
			t.Fatal(err)
		}
		first := cs.bytes.Load()
		cs.reset()
		upsert(t, c, points(r, 10000, 20, 64))
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Second)
		// A restart: a new manager, same folders and store.
		m2 := &Manager{Storage: e.st, SnapshotsPath: e.m.SnapshotsPath, TempPath: e.m.TempPath, Logger: quiet(), NodeID: 42, Remote: e.m.Remote, Now: clk.now}
		d2, err := m2.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		second := cs.bytes.Load()
		s1, s2 := (*stats)[0], (*stats)[1]
		t.Logf("first: %+v, %d bytes; second: %+v, %d bytes", s1, first, s2, second)
		if second*10 > first {
			t.Fatalf("second snapshot put %d bytes, first %d: not incremental", second, first)
		}
		if s1.Hashed != s1.Files || s2.Hashed*2 > s2.Files || s2.Uploaded >= s2.Files {
			t.Fatalf("hash cache or dedup not used: %+v then %+v", s1, s2)
		}
		// A third one by the same manager looks up no chunk of the second:
		// that manifest still exists, so its objects do.
		cs.reset()
		clk.add(time.Second)
		if _, err := m2.CreateCollection(ctxb, "c"); err != nil {
			t.Fatal(err)
		}
		s3 := (*stats)[2]
		if n := cs.stats.Load(); n*4 > int64(s3.Files) {
			t.Fatalf("third snapshot looked up %d objects for %d files (%+v)", n, s3.Files, s3)
		}
		rec, err := m2.PrepareRecover("copy", "s3://test-bucket/backups/node1/snapshots/c/"+d2.Name, "", PrioritySnapshot, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Run(ctxb); err != nil {
			t.Fatal(err)
		}
		got, _ := e.st.Collection("copy")
		if dump(t, got) != dump(t, c) {
			t.Fatal("incremental snapshot restores other data")
		}
	})
}

// TestRemotePutFailsMidCreate: an upload failing in the middle of a create
// fails it and lists nothing; the next create succeeds and restores.
func TestRemotePutFailsMidCreate(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		c := e.create(t, "c", dim, 1)
		fill(t, c, 2, dim)
		boom := errors.New("injected put failure")
		var n atomic.Int32
		cs.setFail(func(op, key string) error {
			if op == "put" && strings.HasPrefix(key, RemoteObjects) {
				if n.Add(1) == 3 {
					return boom
				}
			}
			return nil
		})
		if _, err := e.m.CreateCollection(ctxb, "c"); !errors.Is(err, boom) {
			t.Fatalf("create with a failing put: %v", err)
		}
		if ls, err := e.m.ListCollection("c"); err != nil || len(ls) != 0 {
			t.Fatalf("listed after a failed create: %+v, %v", ls, err)
		}
		if leases, _ := cs.List(ctxb, RemoteLeases+"/"); len(leases) != 0 {
			t.Fatalf("lease left behind: %+v", leases)
		}
		cs.setFail(nil)
		clk.add(time.Second)
		d, err := e.m.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		key, _ := manifestKey("c", d.Name)
		if err := e.m.RecoverRemote(ctxb, "copy", key, "", PrioritySnapshot); err != nil {
			t.Fatal(err)
		}
		got, _ := e.st.Collection("copy")
		sameData(t, c, got, dim)
	})
}

// TestRemoteRange: the synthesized archive reads the same from any offset
// as from its start, compressed or not.
func TestRemoteRange(t *testing.T) {
	for _, comp := range []string{CompressionNone, CompressionZstd} {
		t.Run(comp, func(t *testing.T) {
			e, _, _ := remoteEnv(t, remoteStores["mem"])
			e.m.Compression = comp
			fill(t, e.create(t, "c", dim, 2), 6, dim)
			d, err := e.m.CreateCollection(ctxb, "c")
			if err != nil {
				t.Fatal(err)
			}
			dl, err := e.m.DownloadCollection(ctxb, "c", d.Name)
			if err != nil {
				t.Fatal(err)
			}
			defer dl.Close()
			whole, err := io.ReadAll(dl.Content)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			for range 50 {
				off := r.Int64N(int64(len(whole)))
				n := r.Int64N(int64(len(whole))-off) + 1
				if _, err := dl.Content.Seek(off, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, n)
				if _, err := io.ReadFull(dl.Content, got); err != nil {
					t.Fatalf("read %d at %d: %v", n, off, err)
				}
				if !bytes.Equal(got, whole[off:off+n]) {
					t.Fatalf("range %d+%d differs", off, n)
				}
			}
		})
	}
}

// TestRemoteShardAndFull: shard and full snapshots are made, listed,
// downloaded and restored from the store the same way.
func TestRemoteShardAndFull(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, _, _ := remoteEnv(t, mk)
		c := e.create(t, "c", dim, 2)
		fill(t, c, 7, dim)
		ds, err := e.m.CreateShard(ctxb, "c", 1)
		if err != nil {
			t.Fatal(err)
		}
		if ls, err := e.m.ListShard("c", 1); err != nil || len(ls) != 1 || ls[0].Name != ds.Name {
			t.Fatalf("shard list %+v, %v", ls, err)
		}
		if ls, _ := e.m.ListShard("c", 0); len(ls) != 0 {
			t.Fatalf("shard 0 lists %+v", ls)
		}
		if ls, _ := e.m.ListCollection("c"); len(ls) != 0 {
			t.Fatalf("collection lists the shard snapshot: %+v", ls)
		}
		want := dump(t, c)
		upsert(t, c, points(rand.New(rand.NewPCG(9, 9)), 5000, 50, dim))
		r, err := e.m.PrepareRecoverShard("c", 1, ds.Name, "", PrioritySnapshot, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(ctxb); err != nil {
			t.Fatal(err)
		}
		if c, err = e.st.Collection("c"); err != nil || dump(t, c) == want {
			t.Fatalf("shard 0's new points are gone (%v)", err)
		}

		df, err := e.m.CreateFull(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		if ls, err := e.m.ListFull(); err != nil || len(ls) != 1 || ls[0].Name != df.Name {
			t.Fatalf("full list %+v, %v", ls, err)
		}
		if _, err := Extract(bytes.NewReader(readAll(t, must(e.m.DownloadFull(ctxb, df.Name)))), filepath.Join(e.dir, "xf"), Limits{}); err != nil {
			t.Fatalf("extract the full download: %v", err)
		}
		e2 := newEnv(t, nil)
		e2.m.Remote = e.m.Remote
		if err := e2.m.RecoverFullRemote(ctxb, df.Name, false); err != nil {
			t.Fatal(err)
		}
		got, err := e2.st.Collection("c")
		if err != nil {
			t.Fatal(err)
		}
		if a, b := dump(t, got), dump(t, c); a != b {
			t.Fatalf("full snapshot restores other data: %d vs %d bytes\n%.400s\n%.400s", len(a), len(b), a, b)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestRemoteLocation: an s3:// location in the configured bucket and
// prefix names a snapshot; another bucket or prefix is refused with a
// message saying so.
func TestRemoteLocation(t *testing.T) {
	e, _, _ := remoteEnv(t, remoteStores["mem"])
	c := e.create(t, "c", dim, 1)
	fill(t, c, 8, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	good := "s3://test-bucket/backups/node1/snapshots/c/" + d.Name
	r, err := e.m.PrepareRecover("copy", good, "", PrioritySnapshot, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctxb); err != nil {
		t.Fatal(err)
	}
	got, _ := e.st.Collection("copy")
	sameData(t, c, got, dim)
	for loc, msg := range map[string]string{
		"s3://other-bucket/backups/node1/snapshots/c/" + d.Name: "not in the configured bucket test-bucket",
		"s3://test-bucket/elsewhere/snapshots/c/" + d.Name:      "not under the configured prefix",
		"s3://test-bucket/backups/node1/objects/ab/cd":          "names no snapshot",
	} {
		_, err := e.m.PrepareRecover("copy", loc, "", PrioritySnapshot, "")
		if !errors.Is(err, ErrBadLocation) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want ErrBadLocation with %q", loc, err, msg)
		}
	}
	e.m.Remote = nil
	if _, err := e.m.PrepareRecover("copy", good, "", PrioritySnapshot, ""); !errors.Is(err, ErrBadLocation) {
		t.Errorf("s3:// without a store: %v", err)
	}
}

// TestRemoteChecksumRecover: a recover from the store with a checksum
// checks it against the synthesized archive's SHA-256.
func TestRemoteChecksumRecover(t *testing.T) {
	e, _, _ := remoteEnv(t, remoteStores["mem"])
	fill(t, e.create(t, "c", dim, 1), 9, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, must(e.m.DownloadCollection(ctxb, "c", d.Name)))
	sum := sha256hex(body)
	wrong := strings.Repeat("0", 64)
	loc := "s3://test-bucket/backups/node1/snapshots/c/" + d.Name
	r, _ := e.m.PrepareRecover("bad", loc, wrong, PrioritySnapshot, "")
	if err := r.Run(ctxb); !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("wrong checksum: %v", err)
	}
	r, _ = e.m.PrepareRecover("good", loc, sum, PrioritySnapshot, "")
	if err := r.Run(ctxb); err != nil {
		t.Fatal(err)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestRemoteListReadsOnce: listing again reads no manifest already read;
// a manifest rewritten under the same key is read again.
func TestRemoteListReadsOnce(t *testing.T) {
	e, cs, clk := remoteEnv(t, remoteStores["mem"])
	fill(t, e.create(t, "c", dim, 1), 17, dim)
	for range 3 {
		if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Second)
	}
	gets := 0
	cs.setFail(func(op, key string) error {
		if op == "get" {
			gets++
		}
		return nil
	})
	first, err := e.m.ListCollection("c")
	if err != nil || len(first) != 3 || gets != 3 {
		t.Fatalf("first listing: %d entries, %d reads, %v", len(first), gets, err)
	}
	gets = 0
	again, err := e.m.ListCollection("c")
	if err != nil || len(again) != 3 || gets != 0 {
		t.Fatalf("second listing: %d entries, %d reads, %v", len(again), gets, err)
	}
	// The same name made again (deleted, then recreated): read again.
	key, _ := manifestKey("c", first[0].Name)
	clk.add(time.Second)
	rc, _ := cs.Get(ctxb, key, 0, -1)
	b, _ := io.ReadAll(rc)
	if err := cs.Put(ctxb, key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	gets = 0
	if _, err := e.m.ListCollection("c"); err != nil || gets != 1 {
		t.Fatalf("after a rewrite: %d reads, %v", gets, err)
	}
}
