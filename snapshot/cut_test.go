package snapshot

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
)

// walFiles returns every WAL segment file under dir.
func walFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Base(filepath.Dir(p)) == "wal" {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCutCopiesWALRecordsNotFileSize: a WAL segment file longer than its
// records (preallocated, zero-filled: the WAL writes at its own offset, not
// at the end of the file) must be captured up to the end of its records at
// the cut. Writes acknowledged after the writes resume, but before the
// captured bytes are copied, land inside the file's size; the snapshot must
// not hold them. Copying up to the file size taken under the hold let each
// shard's copy reach a different moment, which broke the prefix property of
// TestConcurrentSnapshots (a later write of a writer present, an earlier
// one, in the other shard, absent).
func TestCutCopiesWALRecordsNotFileSize(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 2)
	fill(t, c, 20, dim)
	want := dump(t, c)
	wals := walFiles(t, filepath.Join(e.dir, "storage"))
	if len(wals) < 2 {
		t.Fatalf("want a WAL segment per shard, found %v", wals)
	}
	for _, p := range wals {
		if err := os.Truncate(p, 4<<20); err != nil { // as a full-size preallocation
			t.Fatal(err)
		}
	}
	prev := observeHold
	t.Cleanup(func() { observeHold = prev })
	wrote := false
	observeHold = func(time.Duration) { // writes resumed, captured bytes not yet copied
		if !wrote {
			wrote = true
			upsert(t, c, points(rand.New(rand.NewPCG(5, 5)), 1000, 10, dim))
		}
	}
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	if !wrote {
		t.Fatal("the hook after the cut did not run")
	}
	if err := e.m.Recover(ctxb, "r", filepath.Join(e.m.SnapshotsPath, "c", d.Name), d.Checksum, ""); err != nil {
		t.Fatal(err)
	}
	r, err := e.st.Collection("r")
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, r); got != want {
		n := func(c *engine.Collection) int {
			k, err := c.Count(ctxb, engine.CountRequest{})
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		t.Fatalf("snapshot differs from the state at its cut: %d points restored, %d at the cut (%d now)", n(r), strings.Count(want, `"id":`), n(c))
	}
}
