package snapshot

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

// TestRecoverFullAllOrNothing: a full snapshot whose second collection
// cannot be restored (its name is an alias of the target; a failed rename
// of its folder) restores none of them: the first collection is neither
// created nor replaced, and no alias of the snapshot appears.
func TestRecoverFullAllOrNothing(t *testing.T) {
	e := newEnv(t, nil)
	fill(t, e.create(t, "a", dim, 1), 21, dim)
	fill(t, e.create(t, "b", dim, 2), 22, dim)
	if err := e.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "b", AliasName: "second"}}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	path := download(t, mustOpen(t, filepath.Join(e.m.SnapshotsPath, d.Name)), filepath.Join(e.dir, "full.snapshot"))

	// The target has collection a (other data) and an alias named b.
	f := vfs.NewFaulty(vfs.OS)
	e2 := newEnv(t, f)
	old := e2.create(t, "a", dim, 1)
	fill(t, old, 23, dim)
	e2.create(t, "z", dim, 1)
	if err := e2.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "z", AliasName: "b"}}}); err != nil {
		t.Fatal(err)
	}
	want := dump(t, old)
	unchanged := func(what string) {
		t.Helper()
		a, err := e2.st.Collection("a")
		if err != nil || dump(t, a) != want {
			t.Fatalf("%s: collection a changed (%v)", what, err)
		}
		if _, err := e2.st.Collection("second"); err == nil {
			t.Fatalf("%s: the snapshot's alias appeared", what)
		}
		assertNoTemps(t, e2.m.TempPath)
	}
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, true); !errors.Is(err, engine.ErrAlreadyExists) {
		t.Fatalf("name taken by an alias: %v", err)
	}
	unchanged("alias conflict")

	if err := e2.st.UpdateAliases([]engine.AliasOp{{DeleteAlias: &engine.DeleteAlias{AliasName: "b"}}}); err != nil {
		t.Fatal(err)
	}
	f.FailWhen(func(op vfs.Op, p string) bool {
		return op == vfs.OpRename && strings.HasSuffix(p, filepath.Join("collections", "b"))
	})
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, true); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("failed rename: %v", err)
	}
	unchanged("failed rename")
	if e2.st.CollectionExists("b") {
		t.Fatal("b created by a failed restore")
	}

	f.FailWhen(nil)
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, true); err != nil {
		t.Fatal(err)
	}
	for _, n := range [][2]string{{"a", "a"}, {"b", "second"}} {
		orig, _ := e.st.Collection(n[0])
		got, err := e2.st.Collection(n[1])
		if err != nil {
			t.Fatal(err)
		}
		sameData(t, orig, got, dim)
	}
	if !e2.st.CollectionExists("z") {
		t.Fatal("a collection the snapshot does not name was removed")
	}
}

// TestRecoverFullWithoutForce: without force, a full snapshot whose
// collection or alias already exists changes nothing and names it
// (Qdrant: "Alias … already exists. Use --force-snapshot to overwrite it").
func TestRecoverFullWithoutForce(t *testing.T) {
	e := newEnv(t, nil)
	fill(t, e.create(t, "c1", dim, 1), 21, dim)
	if err := e.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "c1", AliasName: "a1"}}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	path := download(t, mustOpen(t, filepath.Join(e.m.SnapshotsPath, d.Name)), filepath.Join(e.dir, "full.snapshot"))

	e2 := newEnv(t, nil)
	e2.create(t, "z", dim, 1)
	if err := e2.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "z", AliasName: "a1"}}}); err != nil {
		t.Fatal(err)
	}
	err = e2.m.RecoverFull(ctxb, path, d.Checksum, false)
	if !errors.Is(err, ErrTargetExists) || !strings.Contains(err.Error(), "alias a1") {
		t.Fatalf("existing alias without force: %v", err)
	}
	if e2.st.CollectionExists("c1") {
		t.Fatal("c1 created by a refused restore")
	}
	if got := e2.st.ListAliases(); len(got) != 1 || got[0].CollectionName != "z" {
		t.Fatalf("aliases after a refused restore: %+v", got)
	}
	assertNoTemps(t, e2.m.TempPath)
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, true); err != nil {
		t.Fatalf("with force: %v", err)
	}
	if got := e2.st.ListAliases(); len(got) != 1 || got[0].CollectionName != "c1" {
		t.Fatalf("aliases after a forced restore: %+v", got)
	}
}

// TestRecoverFullHardNames: a full snapshot of collections whose names do
// not fit Qdrant's file names (255 bytes, unicode cut mid-character,
// percent-encoded text) restores them all, into a new storage and over
// the existing collections.
func TestRecoverFullHardNames(t *testing.T) {
	names := []string{strings.Repeat("n", 255), "café-" + strings.Repeat("é", 124), "a%2Fb"}
	e := newEnv(t, nil)
	for i, n := range names {
		fill(t, e.create(t, n, dim, 1), uint64(30+i), dim)
	}
	d, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	path := download(t, mustOpen(t, filepath.Join(e.m.SnapshotsPath, d.Name)), filepath.Join(e.dir, "full.snapshot"))
	e2 := newEnv(t, nil)
	for _, force := range []bool{false, true} {
		if err := e2.m.RecoverFull(ctxb, path, d.Checksum, force); err != nil {
			t.Fatalf("force=%v: %v", force, err)
		}
		for _, n := range names {
			a, err := e.st.Collection(n)
			if err != nil {
				t.Fatal(err)
			}
			b, err := e2.st.Collection(n)
			if err != nil {
				t.Fatalf("force=%v: %.20q: %v", force, n, err)
			}
			sameData(t, a, b, dim)
		}
	}
	assertNoTemps(t, e2.m.TempPath)
}
