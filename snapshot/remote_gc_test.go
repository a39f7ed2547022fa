package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

func objectKeys(t testing.TB, s objstore.Store) map[string]bool {
	t.Helper()
	infos, err := s.List(ctxb, RemoteObjects+"/")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, in := range infos {
		out[in.Key] = true
	}
	return out
}

// TestRemoteDeleteCollects: deleting a snapshot deletes the objects no
// other snapshot references once they are older than the grace period,
// keeps the shared ones, and leaves the other snapshot restorable.
func TestRemoteDeleteCollects(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		e.m.RemoteGrace = time.Hour
		c := e.create(t, "c", dim, 1)
		fill(t, c, 11, dim)
		d1, err := e.m.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		objs1 := objectKeys(t, cs)
		upsert(t, c, points(rand.New(rand.NewPCG(4, 4)), 3000, 40, dim))
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Minute)
		d2, err := e.m.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		key2, _ := manifestKey("c", d2.Name)
		rm2, _ := e.m.readRemote(ctxb, key2)
		ref2 := map[string]bool{}
		for _, o := range referenced(rm2) {
			ref2[o] = true
		}
		only1 := 0
		for o := range objs1 {
			if !ref2[o] {
				only1++
			}
		}
		if only1 == 0 {
			t.Fatal("test needs objects only the first snapshot references")
		}

		// Within the grace period nothing is collected.
		if err := e.m.DeleteCollection("c", d1.Name); err != nil {
			t.Fatal(err)
		}
		if got := objectKeys(t, cs); len(got) != len(objs1)+len(ref2)-(len(objs1)-only1) {
			t.Fatalf("objects collected within the grace period: %d left", len(got))
		}
		if err := e.m.DeleteCollection("c", d1.Name); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		clk.add(2 * time.Hour)
		st, err := e.m.SweepRemote(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		if st.Deleted != only1 {
			t.Fatalf("sweep deleted %d, want %d (%+v)", st.Deleted, only1, st)
		}
		got := objectKeys(t, cs)
		for o := range ref2 {
			if !got[o] {
				t.Fatalf("object %s of the remaining snapshot deleted", o)
			}
		}
		if len(got) != len(ref2) {
			t.Fatalf("%d objects left, the remaining snapshot references %d", len(got), len(ref2))
		}
		if err := e.m.RecoverRemote(ctxb, "copy", key2, "", PrioritySnapshot); err != nil {
			t.Fatal(err)
		}
		cp, _ := e.st.Collection("copy")
		sameData(t, c, cp, dim)

		if err := e.m.DeleteCollection("c", d2.Name); err != nil {
			t.Fatal(err)
		}
		if got := objectKeys(t, cs); len(got) != 0 {
			t.Fatalf("%d objects left after deleting every snapshot", len(got))
		}
	})
}

// TestRemoteSweepKeepsLeased: while a live lease exists (a create running
// on another node, which may rely on any object present) a sweep deletes
// no object; once the lease has expired, the sweep deletes it and the
// unreferenced objects.
func TestRemoteSweepKeepsLeased(t *testing.T) {
	// The store's clock must be the test's: the lease is stamped "now",
	// after the objects were made old.
	memOnly(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		e.m.RemoteGrace = time.Hour
		key := objectKey(strings.Repeat("ab", 32), false)
		if err := cs.Put(ctxb, key, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
		clk.add(2 * time.Hour) // the object is old
		b, _ := json.Marshal(lease{Created: clk.now(), Name: "n.snapshot"})
		if err := cs.Put(ctxb, RemoteLeases+"/elsewhere", bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		if st, err := e.m.SweepRemote(ctxb); err != nil || st.Deleted != 0 || !st.Paused || !objectKeys(t, cs)[key] {
			t.Fatalf("leased object not kept: %+v, %v", st, err)
		}
		clk.add(2 * time.Hour)
		st, err := e.m.SweepRemote(ctxb)
		if err != nil || st.Deleted != 1 || st.Leases != 1 {
			t.Fatalf("expired lease: %+v, %v", st, err)
		}
	})
}

// TestRemoteSweepStopsOnBadManifest: a manifest that cannot be read stops
// the sweep before it deletes anything, since its references are unknown;
// the listing leaves it out.
func TestRemoteSweepStopsOnBadManifest(t *testing.T) {
	e, cs, clk := remoteEnv(t, remoteStores["mem"])
	e.m.RemoteGrace = time.Minute
	fill(t, e.create(t, "c", dim, 1), 12, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := manifestKey("c", d.Name)
	if err := cs.Put(ctxb, key, strings.NewReader(`{"magic":"cairn-remote-snapshot","version":1,"sha256":"00","body":{}}`), -1); err != nil {
		t.Fatal(err)
	}
	n := len(objectKeys(t, cs))
	clk.add(time.Hour)
	if _, err := e.m.SweepRemote(ctxb); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("sweep with a corrupt manifest: %v", err)
	}
	if len(objectKeys(t, cs)) != n {
		t.Fatal("objects deleted although a manifest could not be read")
	}
	if ls, err := e.m.ListCollection("c"); err != nil || len(ls) != 0 {
		t.Fatalf("corrupt manifest listed: %+v, %v", ls, err)
	}
}

// TestParseRemoteRefuses: every malformed manifest is refused.
func TestParseRemoteRefuses(t *testing.T) {
	sum := strings.Repeat("0a", 32)
	chunk := RemoteChunk{Size: 3, SHA256: sum, Object: objectKey(sum, false)}
	good := func() *RemoteManifest {
		return &RemoteManifest{Kind: KindCollection, Name: "c-1-2026-01-01-00-00-00.snapshot", Collection: "c",
			Entries: []RemoteEntry{{Path: "a", Dir: true}, {Path: "a/f", Size: 3, Chunks: []RemoteChunk{chunk}}}}
	}
	b, err := encodeRemote(good())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseRemote(b); err != nil {
		t.Fatalf("good manifest refused: %v", err)
	}
	cases := map[string]func(rm *RemoteManifest){
		"kind":          func(rm *RemoteManifest) { rm.Kind = "other" },
		"name":          func(rm *RemoteManifest) { rm.Name = "../x.snapshot" },
		"dotdot":        func(rm *RemoteManifest) { rm.Entries[1].Path = "a/../../f" },
		"absolute":      func(rm *RemoteManifest) { rm.Entries[1].Path = "/etc/f" },
		"manifest name": func(rm *RemoteManifest) { rm.Entries[1].Path = ManifestName },
		"duplicate":     func(rm *RemoteManifest) { rm.Entries = append(rm.Entries, rm.Entries[1]) },
		"under a file":  func(rm *RemoteManifest) { rm.Entries = append(rm.Entries, RemoteEntry{Path: "a/f/g", Dir: true}) },
		"size":          func(rm *RemoteManifest) { rm.Entries[1].Size = 4 },
		"negative":      func(rm *RemoteManifest) { rm.Entries[1].Size = -1 },
		"key of other": func(rm *RemoteManifest) {
			rm.Entries[1].Chunks[0].Object = objectKey(strings.Repeat("0b", 32), false)
		},
		"key escapes": func(rm *RemoteManifest) { rm.Entries[1].Chunks[0].Object = "objects/0a/../../snapshots/x" },
		"big chunk": func(rm *RemoteManifest) {
			rm.Entries[1].Chunks[0].Size = RemoteChunkSize + 1
			rm.Entries[1].Size = RemoteChunkSize + 1
		},
		"folder+chunk":  func(rm *RemoteManifest) { rm.Entries[0].Chunks = []RemoteChunk{chunk} },
		"bad timeline":  func(rm *RemoteManifest) { rm.Timelines = map[string]string{"c": "xyz"} },
		"timeline 0":    func(rm *RemoteManifest) { rm.Timelines = map[string]string{"c": "0000000000000000"} },
		"timeline name": func(rm *RemoteManifest) { rm.Timelines = map[string]string{"../c": "00000000000000ab"} },
	}
	for name, mod := range cases {
		rm := good()
		mod(rm)
		b, err := encodeRemote(rm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseRemote(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, mod := range map[string]func(e *remoteEnvelope){
		"magic":     func(e *remoteEnvelope) { e.Magic = "tar" },
		"version":   func(e *remoteEnvelope) { e.Version = RemoteVersion + 1 },
		"version 0": func(e *remoteEnvelope) { e.Version = 0 },
		"v2 fields in v1": func(e *remoteEnvelope) {
			e.Version = 1
			e.Body = bytes.Replace(e.Body, []byte(`{`), []byte(`{"cut_at":"2026-12-07T10:00:00Z",`), 1)
		},
		"checksum": func(e *remoteEnvelope) { e.Body = bytes.Replace(e.Body, []byte(`"c"`), []byte(`"d"`), 1) },
	} {
		b, _ := encodeRemote(good())
		var env remoteEnvelope
		_ = json.Unmarshal(b, &env)
		mod(&env)
		b, _ = json.Marshal(env)
		if _, err := parseRemote(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRemoteSweepDuringCreate: a sweep on another node (the store's view
// only, not this process's lock) while a create is between its lease and
// its manifest keeps the old objects the create found present, although
// the snapshot that uploaded them has just been deleted; the new snapshot
// restores.
func TestRemoteSweepDuringCreate(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		e.m.RemoteGrace = time.Hour
		c := e.create(t, "c", dim, 1)
		fill(t, c, 13, dim)
		d1, err := e.m.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		upsert(t, c, points(rand.New(rand.NewPCG(6, 6)), 4000, 5, dim)) // the WAL changes: one new object at least
		clk.add(2 * time.Hour)                                          // the first snapshot's objects are old
		reached, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		cs.setFail(func(op, key string) error {
			if op == "put" && strings.HasPrefix(key, RemoteObjects) {
				once.Do(func() { close(reached); <-release })
			}
			return nil
		})
		done := make(chan error, 1)
		var d2 Description
		go func() {
			var err error
			d2, err = e.m.CreateCollection(ctxb, "c")
			done <- err
		}()
		<-reached
		// Another node deletes the first snapshot and sweeps.
		key1, _ := manifestKey("c", d1.Name)
		if err := cs.Delete(ctxb, key1); err != nil {
			t.Fatal(err)
		}
		st, err := e.m.sweep(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		cs.setFail(nil)
		t.Logf("sweep during the create: %+v", st)
		key2, _ := manifestKey("c", d2.Name)
		if err := e.m.RecoverRemote(ctxb, "copy", key2, "", PrioritySnapshot); err != nil {
			t.Fatalf("snapshot made during a sweep: %v", err)
		}
		cp, _ := e.st.Collection("copy")
		sameData(t, c, cp, dim)
	})
}

// TestRemoteObjectDeletedBeforeManifest: an object a create found present
// and that a sweep elsewhere (which read the leases before this create's
// was written) deletes before the manifest is written is uploaded again
// once the manifest is: the snapshot restores.
func TestRemoteObjectDeletedBeforeManifest(t *testing.T) {
	forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		c := e.create(t, "c", dim, 1)
		fill(t, c, 15, dim)
		if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
			t.Fatal(err)
		}
		old := objectKeys(t, cs)
		clk.add(time.Second)
		var once sync.Once
		cs.setFail(func(op, key string) error {
			if op == "put" && strings.HasPrefix(key, RemoteSnapshots+"/") {
				once.Do(func() {
					for k := range old { // the stale sweep's deletes
						if err := cs.Delete(ctxb, k); err != nil {
							t.Error(err)
						}
					}
				})
			}
			return nil
		})
		d2, err := e.m.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		cs.setFail(nil)
		key2, _ := manifestKey("c", d2.Name)
		if err := e.m.RecoverRemote(ctxb, "copy", key2, "", PrioritySnapshot); err != nil {
			t.Fatalf("snapshot whose reused objects were deleted before its manifest: %v", err)
		}
		cp, _ := e.st.Collection("copy")
		sameData(t, c, cp, dim)
	})
}

// TestRemoteSweepSeesLateLease: a lease written while a sweep deletes (a
// create elsewhere starting) stops the sweep before its next batch.
func TestRemoteSweepSeesLateLease(t *testing.T) {
	// The store's clock must be the test's: the lease is stamped "now",
	// after the objects were made old.
	memOnly(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
		e, cs, clk := remoteEnv(t, mk)
		e.m.RemoteGrace = time.Hour
		var keys []string
		for i := range 2*sweepBatch + 5 {
			sum := sha256hex([]byte{byte(i)})
			k := objectKey(sum, false)
			keys = append(keys, k)
			if err := cs.Put(ctxb, k, bytes.NewReader([]byte{byte(i)}), 1); err != nil {
				t.Fatal(err)
			}
		}
		clk.add(2 * time.Hour)
		last := keys[len(keys)-1] // sorted last: in the sweep's last batch
		for _, k := range keys {
			if k > last {
				last = k
			}
		}
		var once sync.Once
		cs.setFail(func(op, key string) error {
			if op == "delete" && strings.HasPrefix(key, RemoteObjects+"/") {
				once.Do(func() {
					b, _ := json.Marshal(lease{Created: clk.now(), Name: "late.snapshot"})
					if err := cs.Put(ctxb, RemoteLeases+"/late", bytes.NewReader(b), int64(len(b))); err != nil {
						t.Error(err)
					}
				})
			}
			return nil
		})
		st, err := e.m.SweepRemote(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		if !objectKeys(t, cs)[last] || st.Deleted != sweepBatch || !st.Paused {
			t.Fatalf("object of a lease written during the sweep deleted: %+v", st)
		}
	})
}
