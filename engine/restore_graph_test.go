package engine

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
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

// TestRestoreVerifiesGraphs: a restore checks the links of the graphs of
// the folder it installs, not only the checksums: a graph file whose own
// checksums and meta.seg's are all valid but which holds a neighbour id out
// of range is refused with hnsw.ErrCorrupt and the live collection is left
// as it was; a sound folder is installed with its graph and searchable.
func TestRestoreVerifiesGraphs(t *testing.T) {
	base := t.TempDir()
	bad := graphFolder(t, filepath.Join(base, "bad"))
	graphs, _ := filepath.Glob(filepath.Join(bad, "shard-0", "segments", "*", "graph.hnsw"))
	if len(graphs) != 1 {
		t.Fatalf("graph files: %v", graphs)
	}
	rewriteWithBadLink(t, filepath.Dir(graphs[0]), filepath.Join(base, "rewritten"))
	st := openTest(t, filepath.Join(base, "live"), nil)
	defer func() { _ = st.Close() }()
	live := mustCreate(t, st, "r", simpleReq(16, point.Euclid))
	mustUpsert(t, live, PointStruct{ID: point.NumID(1), Vector: Vectors{"": randVec(rand.New(rand.NewPCG(7, 8)), 16)}})
	err := st.RestoreCollection("r", bad, nil)
	if !errors.Is(err, ErrVerify) || !errors.Is(err, hnsw.ErrCorrupt) {
		t.Fatalf("bad links: RestoreCollection = %v, want ErrVerify and hnsw.ErrCorrupt", err)
	}
	if c, err := st.Collection("r"); err != nil || c != live || mustCount(t, c, nil) != 1 {
		t.Fatalf("a refused restore changed the live collection (%v)", err)
	}
	good := graphFolder(t, filepath.Join(base, "good"))
	if err := st.RestoreCollection("r", good, nil); err != nil {
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

// rewriteWithBadLink rewrites the segment in segDir, through segment.Write
// (so meta.seg lists every file with its checksum), with its graph.hnsw
// changed so that one layer-0 link points past the last node and the graph's
// body checksum recomputed: only a check of the links can tell. tmp is a
// folder for the new segment that must not exist.
func rewriteWithBadLink(t *testing.T, segDir, tmp string) {
	t.Helper()
	seg, err := segment.Open(segDir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = seg.Close() }()
	g := slices.Clone(seg.Extra(graphFile("")))
	le := binary.LittleEndian
	n, m0, mx := le.Uint32(g[16:]), le.Uint32(g[28:]), le.Uint32(g[32:])
	stride := 4 * (1 + m0 + mx)
	slot := g[64 : 64+stride] // node 0
	if le.Uint32(slot)&0xffff == 0 {
		t.Fatal("node 0 has no layer-0 link")
	}
	le.PutUint32(slot[4:], n) // its first link: one past the last node
	le.PutUint32(g[len(g)-4:], crc32.Checksum(g[64:len(g)-4], crc32.MakeTable(crc32.Castagnoli)))

	recs := make([]segment.Record, seg.Len())
	for off := range recs {
		recs[off] = segmentRecord(seg, uint32(off))
	}
	extra := map[string][]byte{}
	var names []string
	for _, p := range seg.Files() {
		name := filepath.Base(p)
		if b := seg.Extra(name); b != nil && name != graphFile("") {
			extra[name] = b
		}
		names = append(names, name)
	}
	err = segment.Write(tmp, recs, segment.WriteOptions{Vectors: seg.Specs(), Extra: extra,
		Attach: func(fsys vfs.FS, tmpDir string, _ *segment.Segment) ([]string, error) {
			return []string{graphFile("")}, vfs.WriteFileAtomic(fsys, filepath.Join(tmpDir, graphFile("")), g)
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := os.Remove(filepath.Join(segDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.Rename(filepath.Join(tmp, f.Name()), filepath.Join(segDir, f.Name())); err != nil {
			t.Fatal(err)
		}
	}
}
