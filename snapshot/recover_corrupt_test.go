package snapshot

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/segment"
)

// corruptCopy writes to dst the archive src with the last byte of every
// file ending in suffix flipped and the manifest's CRC-32C of those files
// recomputed: an archive that passes the tar and manifest checks and
// fails only the engine's.
func corruptCopy(t *testing.T, src, dst, suffix string) string {
	t.Helper()
	return rewriteCopy(t, src, dst, suffix, func(b []byte) []byte { b[len(b)-1] ^= 0x5a; return b })
}

// TestRecoverCorruptFiles: a collection, shard or full snapshot whose
// segment or collection file fails the engine's check is refused with
// ErrCorrupt, the engine's error kept in the chain, and changes nothing.
func TestRecoverCorruptFiles(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 31, dim)
	colPath, shPath, fullPath := e.snapshotAll(t, "c")
	upsert(t, c, points(seeded(32), 500, 10, dim))
	want := dump(t, c)
	seg := "/" + segment.MetaFile // opened first: segment.Open finds it
	vec := "/vectors-default.seg" // read only by Verify
	cases := []struct {
		what  string
		cause error
		run   func(path string) error
		src   string
		file  string
	}{
		{"collection: vectors", segment.ErrCorrupt, func(p string) error { return e.m.Recover(ctxb, "c", p, "", PrioritySnapshot) }, colPath, vec},
		{"collection: meta", segment.ErrCorrupt, func(p string) error { return e.m.Recover(ctxb, "c", p, "", PrioritySnapshot) }, colPath, seg},
		{"collection: config", engine.ErrCorrupt, func(p string) error { return e.m.Recover(ctxb, "c", p, "", PrioritySnapshot) }, colPath, engine.CollectionFile},
		{"new collection", segment.ErrCorrupt, func(p string) error { return e.m.Recover(ctxb, "d", p, "", PrioritySnapshot) }, colPath, vec},
		{"shard", segment.ErrCorrupt, func(p string) error { return e.m.RecoverShard(ctxb, "c", 0, p, "", PriorityNoSync) }, shPath, vec},
		{"full", segment.ErrCorrupt, func(p string) error { return e.m.RecoverFull(ctxb, p, "", true) }, fullPath, vec},
	}
	for i, tc := range cases {
		bad := corruptCopy(t, tc.src, filepath.Join(e.dir, "bad-"+itoa(i)+".snapshot"), tc.file)
		err := tc.run(bad)
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, engine.ErrVerify) || !errors.Is(err, tc.cause) {
			t.Errorf("%s: %v, want ErrCorrupt wrapping engine.ErrVerify and %v", tc.what, err, tc.cause)
		}
		if got := dump(t, c); got != want {
			t.Fatalf("%s: the collection changed", tc.what)
		}
		if e.st.CollectionExists("d") {
			t.Fatalf("%s: a collection was created", tc.what)
		}
		assertNoTemps(t, e.m.TempPath)
	}
}
