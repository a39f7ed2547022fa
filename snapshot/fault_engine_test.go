package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// TestCreateFaults fails each file operation of a Create in turn: the error
// surfaces, no temp file or partial archive is left, nothing is listed and
// the collection is unchanged.
func TestCreateFaults(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 2)
	fill(t, c, 11, dim)
	want := dump(t, c)
	for _, op := range []vfs.Op{vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpLink, vfs.OpSyncDir} {
		for n := 1; ; n = nextFault(n) {
			f := vfs.NewFaulty(vfs.OS)
			f.FailNth(op, n)
			e.m.FS = f
			d, err := e.m.CreateCollection(ctxb, "c")
			e.m.FS = nil
			if err == nil {
				if err := e.m.DeleteCollection("c", d.Name); err != nil {
					t.Fatal(err)
				}
				break
			}
			if !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("%s #%d: %v does not wrap the injected error", op, n, err)
			}
			if list, _ := e.m.ListCollection("c"); len(list) != 0 {
				t.Fatalf("%s #%d: failed create listed %v", op, n, list)
			}
			entries, _ := os.ReadDir(e.m.TempPath)
			if len(entries) != 0 {
				t.Fatalf("%s #%d: temp left: %s", op, n, entries[0].Name())
			}
			walkNoTmp(t, e.m.SnapshotsPath)
			if dump(t, c) != want {
				t.Fatalf("%s #%d: collection changed", op, n)
			}
		}
	}
}

// TestRecoverFaults fails each file operation of the engine's side of a
// recover in turn: either the recover fails and the old collection is live
// and unchanged, or it succeeded (a cleanup failure is only logged) and the
// new data is live; no temp folder is left either way.
func TestRecoverFaults(t *testing.T) {
	f := vfs.NewFaulty(vfs.OS)
	e := newEnv(t, f)
	src := e.create(t, "src", dim, 1)
	fill(t, src, 12, dim)
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	newData := dump(t, src)
	archive := filepath.Join(e.m.SnapshotsPath, "src", d.Name)
	ops := []vfs.Op{vfs.OpOpen, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir, vfs.OpRemove}
	failed := 0
	for _, op := range ops {
		for n := 1; ; n = nextFault(n) {
			if e.st.CollectionExists("dst") {
				if _, err := e.st.DeleteCollection("dst"); err != nil {
					t.Fatal(err)
				}
			}
			old := e.create(t, "dst", dim, 1)
			upsert(t, old, points(seeded(13), 0, 20, dim))
			oldData := dump(t, old)
			before := f.Count(op)
			f.FailNth(op, n)
			err := e.m.Recover(ctxb, "dst", archive, d.Checksum, "")
			calls := f.Count(op) - before
			f.FailWhen(nil)
			live, lerr := e.st.Collection("dst")
			if lerr != nil {
				t.Fatalf("%s #%d: no live collection after recover (%v): %v", op, n, err, lerr)
			}
			got := dump(t, live)
			switch {
			case err != nil && got != oldData:
				t.Fatalf("%s #%d: failed recover (%v) changed the collection", op, n, err)
			case err == nil && got != newData:
				t.Fatalf("%s #%d: recover succeeded with other data", op, n)
			}
			if err != nil {
				failed++
			}
			entries, _ := os.ReadDir(e.m.TempPath)
			if len(entries) != 0 {
				t.Fatalf("%s #%d: temp left: %s", op, n, entries[0].Name())
			}
			if calls < n { // the recover made fewer calls than n: no later one fails
				break
			}
		}
	}
	if failed == 0 {
		t.Fatal("no injected fault made a recover fail")
	}
}

// nextFault steps through the operations to fail: every one of the first
// six, then doubling gaps (the later ones repeat the same code paths).
func nextFault(n int) int {
	if n < 6 {
		return n + 1
	}
	return 2 * n
}
