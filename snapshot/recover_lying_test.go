package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot/snaptest"
)

// rewriteCopy writes to dst the archive src with change applied to the
// body of every regular file whose path ends in suffix, and the manifest's
// size and CRC-32C of those files recomputed (snaptest.RewriteArchive): an
// archive that passes the tar and manifest checks whatever change did.
func rewriteCopy(t testing.TB, src, dst, suffix string, change func([]byte) []byte) string {
	t.Helper()
	return writeLie(t, src, dst, func(b []byte) ([]byte, error) {
		return snaptest.RewriteArchive(b, suffix, func(f []byte) ([]byte, error) { return change(f), nil })
	})
}

// lyingArchive writes to dst the archive src with lie told.
func lyingArchive(t testing.TB, src, dst string, lie snaptest.Lie) string {
	t.Helper()
	return writeLie(t, src, dst, func(b []byte) ([]byte, error) { return snaptest.Apply(b, lie) })
}

func writeLie(t testing.TB, src, dst string, rewrite func([]byte) ([]byte, error)) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err == nil {
		b, err = rewrite(b)
	}
	if err == nil {
		err = os.WriteFile(dst, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestRecoverLyingArchives: collection, shard, full and start-up restores
// refuse every archive of snaptest.Lies with ErrCorrupt (400) wrapping
// engine.ErrVerify, and the live collection keeps its points and files.
func TestRecoverLyingArchives(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 41, dim)
	colPath, shPath, fullPath := e.snapshotAll(t, "c")
	upsert(t, c, points(seeded(42), 500, 10, dim))
	want := dump(t, c)
	live := filepath.Join(e.dir, "storage", "collections", "c")
	files := readTree(t, live)
	restores := []struct {
		what string
		src  string
		run  func(path string) error
	}{
		{"collection", colPath, func(p string) error { return e.m.Recover(ctxb, "c", p, "", PrioritySnapshot) }},
		{"new collection", colPath, func(p string) error { return e.m.Recover(ctxb, "d", p, "", PrioritySnapshot) }},
		{"start-up", colPath, func(p string) error { return e.m.RecoverAtStartup(ctxb, p, "c", true) }},
		{"full", fullPath, func(p string) error { return e.m.RecoverFull(ctxb, p, "", true) }},
		{"shard", shPath, func(p string) error { return e.m.RecoverShard(ctxb, "c", 0, p, "", PrioritySnapshot) }},
	}
	for i, lie := range snaptest.Lies(dim) {
		for j, r := range restores {
			what := r.what + ": " + lie.Name
			if r.what == "shard" && lie.Suffix == snaptest.CollectionFile {
				continue // a shard restore keeps the live collection file (TestRecoverShardLyingConfig)
			}
			bad := lyingArchive(t, r.src, filepath.Join(e.dir, "lie-"+itoa(i)+"-"+itoa(j)+".snapshot"), lie)
			err := r.run(bad)
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, engine.ErrVerify) {
				t.Errorf("%s: %v, want ErrCorrupt wrapping engine.ErrVerify", what, err)
			}
			if got := dump(t, c); got != want {
				t.Fatalf("%s: the collection changed", what)
			}
			if got := readTree(t, live); !sameTree(got, files) {
				t.Fatalf("%s: the collection's files changed", what)
			}
			if e.st.CollectionExists("d") {
				t.Fatalf("%s: a collection was created", what)
			}
			assertNoTemps(t, e.m.TempPath)
		}
	}
	if err := e.m.Recover(ctxb, "c", colPath, "", PrioritySnapshot); err != nil {
		t.Fatalf("the unaltered archive: %v", err)
	}
}

// TestRecoverShardLyingConfig: a shard snapshot whose collection file
// says another shard number, or fails validation, is refused (400).
func TestRecoverShardLyingConfig(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 43, dim)
	sh, err := e.m.CreateShard(ctxb, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, c)
	shPath := filepath.Join(e.m.SnapshotsPath, "c", "shards", "0", sh.Name)
	for i, lie := range snaptest.Lies(dim) {
		if lie.Suffix != snaptest.CollectionFile {
			continue
		}
		bad := lyingArchive(t, shPath, filepath.Join(e.dir, "shard-lie-"+itoa(i)+".snapshot"), lie)
		err := e.m.RecoverShard(ctxb, "c", 0, bad, "", PrioritySnapshot)
		if !errors.Is(err, engine.ErrBadRequest) {
			t.Errorf("%s: %v, want engine.ErrBadRequest", lie.Name, err)
		}
		if got := dump(t, c); got != want {
			t.Fatalf("%s: the collection changed", lie.Name)
		}
	}
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRecoverEmptyShards: the checks accept a snapshot of a collection
// whose shards are mostly empty (one point in four shards, none sealed).
func TestRecoverEmptyShards(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 4)
	upsert(t, c, points(seeded(44), 0, 1, dim))
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, c)
	if err := e.m.Recover(ctxb, "d", filepath.Join(e.m.SnapshotsPath, "c", d.Name), "", PrioritySnapshot); err != nil {
		t.Fatal(err)
	}
	restored, err := e.st.Collection("d")
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, restored); got != want {
		t.Fatalf("restored %s, want %s", got, want)
	}
}

// TestRecoverWALCapacityBeyondBound: a collection snapshot whose collection
// file sets wal_capacity_mb 1000000 (beyond engine.MaxWalCapacityMB) is
// refused by CollectionConfig.Validate, naming the setting and its bound,
// with ErrCorrupt (400), not by the free-space check (500), for a recover
// over a collection and at start-up; the live collection keeps its points
// and files and no WAL segment is preallocated.
func TestRecoverWALCapacityBeyondBound(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 44, dim)
	col, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, c)
	live := filepath.Join(e.dir, "storage", "collections", "c")
	files := readTree(t, live)
	var lie snaptest.Lie
	for _, l := range snaptest.Lies(dim) {
		if l.Name == "wal_capacity_mb 1000000" {
			lie = l
		}
	}
	bad := lyingArchive(t, filepath.Join(e.m.SnapshotsPath, "c", col.Name), filepath.Join(e.dir, "wal.snapshot"), lie)
	for what, run := range map[string]func() error{
		"recover":  func() error { return e.m.Recover(ctxb, "c", bad, "", PrioritySnapshot) },
		"start-up": func() error { return e.m.RecoverAtStartup(ctxb, bad, "c", true) },
	} {
		err := run()
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, engine.ErrVerify) || errors.Is(err, syscall.ENOSPC) ||
			!strings.Contains(err.Error(), "wal_config.wal_capacity_mb") || !strings.Contains(err.Error(), "4096") {
			t.Errorf("%s: %v, want ErrCorrupt naming wal_config.wal_capacity_mb and its bound", what, err)
		}
		if got := dump(t, c); got != want {
			t.Fatalf("%s: the collection changed", what)
		}
		if got := readTree(t, live); !sameTree(got, files) {
			t.Fatalf("%s: the collection's files changed", what)
		}
		assertNoTemps(t, e.m.TempPath)
	}
}
