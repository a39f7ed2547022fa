package engine

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestPinRestores links and copies a pinned collection into a new storage
// folder while the original keeps changing (including a merge removing
// pinned segments), and checks the copy opens to the state at the pin.
func TestPinRestores(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer st.Close()
	req := simpleReq(4, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(1)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(1, 1))
	want := map[uint64]float32{}
	write := func(n int, into map[uint64]float32) {
		var pts []PointStruct
		for range n {
			id := r.Uint64N(60)
			x := r.Float32()
			if into != nil {
				into[id] = x
			}
			pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"": {x, 0, 0, 0}}})
		}
		mustUpsert(t, c, pts...)
	}
	write(30, want)
	c.shards[0].sealMu.Lock()
	if err := c.shards[0].seal(ctxb); err != nil {
		t.Fatal(err)
	}
	write(30, want)
	if err := c.shards[0].seal(ctxb); err != nil {
		t.Fatal(err)
	}
	c.shards[0].sealMu.Unlock()
	write(10, want) // in the head: only in the WAL
	if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(3)}}, true); err != nil {
		t.Fatal(err)
	}
	delete(want, 3)

	pin, err := c.Pin()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	root := filepath.Join(dst, collectionsDir, "c")
	for _, f := range pin.Files {
		if !f.Immutable {
			copyFile(t, f.Path, filepath.Join(root, f.Rel))
		}
	}
	pin.ResumeWrites()
	write(20, nil)
	if err := c.Flush(); err != nil { // merges the two pinned segments away
		t.Fatal(err)
	}
	for _, f := range pin.Files {
		if f.Immutable {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f.Rel)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(f.Path, filepath.Join(root, f.Rel)); err != nil {
				t.Fatalf("link %s: %v", f.Rel, err)
			}
		}
	}
	pin.Release()
	st2 := openTest(t, dst, nil)
	defer st2.Close()
	c2, err := st2.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, c2, want, "restored")
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

// stagePin captures the mutable files of p into stage/prefix (a WAL
// segment up to its records only, as a snapshot does), resumes writes, then
// links the immutable files: what the snapshot package does with a pin.
// The caller releases p.
func stagePin(p *Pin, stage, prefix string) error { return stagePinResumed(p, stage, prefix, nil) }

// stagePinResumed is stagePin calling resumed, if not nil, once writes are
// resumed and before the immutable files are linked.
func stagePinResumed(p *Pin, stage, prefix string, resumed func()) error {
	for _, f := range p.Files {
		if f.Immutable {
			continue
		}
		dst := filepath.Join(stage, prefix, f.Rel)
		b, err := os.ReadFile(f.Path)
		if err != nil {
			return err
		}
		if f.Size > 0 {
			b = b[:f.Size]
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
	}
	p.ResumeWrites()
	if resumed != nil {
		resumed()
	}
	for _, f := range p.Files {
		if !f.Immutable {
			continue
		}
		dst := filepath.Join(stage, prefix, f.Rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Link(f.Path, dst); err != nil {
			return err
		}
	}
	return nil
}

// TestPinStageAndRestore stages a pinned collection (as the snapshot
// package does), keeps writing, then restores the stage over the live
// collection and into a new name.
func TestPinStageAndRestore(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(4, point.Dot))
	want := map[uint64]float32{}
	var pts []PointStruct
	for i := range 40 {
		want[uint64(i)] = float32(i)
		pts = append(pts, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": {float32(i), 0, 0, 0}}})
	}
	mustUpsert(t, c, pts[:20]...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, pts[20:]...)
	for _, name := range []string{"c", "d"} {
		stage := filepath.Join(dir, "tmp-"+name)
		p, err := c.Pin()
		if err != nil {
			t.Fatal(err)
		}
		if err := stagePin(p, stage, ""); err != nil {
			t.Fatal(err)
		}
		mustUpsert(t, c, PointStruct{ID: point.NumID(100), Vector: Vectors{"": {1, 1, 1, 1}}}) // after the cut
		p.Release()
		if err := st.RestoreCollection(name, stage, nil); err != nil {
			t.Fatal(err)
		}
		r, err := st.Collection(name)
		if err != nil {
			t.Fatal(err)
		}
		checkFloats(t, r, want, "restored "+name)
		c, _ = st.Collection("c")
	}
	if err := st.RestoreCollection("e", filepath.Join(dir, "missing"), nil); err == nil || st.CollectionExists("e") {
		t.Fatalf("restore from a missing folder: %v", err)
	}
}

// TestPinAll pins every collection with the alias table, keeps writing,
// and checks the staged storage opens to the state at the cut.
func TestPinAll(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer st.Close()
	a := mustCreate(t, st, "a", simpleReq(4, point.Dot))
	b := mustCreate(t, st, "b", simpleReq(4, point.Dot))
	want := map[uint64]float32{1: 1, 2: 2}
	mustUpsert(t, a, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 0, 0, 0}}})
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, a, PointStruct{ID: point.NumID(2), Vector: Vectors{"": {2, 0, 0, 0}}})
	mustUpsert(t, b, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 0, 0, 0}}}, PointStruct{ID: point.NumID(2), Vector: Vectors{"": {2, 0, 0, 0}}})
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "b", AliasName: "bb"}}}); err != nil {
		t.Fatal(err)
	}
	sp, err := st.PinAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Names) != 2 || sp.Names[0] != "a" || sp.Names[1] != "b" || sp.Collections[1] != b || len(sp.Pins) != 2 {
		t.Fatalf("pinned %v", sp.Names)
	}
	if len(sp.Aliases) != 1 || sp.Aliases["bb"] != "b" {
		t.Fatalf("aliases %v", sp.Aliases)
	}
	// The storage lock is not held with the writes: an alias can change
	// meanwhile, after the cut.
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: "aa"}}}); err != nil {
		t.Fatal(err)
	}
	// A write once b's writes resume, before its immutable files are
	// linked, is after the cut too.
	stage := filepath.Join(t.TempDir(), "stage")
	for i, p := range sp.Pins {
		var resumed func()
		if sp.Names[i] == "b" {
			resumed = func() { mustUpsert(t, b, PointStruct{ID: point.NumID(3), Vector: Vectors{"": {3, 0, 0, 0}}}) }
		}
		if err := stagePinResumed(p, stage, filepath.Join(collectionsDir, sp.Names[i]), resumed); err != nil {
			t.Fatal(err)
		}
	}
	sp.Release()
	if err := storeAliases(st.opts.FS, stage, sp.Aliases); err != nil {
		t.Fatal(err)
	}
	st2 := openTest(t, stage, nil)
	defer st2.Close()
	for _, n := range []string{"a", "bb"} {
		c, err := st2.Collection(n)
		if err != nil {
			t.Fatal(err)
		}
		checkFloats(t, c, want, "restored "+n)
	}
	if st2.CollectionExists("aa") {
		t.Fatal("an alias made after the cut is in it")
	}
}
