package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// texmexSet writes a tiny generated set into dir under the names
// prefix+"base.fvecs", prefix+"query.fvecs" and, when gtk > 0,
// prefix+"groundtruth.ivecs" with the exact top gtk (naive computation).
func texmexSet(t *testing.T, dir, prefix string, m Metric, gtk int) (base, queries []float32, gt []int32) {
	t.Helper()
	const dim = 6
	base, queries, err := Generate(GenOptions{N: 240, Queries: 12, Dim: dim, Clusters: 4, Seed: 9, Metric: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFvecs(filepath.Join(dir, prefix+"base.fvecs"), base, dim); err != nil {
		t.Fatal(err)
	}
	if err := WriteFvecs(filepath.Join(dir, prefix+"query.fvecs"), queries, dim); err != nil {
		t.Fatal(err)
	}
	if gtk > 0 {
		gt = naiveTopK(base, queries, dim, gtk, m)
		if err := WriteIvecs(filepath.Join(dir, prefix+GroundTruthFile), gt, gtk); err != nil {
			t.Fatal(err)
		}
	}
	return base, queries, gt
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLoadDatasetSIFTNames loads sift_*-named files: the supplied ground
// truth is used (cut to k) when it has k columns or more, and when it has
// fewer Cairn's is computed into groundtruth.ivecs beside it, the
// supplied file untouched.
func TestLoadDatasetSIFTNames(t *testing.T) {
	dir := t.TempDir()
	_, _, gt := texmexSet(t, dir, "sift_", L2, 5)
	if err := WriteFvecs(filepath.Join(dir, "sift_learn.fvecs"), make([]float32, 12), 6); err != nil {
		t.Fatal(err)
	}
	supplied := filepath.Join(dir, "sift_groundtruth.ivecs")
	before := readBytes(t, supplied)
	ds, err := LoadDataset(dir, L2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !ds.GTSupplied || ds.GDim != 3 || !slices.Equal(ds.GT, cutColumns(gt, 5, 3)) || ds.N() != 240 || ds.NQ() != 12 {
		t.Fatalf("dataset: supplied=%v gdim=%d n=%d nq=%d", ds.GTSupplied, ds.GDim, ds.N(), ds.NQ())
	}
	if ds.Files.Base != filepath.Join(dir, "sift_base.fvecs") || ds.Files.Query != filepath.Join(dir, "sift_query.fvecs") || ds.Files.GroundTruth != supplied {
		t.Fatalf("files %+v", ds.Files)
	}
	if _, err := os.Stat(filepath.Join(dir, GroundTruthFile)); !os.IsNotExist(err) {
		t.Fatalf("a cache was written though the supplied ground truth served: %v", err)
	}
	ds, err = LoadDataset(dir, L2, 8)
	if err != nil {
		t.Fatal(err)
	}
	if ds.GTSupplied || ds.GDim != 8 || !slices.Equal(cutColumns(ds.GT, 8, 5), gt) {
		t.Fatalf("k=8 over a top-5 file: supplied=%v gdim=%d", ds.GTSupplied, ds.GDim)
	}
	if !bytes.Equal(readBytes(t, supplied), before) {
		t.Fatal("supplied ground truth overwritten")
	}
	if !isCairnCache(filepath.Join(dir, GroundTruthFile)) {
		t.Fatal("computed ground truth not cached in groundtruth.ivecs")
	}
	// The cache does not hide the supplied file on the next load.
	if ds, err = LoadDataset(dir, L2, 5); err != nil || !ds.GTSupplied {
		t.Fatalf("reload: %v", err)
	}
}

// TestSuppliedGroundTruthRefused: a ground truth for another metric, with
// a wrong neighbour, or with ids out of range is refused, never rewritten.
func TestSuppliedGroundTruthRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(gt []int32, k int)
		metric Metric
	}{
		{"swapped neighbours of a query", func(gt []int32, k int) { gt[k*4], gt[k*4+4] = gt[k*4+4], gt[k*4] }, L2},
		{"another query's row", func(gt []int32, k int) { copy(gt[0:k], gt[k*11:k*12]) }, L2},
		{"id out of range", func(gt []int32, k int) { gt[k*6+1] = 240 }, L2},
		{"other metric", func([]int32, int) {}, Cosine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, _, gt := texmexSet(t, dir, "gist_", L2, 5)
			tc.damage(gt, 5)
			path := filepath.Join(dir, "gist_groundtruth.ivecs")
			if err := WriteIvecs(path, gt, 5); err != nil {
				t.Fatal(err)
			}
			before := readBytes(t, path)
			_, err := LoadDataset(dir, tc.metric, 5)
			if !errors.Is(err, ErrGroundTruth) || !strings.Contains(err.Error(), "gist_groundtruth.ivecs") {
				t.Fatalf("err = %v, want ErrGroundTruth naming the file", err)
			}
			if !bytes.Equal(readBytes(t, path), before) {
				t.Fatal("supplied ground truth rewritten")
			}
		})
	}
}

// TestSuppliedGroundTruthTies: neighbours at equal distances may come in
// any order.
func TestSuppliedGroundTruthTies(t *testing.T) {
	dir := t.TempDir()
	base := []float32{0, 0, 1, 0, 0, 1, -1, 0, 0, -1, 3, 3}
	queries := []float32{0, 0}
	if err := WriteFvecs(filepath.Join(dir, "t_base.fvecs"), base, 2); err != nil {
		t.Fatal(err)
	}
	if err := WriteFvecs(filepath.Join(dir, "t_query.fvecs"), queries, 2); err != nil {
		t.Fatal(err)
	}
	if err := WriteIvecs(filepath.Join(dir, "t_groundtruth.ivecs"), []int32{0, 4, 2, 3, 1}, 5); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(dir, L2, 5)
	if err != nil || !ds.GTSupplied {
		t.Fatalf("ties refused: %v", err)
	}
}

// TestLoadBvecsWithExplicitFiles loads BIGANN-style .bvecs files named by
// -base/-query/-gt style paths, the ground truth in another folder.
func TestLoadBvecsWithExplicitFiles(t *testing.T) {
	dir := t.TempDir()
	const n, nq, dim, k = 150, 7, 5, 4
	rng := rand.New(rand.NewPCG(4, 4))
	rows := func(count int) ([][]uint32, []float32) {
		var r [][]uint32
		var f []float32
		for range count {
			row := make([]uint32, dim)
			for j := range row {
				row[j] = uint32(rng.IntN(256))
				f = append(f, float32(row[j]))
			}
			r = append(r, row)
		}
		return r, f
	}
	br, base := rows(n)
	qr, queries := rows(nq)
	basePath := writeRowsAt(t, filepath.Join(dir, "bigann_base.bvecs"), dim, br, 1)
	queryPath := writeRowsAt(t, filepath.Join(dir, "bigann_query.bvecs"), dim, qr, 1)
	gtPath := filepath.Join(dir, "gnd", "idx_150.ivecs")
	if err := os.MkdirAll(filepath.Dir(gtPath), 0o755); err != nil {
		t.Fatal(err)
	}
	gt := naiveTopK(base, queries, dim, 10, L2)
	if err := WriteIvecs(gtPath, gt, 10); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataFiles(DataFiles{Base: basePath, Query: queryPath, GroundTruth: gtPath}, L2, k)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Files.Dir != dir || ds.N() != n || ds.Dim != dim || !ds.GTSupplied || !slices.Equal(ds.GT, cutColumns(gt, 10, k)) {
		t.Fatalf("dataset dir=%s n=%d dim=%d supplied=%v", ds.Files.Dir, ds.N(), ds.Dim, ds.GTSupplied)
	}
	if ds.Base[3] != base[3] {
		t.Fatalf("bvecs value %v, want %v", ds.Base[3], base[3])
	}
	// Found by name without flags, too.
	if ds, err := LoadDataset(dir, L2, k); err != nil || ds.GTSupplied || ds.Files.Base != basePath {
		t.Fatalf("found by name: %v %+v", err, ds)
	}
}

// writeRowsAt writes rows as a TEXMEX file at path: each row the
// little-endian int32 dim, then its values, width 1 (.bvecs) or 4 bytes.
func writeRowsAt(t *testing.T, path string, dim int, rows [][]uint32, width int) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range rows {
		_ = binary.Write(&b, binary.LittleEndian, int32(dim))
		for _, v := range r {
			if width == 1 {
				b.WriteByte(byte(v))
			} else {
				_ = binary.Write(&b, binary.LittleEndian, v)
			}
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGenDatasetGroundTruthKept: gen_dataset.py's groundtruth.ivecs (no
// sidecar) is used as supplied, and a larger k is cached beside it.
func TestGenDatasetGroundTruthKept(t *testing.T) {
	dir := t.TempDir()
	_, _, gt := texmexSet(t, dir, "", Cosine, 10)
	path := filepath.Join(dir, GroundTruthFile)
	before := readBytes(t, path)
	ds, err := LoadDataset(dir, Cosine, 10)
	if err != nil || !ds.GTSupplied || !slices.Equal(ds.GT, gt) {
		t.Fatalf("gen_dataset.py ground truth not used: %v", err)
	}
	if ds, err = LoadDataset(dir, Cosine, 12); err != nil || ds.GTSupplied {
		t.Fatalf("k=12: %v", err)
	}
	if !bytes.Equal(readBytes(t, path), before) || !isCairnCache(filepath.Join(dir, "groundtruth.cairn.ivecs")) {
		t.Fatal("groundtruth.ivecs rewritten, or the cache not beside it")
	}
}

func TestFindDataFilesErrors(t *testing.T) {
	dir := t.TempDir()
	texmexSet(t, dir, "a_", L2, 0)
	texmexSet(t, dir, "b_", L2, 0)
	if _, err := FindDataFiles(DataFiles{Dir: dir}); !errors.Is(err, ErrUsage) {
		t.Fatalf("two *_base.fvecs: %v, want ErrUsage", err)
	}
	f, err := FindDataFiles(DataFiles{Dir: dir, Base: filepath.Join(dir, "b_base.fvecs")})
	if err != nil || f.Query != filepath.Join(dir, "b_query.fvecs") {
		t.Fatalf("query beside an explicit base: %v %+v", err, f)
	}
	if _, err := FindDataFiles(DataFiles{Dir: t.TempDir()}); !errors.Is(err, errNoBase) {
		t.Fatalf("empty folder: %v", err)
	}
	if _, _, err := readVectors("x.txt"); !errors.Is(err, ErrUsage) {
		t.Fatalf("extension: %v", err)
	}
}

// TestMainSearchExplicitFiles runs `search -base -query -gt` and checks
// the report names the files and the supplied ground truth.
func TestMainSearchExplicitFiles(t *testing.T) {
	_, srv := newFakeQdrant(t)
	dir := t.TempDir()
	texmexSet(t, dir, "sift_", L2, 10)
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, err := runMain(t, Hooks{}, "search", "-url", srv.URL, "-base", filepath.Join(dir, "sift_base.fvecs"),
		"-query", filepath.Join(dir, "sift_query.fvecs"), "-gt", filepath.Join(dir, "sift_groundtruth.ivecs"),
		"-efs", "16", "-rounds", "1", "-clients", "1", "-out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var r Report
	if err := json.Unmarshal(readBytes(t, filepath.Join(out, "search.json")), &r); err != nil {
		t.Fatal(err)
	}
	if d := r.Search.Data; d.GroundTruth != "supplied" || d.Files.GroundTruth != filepath.Join(dir, "sift_groundtruth.ivecs") || d.N != 240 {
		t.Fatalf("data %+v", d)
	}
	if r.Search.Rows[0].Recall != 1 {
		t.Fatalf("exact fake server, recall %v", r.Search.Rows[0].Recall)
	}
	if _, _, err := runMain(t, Hooks{}, "search", "-url", srv.URL, "-data", dir, "-hnswlib-bin", "/bin/true"); !errors.Is(err, ErrUsage) {
		t.Fatalf("hnswlib_ref on sift_ names: %v, want ErrUsage", err)
	}
}
