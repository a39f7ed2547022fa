package snapshot

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// graphFiles returns the content of every HNSW graph file under dir, by
// path relative to dir.
func graphFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".hnsw") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRestoreRebuildsNothing: a snapshot holds the HNSW graphs and payload
// indexes, so a recover (into a new name and over the same one) answers
// with every vector indexed and the same payload schema at once, maps the
// very graph files the source had, and leaves the optimizer nothing to
// build; filtered searches answer as on the source.
func TestRestoreRebuildsNothing(t *testing.T) {
	var mu sync.Mutex
	merges := map[string]int{} // optimizer rewrites (graph builds among them), by collection
	hooks := &engine.Hooks{MergeStart: func(c string, _, _ int) { mu.Lock(); merges[c]++; mu.Unlock() }}
	mergesOf := func(c string) int { mu.Lock(); defer mu.Unlock(); return merges[c] }
	dir := t.TempDir()
	storage := filepath.Join(dir, "storage")
	st, err := engine.Open(engine.Options{Dir: storage, Logger: quiet(), DisableBackground: true, Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	m := &Manager{Storage: st, SnapshotsPath: filepath.Join(dir, "snapshots"), TempPath: filepath.Join(storage, "tmp"), Logger: quiet(), NodeID: 42}

	const d, n = 16, 600
	threshold := 20 // kB: 320 vectors of dimension 16, so the segment gets a graph
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: d, Distance: point.Euclid}},
		OptimizersConfig: &engine.OptimizersConfigDiff{IndexingThreshold: &threshold}}
	if err := st.CreateCollection("src", req); err != nil {
		t.Fatal(err)
	}
	src, _ := st.Collection("src")
	var schema payload.FieldSchema
	if err := json.Unmarshal([]byte(`"keyword"`), &schema); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CreateFieldIndex(ctxb, "tag", schema, true); err != nil {
		t.Fatal(err)
	}
	upsert(t, src, points(seeded(41), 0, n, d))
	if err := src.Flush(); err != nil { // seal, then the optimizer builds the graph
		t.Fatal(err)
	}
	info := src.Info()
	if info.IndexedVectorsCount != n || info.PointsCount != n || mergesOf("src") == 0 {
		t.Fatalf("source: indexed %d of %d points after %d optimizer builds", info.IndexedVectorsCount, info.PointsCount, mergesOf("src"))
	}
	srcDir := filepath.Join(storage, "collections", "src")
	graphs := graphFiles(t, srcDir)
	if len(graphs) == 0 {
		t.Fatal("the source has no graph file")
	}
	schemaJSON, _ := json.Marshal(info.PayloadSchema)
	var filter payload.Filter
	if err := json.Unmarshal([]byte(`{"must":[{"key":"tag","match":{"value":"a"}}]}`), &filter); err != nil {
		t.Fatal(err)
	}
	search := func(c *engine.Collection) string {
		t.Helper()
		res, err := c.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: randVec(seeded(43), d)}, Filter: &filter,
			Limit: 10, WithPayload: &engine.WithPayload{Enable: true}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 10 {
			t.Fatalf("filtered search found %d points", len(res))
		}
		for _, p := range res {
			if p.Payload["tag"] != "a" {
				t.Fatalf("filtered search returned %v", p.Payload)
			}
		}
		b, _ := json.Marshal(res)
		return string(b)
	}
	want := search(src)

	snap, err := m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(m.SnapshotsPath, "src", snap.Name)
	for _, name := range []string{"dst", "src"} {
		before := mergesOf(name)
		if err := m.Recover(ctxb, name, path, snap.Checksum, PrioritySnapshot); err != nil {
			t.Fatal(err)
		}
		c, err := st.Collection(name)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Info()
		gotSchema, _ := json.Marshal(got.PayloadSchema)
		if got.IndexedVectorsCount != n || got.PointsCount != n || string(gotSchema) != string(schemaJSON) {
			t.Fatalf("%s right after recover: indexed %d of %d points, payload schema %s, want %d and %s",
				name, got.IndexedVectorsCount, got.PointsCount, gotSchema, n, schemaJSON)
		}
		restored := graphFiles(t, filepath.Join(storage, "collections", name))
		if len(restored) != len(graphs) {
			t.Fatalf("%s: graph files %d, want %d", name, len(restored), len(graphs))
		}
		for rel, b := range graphs {
			if !bytes.Equal(restored[rel], b) {
				t.Fatalf("%s: graph file %s differs from the source's", name, rel)
			}
		}
		if s := search(c); s != want {
			t.Fatalf("%s: filtered search\n%s\nwant\n%s", name, s, want)
		}
		// The optimizer finds nothing to build or rewrite.
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		if k := mergesOf(name) - before; k != 0 {
			t.Fatalf("%s: the optimizer rewrote %d segments after recover", name, k)
		}
		if got := c.Info(); got.IndexedVectorsCount != n {
			t.Fatalf("%s after flush: indexed %d", name, got.IndexedVectorsCount)
		}
	}
}
