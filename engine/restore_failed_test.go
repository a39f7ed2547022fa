package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// breakCollection makes the closed collection folder dir fail to open (a
// corrupt manifest of shard 0).
func breakCollection(t *testing.T, dir string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(dir, "shard-0", ManifestFile), []byte("garbage"), 0o644))
}

// checkServed fails unless collection name opens with n points whose first
// vector element is v.
func checkServed(t *testing.T, st *Storage, name string, n int, v float32) {
	t.Helper()
	c, err := st.Collection(name)
	if err != nil {
		t.Fatalf("Collection(%s): %v", name, err)
	}
	recs, err := c.Get(ctxb, []point.ID{point.NumID(0)}, WithPayload{}, WithVector{Enable: true})
	if got := mustCount(t, c, nil); got != n || err != nil || len(recs) != 1 || recs[0].Vector[""][0] != v {
		t.Fatalf("%s: %d points, first %v (%v), want %d of %v", name, got, recs, err, n, v)
	}
}

// TestRestoreOverFailedCollection: a restore of a collection that failed to
// open replaces it as it replaces a live one: the restored collection is
// served at once and after a restart, the failed entry and its issue are
// gone, its aliases kept, and its old folder removed. A restore that fails
// its check leaves the failed collection as it was.
func TestRestoreOverFailedCollection(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	live := collectionFolder(t, dir, 10, 1)
	st := openTest(t, dir, nil)
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "c", AliasName: "al"}}}); err != nil {
		t.Fatal(err)
	}
	must(t, st.Close())
	breakCollection(t, live)
	st = openTest(t, dir, nil)
	if _, err := st.Collection("c"); !errors.Is(err, ErrFailed) || len(st.Issues()) != 1 {
		t.Fatalf("broken collection: %v, issues %v", err, st.Issues())
	}
	before := treeDigest(t, live)

	bad := collectionFolder(t, filepath.Join(base, "bad"), 20, 2)
	flipLastByte(t, vectorsFile(t, filepath.Join(bad, "shard-0")))
	if err := st.RestoreCollection("c", bad, nil); !errors.Is(err, ErrVerify) {
		t.Fatalf("corrupt restore over a failed collection: %v, want ErrVerify", err)
	}
	if _, err := st.Collection("al"); !errors.Is(err, ErrFailed) || len(st.Issues()) != 1 {
		t.Fatalf("after a refused restore: %v, issues %v", err, st.Issues())
	}
	if after := treeDigest(t, live); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a refused restore changed the failed collection's files")
	}

	src := collectionFolder(t, filepath.Join(base, "src"), 20, 2)
	if err := st.RestoreCollection("c", src, nil); err != nil {
		t.Fatalf("restore over a failed collection: %v", err)
	}
	checkServed(t, st, "c", 20, 2)
	checkServed(t, st, "al", 20, 2)
	if is := st.Issues(); len(is) != 0 {
		t.Fatalf("issues after the restore: %v", is)
	}
	if got := st.ListCollections(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("collections = %v", got)
	}
	if info, err := st.CollectionInfo("c"); err != nil || info.Status == StatusRed {
		t.Fatalf("info: %v %v", info.Status, err)
	}
	must(t, st.Close())
	if left, _ := filepath.Glob(filepath.Join(dir, collectionsDir, ".*")); len(left) != 0 {
		t.Fatalf("folders left: %v", left)
	}
	if got := outcome(t, dir); got != "new" {
		t.Fatalf("after a restart: %s", got)
	}
}

// TestRestoreAllOverFailedCollection: a full restore replaces a collection
// that failed to open with the one of the snapshot, all or nothing: one
// that fails its check leaves it failed; one that passes serves both
// collections, with no failed entry or issue, the old aliases and the new
// ones. A restored alias named as a failed collection is refused.
func TestRestoreAllOverFailedCollection(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	root := twoCollections(t, dir, 10, 1, "x")
	breakCollection(t, filepath.Join(root, "a"))
	src := twoCollections(t, filepath.Join(base, "src"), 20, 2, "")
	dirs := map[string]string{"a": filepath.Join(src, "a"), "b": filepath.Join(src, "b")}
	st := openTest(t, dir, nil)
	defer st.Close()
	if _, err := st.Collection("a"); !errors.Is(err, ErrFailed) {
		t.Fatalf("broken collection: %v", err)
	}
	before := treeDigest(t, filepath.Join(root, "a"))
	if err := st.RestoreAll(map[string]string{"b": dirs["b"]}, map[string]string{"a": "b"}, nil); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("alias named as a failed collection: %v, want ErrAlreadyExists", err)
	}

	bad := twoCollections(t, filepath.Join(base, "bad"), 20, 2, "")
	flipLastByte(t, vectorsFile(t, filepath.Join(bad, "b", "shard-0")))
	if err := st.RestoreAll(map[string]string{"a": filepath.Join(bad, "a"), "b": filepath.Join(bad, "b")}, nil, nil); !errors.Is(err, ErrVerify) {
		t.Fatalf("corrupt full restore: %v, want ErrVerify", err)
	}
	if _, err := st.Collection("x"); !errors.Is(err, ErrFailed) || len(st.Issues()) != 1 {
		t.Fatalf("after a refused restore: %v, issues %v", err, st.Issues())
	}
	if after := treeDigest(t, filepath.Join(root, "a")); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a refused restore changed the failed collection's files")
	}
	checkServed(t, st, "b", 10, 1)

	if err := st.RestoreAll(dirs, map[string]string{"y": "b"}, nil); err != nil {
		t.Fatalf("full restore over a failed collection: %v", err)
	}
	for _, n := range []string{"a", "x", "b", "y"} {
		checkServed(t, st, n, 20, 2)
	}
	if is := st.Issues(); len(is) != 0 {
		t.Fatalf("issues after the restore: %v", is)
	}
	if got := st.ListCollections(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("collections = %v", got)
	}
	must(t, st.Close())
	if got := allOutcome(t, dir); got != "new" {
		t.Fatalf("after a restart: %s", got)
	}
}

// TestFailedCollectionAliasesAndFullSnapshot: a collection that failed to
// open exists as CollectionExists says: it may get aliases, its aliases are
// listed, and an alias may not take its name. A full snapshot's cut
// (PinAll) is refused with ErrFailed naming every failed collection, and
// pins nothing, until they are gone.
func TestFailedCollectionAliasesAndFullSnapshot(t *testing.T) {
	dir := t.TempDir()
	root := twoCollections(t, dir, 10, 1, "")
	breakCollection(t, filepath.Join(root, "a"))
	st := openTest(t, dir, nil)
	defer st.Close()
	if !st.CollectionExists("a") {
		t.Fatal("failed collection does not exist")
	}
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "x"}}}); err != nil {
		t.Fatalf("alias to a failed collection: %v", err)
	}
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "b", AliasName: "a"}}}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("alias named as a failed collection: %v, want ErrBadRequest", err)
	}
	if as, err := st.CollectionAliases("a"); err != nil || len(as) != 1 || as[0].AliasName != "x" {
		t.Fatalf("aliases of the failed collection: %v %v", as, err)
	}
	if _, err := st.Collection("x"); !errors.Is(err, ErrFailed) {
		t.Fatalf("alias of a failed collection: %v, want ErrFailed", err)
	}

	sp, err := st.PinAll()
	if !errors.Is(err, ErrFailed) || sp != nil || !strings.Contains(err.Error(), "cannot create a full snapshot: collection `a` failed to open: ") ||
		!strings.Contains(err.Error(), "bad magic") || strings.Contains(err.Error(), dir) {
		t.Fatalf("PinAll with a failed collection: %v, want ErrFailed naming it and why", err)
	}
	b, _ := st.Collection("b")
	mustUpsert(t, b, PointStruct{ID: point.NumID(100), Vector: Vectors{"": {1, 0, 0, 0}}}) // nothing stayed pinned
	if _, err := st.DeleteCollection("a"); err != nil {
		t.Fatal(err)
	}
	sp, err = st.PinAll()
	if err != nil {
		t.Fatalf("PinAll once the failed collection is gone: %v", err)
	}
	defer sp.Release()
	if !slices.Equal(sp.Names, []string{"b"}) || len(sp.Aliases) != 0 {
		t.Fatalf("pinned %v, aliases %v", sp.Names, sp.Aliases)
	}
}
