package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// gateFS blocks the first fdatasync of a file whose path contains match
// once armed, until open is closed; reached is closed when it blocks.
type gateFS struct {
	vfs.FS
	match   string
	armed   chan struct{} // closed to arm
	reached chan struct{}
	open    chan struct{}
	once    sync.Once
}

func (g *gateFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.Contains(name, g.match) {
		return f, err
	}
	return &gateFile{File: f, g: g}, nil
}

type gateFile struct {
	vfs.File
	g *gateFS
}

func (f *gateFile) wait() {
	select {
	case <-f.g.armed:
	default:
		return
	}
	blocked := false
	f.g.once.Do(func() { blocked = true; close(f.g.reached) })
	if blocked {
		<-f.g.open
	}
}

func (f *gateFile) Datasync() error { f.wait(); return vfs.Datasync(f.File) }
func (f *gateFile) Sync() error     { f.wait(); return f.File.Sync() }

// TestFullSnapshotAliasesInTheCut: a full snapshot is one point across the
// collections and the alias table. While the cut is being taken (collection
// a pinned, the pin of b waiting on its WAL's fsync), an alias is created
// and then a point is written to collection c, not pinned yet. The alias
// change must wait for the cut, so the snapshot holds both or neither;
// reading the alias table before pinning let the snapshot hold c's point
// without the alias made before it.
func TestFullSnapshotAliasesInTheCut(t *testing.T) {
	g := &gateFS{FS: vfs.OS, match: filepath.Join("collections", "b", "shard-0", "wal"),
		armed: make(chan struct{}), reached: make(chan struct{}), open: make(chan struct{})}
	e := newEnv(t, g)
	for _, n := range []string{"a", "b", "c"} {
		fill(t, e.create(t, n, dim, 1), 51, dim)
	}
	b, _ := e.st.Collection("b")
	c, _ := e.st.Collection("c")
	// A write to b that is not durable yet: the cut's pin of b fsyncs it.
	if _, err := b.Upsert(ctxb, points(seeded(52), 900, 1, dim), false); err != nil {
		t.Fatal(err)
	}
	close(g.armed)
	type result struct {
		d   Description
		err error
	}
	created := make(chan result, 1)
	go func() {
		d, err := e.m.CreateFull(ctxb)
		created <- result{d, err}
	}()
	select {
	case <-g.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the cut never fsynced b's WAL")
	}
	later := make(chan error, 1)
	go func() { // after the alias, a write to c (not pinned yet)
		err := e.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "a", AliasName: "late"}}})
		if err == nil {
			_, err = c.Upsert(ctxb, []engine.PointStruct{{ID: point.NumID(7777), Vector: engine.Vectors{"": randVec(seeded(53), dim)}}}, true)
		}
		later <- err
	}()
	select { // either both land now (the bug) or they wait for the cut
	case err := <-later:
		later <- err
	case <-time.After(200 * time.Millisecond):
	}
	close(g.open)
	r := <-created
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := <-later; err != nil {
		t.Fatal(err)
	}

	e2 := newEnv(t, nil)
	path := download(t, mustOpen(t, filepath.Join(e.m.SnapshotsPath, r.d.Name)), filepath.Join(e.dir, "full.snapshot"))
	if err := e2.m.RecoverFull(ctxb, path, r.d.Checksum, false); err != nil {
		t.Fatal(err)
	}
	rc, err := e2.st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	got, err := rc.Get(ctxb, []point.ID{point.NumID(7777)}, engine.WithPayload{}, engine.WithVector{})
	if err != nil {
		t.Fatal(err)
	}
	hasPoint, hasAlias := len(got) == 1, e2.st.CollectionExists("late")
	if hasPoint != hasAlias {
		t.Fatalf("snapshot holds c's later point: %v, the alias made before it: %v", hasPoint, hasAlias)
	}
	if hasPoint {
		t.Fatal("writes made while the cut was taken are in it")
	}
}
