package snapshot

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

// TestVerifyRemote: with Remote set, VerifyCollection, VerifyShard and
// VerifyFull verify the store's snapshots (streamed from their objects,
// no archive copied to the temp path), an s3:// location names one as a
// recover location does, the wrong kind or another bucket is refused, and
// a damaged object is a failure naming its file, compressed or not.
func TestVerifyRemote(t *testing.T) {
	for _, comp := range []string{CompressionNone, CompressionZstd} {
		t.Run(comp, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk func(testing.TB, func() time.Time) objstore.Store) {
				e, cs, _ := remoteEnv(t, mk)
				e.m.Compression = comp
				c := e.create(t, "c", dim, 2)
				fill(t, c, 5, dim)
				dc := must(e.m.CreateCollection(ctxb, "c"))
				ds := must(e.m.CreateShard(ctxb, "c", 1))
				df := must(e.m.CreateFull(ctxb))
				ok := func(what string, rep Report, err error) {
					t.Helper()
					if err != nil || !rep.OK || !rep.EngineChecked || rep.Files == 0 || rep.ChecksumChecked {
						t.Fatalf("%s: %+v, %v", what, rep, err)
					}
					assertNoTemps(t, e.m.TempPath)
				}
				rep, err := e.m.VerifyCollection(ctxb, "c", dc.Name)
				ok("collection", rep, err)
				if rep.Kind != KindCollection || rep.ArchiveBytes != dc.Size {
					t.Fatalf("collection report %+v, listed size %d", rep, dc.Size)
				}
				rep, err = e.m.VerifyShard(ctxb, "c", 1, ds.Name)
				ok("shard", rep, err)
				if rep.Kind != KindShard || rep.Shard == nil || *rep.Shard != 1 {
					t.Fatalf("shard report %+v", rep)
				}
				rep, err = e.m.VerifyFull(ctxb, df.Name)
				ok("full", rep, err)
				rep, err = e.m.VerifyRemoteLocation(ctxb, e.m.Remote.String()+"/snapshots/c/"+dc.Name)
				ok("s3 location", rep, err)

				if _, err := e.m.VerifyShard(ctxb, "c", 0, ds.Name); !errors.Is(err, ErrNotFound) {
					t.Fatalf("shard 0 has no such snapshot: %v", err)
				}
				if _, err := e.m.verifyRemoteIn(ctxb, "c", ds.Name, KindCollection); !errors.Is(err, ErrNotFound) {
					t.Fatalf("a shard snapshot in the collection folder: %v", err)
				}
				if _, err := e.m.verifyRemote(ctxb, must(manifestKey("c/shards/1", ds.Name)), KindCollection); !errors.Is(err, ErrWrongKind) {
					t.Fatalf("wrong kind: %v", err)
				}
				if _, err := e.m.VerifyRemoteLocation(ctxb, "s3://other-bucket/backups/node1/snapshots/c/"+dc.Name); !errors.Is(err, ErrBadLocation) {
					t.Fatalf("another bucket: %v", err)
				}
				if _, err := e.m.VerifyCollection(ctxb, "c", "none.snapshot"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("missing snapshot: %v", err)
				}

				victim, obj := damageObject(t, e.m, cs, must(manifestKey("c", dc.Name)))
				rep, err = e.m.VerifyCollection(ctxb, "c", dc.Name)
				if err != nil || rep.OK || len(rep.Failures) == 0 || !strings.Contains(rep.Failures[0].File, victim) {
					t.Fatalf("damaged object of %s: %+v, %v", victim, rep, err)
				}
				assertNoTemps(t, e.m.TempPath)
				if err := cs.Store.Delete(ctxb, obj); err != nil {
					t.Fatal(err)
				}
				rep, err = e.m.VerifyCollection(ctxb, "c", dc.Name)
				if err != nil || rep.OK || len(rep.Failures) == 0 || rep.Failures[0].File != victim ||
					!strings.Contains(rep.Failures[0].Reason, "missing") {
					t.Fatalf("missing object of %s: %+v, %v", victim, rep, err)
				}
				assertNoTemps(t, e.m.TempPath)
			})
		})
	}
}

// damageObject flips a byte in the middle of the first object of the
// first file over 64 bytes of the snapshot manifest key, and returns that
// file's path and the object's key.
func damageObject(t *testing.T, m *Manager, cs *counting, key string) (file, object string) {
	t.Helper()
	rm, err := m.readRemote(ctxb, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range rm.Entries {
		if en.Dir || en.Size <= 64 {
			continue
		}
		obj := en.Chunks[0].Object
		rc, err := cs.Store.Get(ctxb, obj, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := cs.Store.Put(ctxb, obj, bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		return en.Path, obj
	}
	t.Fatal("no file to damage")
	return "", ""
}
