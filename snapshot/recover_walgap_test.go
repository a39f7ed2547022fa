package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// TestRecoverRefusesWALGap: a collection or shard archive whose WAL lacks
// a middle segment file (the manifest listing what is present, so every
// archive check passes) is refused by the restore with ErrCorrupt wrapping
// engine.ErrVerify, naming the segment after the gap, and the live
// collection keeps its files. Opening that WAL would cut it at the gap and
// restore the collection without the records after it.
func TestRecoverRefusesWALGap(t *testing.T) {
	e := newVerifyEnv(t)
	live := filepath.Join(e.dir, "storage", "collections", "g")
	files := readTree(t, live)
	for _, r := range []struct {
		what, src string
		run       func(path string) error
	}{
		{"collection", e.col, func(p string) error { return e.m.Recover(ctxb, "g", p, "", PrioritySnapshot) }},
		{"new collection", e.col, func(p string) error { return e.m.Recover(ctxb, "h", p, "", PrioritySnapshot) }},
		{"shard", e.shard, func(p string) error { return e.m.RecoverShard(ctxb, "g", 0, p, "", PrioritySnapshot) }},
	} {
		good, err := os.ReadFile(r.src)
		if err != nil {
			t.Fatal(err)
		}
		wals := archiveWALs(t, good)
		bad := filepath.Join(e.dir, "gap.snapshot")
		if err := os.WriteFile(bad, dropFile(t, good, wals[1]), 0o644); err != nil {
			t.Fatal(err)
		}
		err = r.run(bad)
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, engine.ErrVerify) {
			t.Fatalf("%s: %v, want ErrCorrupt wrapping engine.ErrVerify", r.what, err)
		}
		if want := filepath.Base(wals[2]); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "gap: records") {
			t.Fatalf("%s: %v, want the gap before %s named", r.what, err, want)
		}
		if got := readTree(t, live); !sameTree(got, files) {
			t.Fatalf("%s: the collection's files changed", r.what)
		}
		if e.st.CollectionExists("h") {
			t.Fatalf("%s: a collection was created", r.what)
		}
		assertNoTemps(t, e.m.TempPath)
	}
}
