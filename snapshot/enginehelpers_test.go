package snapshot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

var ctxb = context.Background()

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env is a storage with its snapshot manager, all under one temp folder
// (one filesystem, so files are hard-linked).
type env struct {
	dir string
	st  *engine.Storage
	m   *Manager
}

func newEnv(t testing.TB, fsys vfs.FS) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "storage"), FS: fsys, Logger: quiet(), DisableBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	m := &Manager{Storage: st, SnapshotsPath: filepath.Join(dir, "snapshots"), TempPath: filepath.Join(dir, "storage", "tmp"),
		FS: fsys, Logger: quiet(), NodeID: 42}
	return &env{dir: dir, st: st, m: m}
}

func (e *env) create(t testing.TB, name string, dim, shards int) *engine.Collection {
	t.Helper()
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: dim, Distance: point.Dot}}, ShardNumber: &shards}
	if err := e.st.CreateCollection(name, req); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.Collection(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// points makes n points with ids from first, seeded vectors and a payload.
func points(r *rand.Rand, first, n, dim int) []engine.PointStruct {
	pts := make([]engine.PointStruct, n)
	for i := range pts {
		id := first + i
		pts[i] = engine.PointStruct{ID: point.NumID(uint64(id)), Vector: engine.Vectors{"": randVec(r, dim)},
			Payload: map[string]any{"n": json.Number(itoa(id)), "tag": []any{"a", "b"}[id%2]}}
	}
	return pts
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func upsert(t testing.TB, c *engine.Collection, pts []engine.PointStruct) {
	t.Helper()
	if _, err := c.Upsert(ctxb, pts, true); err != nil {
		t.Fatal(err)
	}
}

// fill gives c sealed segments, deletions in them and a head (WAL tail).
func fill(t testing.TB, c *engine.Collection, seed uint64, dim int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	upsert(t, c, points(r, 0, 150, dim))
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	upsert(t, c, points(r, 150, 100, dim))
	if _, err := c.Delete(ctxb, engine.PointsSelector{Points: []point.ID{point.NumID(3), point.NumID(160)}}, true); err != nil {
		t.Fatal(err)
	}
}

// dump returns every point of c (payload and vector) as JSON, in id order.
func dump(t testing.TB, c *engine.Collection) string {
	t.Helper()
	res, err := c.Scroll(ctxb, engine.ScrollRequest{Limit: 1 << 20, WithVector: &engine.WithVector{Enable: true}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.Points)
	return string(b)
}

// sameData checks that two collections hold the same points and answer
// the same searches and gets.
func sameData(t testing.TB, a, b *engine.Collection, dim int) {
	t.Helper()
	if da, db := dump(t, a), dump(t, b); da != db {
		t.Fatalf("scroll differs:\n%.300s\n%.300s", da, db)
	}
	r := rand.New(rand.NewPCG(9, 9))
	for range 5 {
		req := engine.SearchRequest{Vector: engine.NamedVector{Vector: randVec(r, dim)}, Limit: 7, WithPayload: &engine.WithPayload{Enable: true}}
		sa, err := a.Search(ctxb, req)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.Search(ctxb, req)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(sa)
		jb, _ := json.Marshal(sb)
		if string(ja) != string(jb) || len(sa) == 0 {
			t.Fatalf("search differs:\n%s\n%s", ja, jb)
		}
	}
	ids := []point.ID{point.NumID(1), point.NumID(3), point.NumID(200), point.NumID(999)}
	ga, _ := a.Get(ctxb, ids, engine.WithPayload{Enable: true}, engine.WithVector{Enable: true})
	gb, _ := b.Get(ctxb, ids, engine.WithPayload{Enable: true}, engine.WithVector{Enable: true})
	ja, _ := json.Marshal(ga)
	jb, _ := json.Marshal(gb)
	if string(ja) != string(jb) {
		t.Fatalf("get differs:\n%s\n%s", ja, jb)
	}
}

// download copies an opened snapshot to a file outside the snapshots folder.
func download(t testing.TB, f *os.File, dst string) string {
	t.Helper()
	defer f.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, f); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// snapshotAll creates a collection, a shard 0 and a full snapshot of the
// collection name, and returns their paths.
func (e *env) snapshotAll(t testing.TB, name string) (col, shard, full string) {
	t.Helper()
	c, err := e.m.CreateCollection(ctxb, name)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := e.m.CreateShard(ctxb, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(e.m.SnapshotsPath, name, c.Name),
		filepath.Join(e.m.SnapshotsPath, name, "shards", "0", sh.Name),
		filepath.Join(e.m.SnapshotsPath, f.Name)
}
