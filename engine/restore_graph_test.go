package engine

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// graphFolder builds a collection folder under dir whose one segment has
// an HNSW graph and returns it.
func graphFolder(t *testing.T, dir string) string {
	t.Helper()
	st := openTest(t, dir, nil)
	req := simpleReq(16, point.Euclid)
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(3, 4))
	var pts []PointStruct
	for i := range 600 {
		pts = append(pts, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": randVec(r, 16)}})
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir, "c")
}

// TestRestoreVerifiesGraphs: a restore checks the graphs of the folder it
// installs (in parallel with the segment checksums) and refuses a damaged
// one; a sound one is installed with its graph, opened once more without
// being read again, and searchable.
func TestRestoreVerifiesGraphs(t *testing.T) {
	base := t.TempDir()
	bad := graphFolder(t, filepath.Join(base, "bad"))
	graphs, _ := filepath.Glob(filepath.Join(bad, "shard-0", "segments", "*", "graph.hnsw"))
	if len(graphs) != 1 {
		t.Fatalf("graph files: %v", graphs)
	}
	b, err := os.ReadFile(graphs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(graphs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	st := openTest(t, filepath.Join(base, "live"), nil)
	defer func() { _ = st.Close() }()
	if err := st.RestoreCollection("r", bad); !errors.Is(err, ErrVerify) {
		t.Fatalf("damaged graph: RestoreCollection = %v, want ErrVerify", err)
	}
	if _, err := st.Collection("r"); err == nil {
		t.Fatal("a refused restore created the collection")
	}
	good := graphFolder(t, filepath.Join(base, "good"))
	if err := st.RestoreCollection("r", good); err != nil {
		t.Fatal(err)
	}
	c, err := st.Collection("r")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.shards[0].segs[0].graphs); n != 1 {
		t.Fatalf("graphs after restore = %d", n)
	}
	if info := c.Info(); info.IndexedVectorsCount != 600 {
		t.Fatalf("info = %s", jsonOf(info))
	}
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: randVec(rand.New(rand.NewPCG(5, 6)), 16)}, Limit: 10})
	if err != nil || len(res) != 10 {
		t.Fatalf("search after restore: %d results, %v", len(res), err)
	}
}
