package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestTimelineStableAndRenewed: a collection's timeline survives restarts
// and payload index changes, and every create, collection restore, shard
// restore and full restore gives a new one, beginning on Options.Now.
func TestTimelineStableAndRenewed(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	open := func() *Storage {
		st, err := Open(Options{Dir: filepath.Join(dir, "st"), Logger: quietLogger(), DisableBackground: true, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	req := simpleReq(4, point.Dot)
	req.ShardNumber = intp(2)
	c := mustCreate(t, st, "c", req)
	first := c.Timeline()
	if first.ID == 0 || !first.Began.Equal(now) {
		t.Fatalf("created on timeline %v began %v, want a non-zero id beginning %v", first, first.Began, now)
	}
	if _, err := c.CreateFieldIndex(ctxb, "k", payload.FieldSchema{Type: payload.TypeKeyword}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open()
	defer func() { _ = st.Close() }()
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeline() != first {
		t.Fatalf("reopened on timeline %v, was %v", c.Timeline(), first)
	}
	seen := map[uint64]bool{first.ID: true}
	renewed := func(what string) {
		t.Helper()
		c, err := st.Collection("c")
		if err != nil {
			t.Fatal(err)
		}
		tl := c.Timeline()
		if seen[tl.ID] || tl.ID == 0 || !tl.Began.Equal(now) {
			t.Fatalf("%s: timeline %v began %v, want a new one beginning %v", what, tl, tl.Began, now)
		}
		seen[tl.ID] = true
	}
	copyOf := func() string {
		t.Helper()
		c, _ := st.Collection("c")
		src := filepath.Join(t.TempDir(), "c")
		if err := copyTree(st.opts.FS, c.core.dir, src); err != nil {
			t.Fatal(err)
		}
		return src
	}
	now = now.Add(time.Minute)
	if err := st.RestoreCollection("c", copyOf(), nil); err != nil {
		t.Fatal(err)
	}
	renewed("collection restore")
	now = now.Add(time.Minute)
	if err := st.RestoreShard("c", 1, copyOf(), nil); err != nil {
		t.Fatal(err)
	}
	renewed("shard restore")
	now = now.Add(time.Minute)
	if err := st.RestoreAll(map[string]string{"c": copyOf()}, nil, nil); err != nil {
		t.Fatal(err)
	}
	renewed("full restore")
	now = now.Add(time.Minute)
	if _, err := st.DeleteCollection("c"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, "c", req)
	renewed("recreate")
}

// TestTimelineZeroForOldFiles: a collection file of an earlier version,
// without a timeline, opens on timeline 0; a malformed timeline is
// corrupt.
func TestTimelineZeroForOldFiles(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	mustCreate(t, st, "c", simpleReq(4, point.Dot))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cdir := filepath.Join(dir, collectionsDir, "c")
	rewrite := func(mod func(m map[string]any)) {
		t.Helper()
		f, err := loadCollectionFile(cdir)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(f)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mod(m)
		body, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(cdir, CollectionFile), sealEnvelope(collectionMagic, collectionVersion, body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(func(m map[string]any) { delete(m, "timeline"); delete(m, "timeline_began") })
	if tl, err := ReadTimeline(cdir); err != nil || tl != (Timeline{}) {
		t.Fatalf("old collection file: timeline %v, %v; want 0", tl, err)
	}
	st = openTest(t, dir, nil)
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeline().ID != 0 {
		t.Fatalf("old collection opened on timeline %v", c.Timeline())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	rewrite(func(m map[string]any) { m["timeline"] = "not-hex" })
	if _, err := ReadTimeline(cdir); err == nil {
		t.Fatal("a malformed timeline was accepted")
	}
}
