package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// reopenWithFailed closes e's storage, breaks collection name's shard 0
// manifest, and reopens the storage with name failed to open.
func reopenWithFailed(t *testing.T, e *env, name string) {
	t.Helper()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(e.dir, "storage")
	if err := os.WriteFile(filepath.Join(storage, "collections", name, "shard-0", engine.ManifestFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := engine.Open(engine.Options{Dir: storage, Logger: quiet(), DisableBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.st, e.m.Storage = st, st
	if _, err := st.Collection(name); !errors.Is(err, engine.ErrFailed) {
		t.Fatalf("broken %s: %v", name, err)
	}
}

// TestRecoverOverFailedCollection: with a collection that failed to open,
// a full snapshot is refused naming it and leaves no archive; cairn serve
// --snapshot over it stops without --force-snapshot, as over any existing
// collection, and with it restores the snapshot in its place (no issue
// left); a full snapshot can then be made, and a forced full recover
// replaces a failed collection too.
func TestRecoverOverFailedCollection(t *testing.T) {
	e := newEnv(t, nil)
	fill(t, e.create(t, "c", dim, 1), 31, dim)
	fill(t, e.create(t, "d", dim, 1), 32, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.m.SnapshotsPath, "c", d.Name)
	want := dump(t, must1(t, e.st, "c"))
	full, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := e.m.OpenFull(full.Name)
	if err != nil {
		t.Fatal(err)
	}
	fullPath := download(t, f, filepath.Join(e.dir, "full.snapshot"))
	f.Close()
	if err := e.m.DeleteFull(full.Name); err != nil {
		t.Fatal(err)
	}
	reopenWithFailed(t, e, "c")

	_, err = e.m.CreateFull(ctxb)
	if !errors.Is(err, engine.ErrFailed) || !strings.HasPrefix(err.Error(), "Service internal error: Failed to load local shard: cannot create a full snapshot: collection `c` failed to open: ") {
		t.Fatalf("full snapshot with a failed collection: %v, want ErrFailed naming it", err)
	}
	if list, err := e.m.ListFull(); err != nil || len(list) != 0 {
		t.Fatalf("full snapshots after the refusal: %v %v", list, err)
	}
	if err := e.m.RecoverAtStartup(ctxb, path, "c", false); !errors.Is(err, ErrTargetExists) {
		t.Fatalf("--snapshot over a failed collection without --force-snapshot: %v", err)
	}
	if err := e.m.RecoverAtStartup(ctxb, path, "c", true); err != nil {
		t.Fatalf("--snapshot --force-snapshot over a failed collection: %v", err)
	}
	if got := dump(t, must1(t, e.st, "c")); got != want {
		t.Fatal("restored data differs")
	}
	if is := e.st.Issues(); len(is) != 0 {
		t.Fatalf("issues: %v", is)
	}
	if _, err := e.m.CreateFull(ctxb); err != nil {
		t.Fatalf("full snapshot once the failed collection is replaced: %v", err)
	}

	reopenWithFailed(t, e, "d")
	if err := e.m.RecoverFull(ctxb, fullPath, "", false); !errors.Is(err, ErrTargetExists) {
		t.Fatalf("full recover over a failed collection without force: %v", err)
	}
	if err := e.m.RecoverFull(ctxb, fullPath, "", true); err != nil {
		t.Fatalf("forced full recover over a failed collection: %v", err)
	}
	if _, err := e.st.Collection("d"); err != nil || len(e.st.Issues()) != 0 {
		t.Fatalf("after the full recover: %v, issues %v", err, e.st.Issues())
	}
}

func must1(t *testing.T, st *engine.Storage, name string) *engine.Collection {
	t.Helper()
	c, err := st.Collection(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
