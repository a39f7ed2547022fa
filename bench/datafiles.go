package bench

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrGroundTruth reports a supplied ground truth that does not hold the
// exact nearest neighbours of its queries (another metric, another data
// set, or a damaged file).
var ErrGroundTruth = errors.New("supplied ground truth is wrong")

// errNoBase reports a data folder without base vectors (one to generate).
var errNoBase = fmt.Errorf("no base vectors: %w", fs.ErrNotExist)

// DataFiles names the files of a TEXMEX data set: base vectors and queries
// (.fvecs, or .bvecs as BIGANN's), and an optional supplied ground truth
// (.ivecs, nearest first). Dir is where a computed ground truth is cached.
type DataFiles struct {
	Dir         string `json:"dir"`
	Base        string `json:"base"`
	Query       string `json:"query"`
	GroundTruth string `json:"ground_truth,omitempty"`
}

// FindDataFiles fills the empty fields of f. Dir defaults to the folder of
// Base. In Dir, the base is base.fvecs or base.bvecs (as gen_dataset.py
// and cairn bench gen write them), else the one *_base.fvecs or
// *_base.bvecs (sift_base.fvecs, gist_base.fvecs, bigann_base.bvecs); the
// queries and the ground truth share the base's prefix (query.fvecs,
// sift_query.fvecs, sift_groundtruth.ivecs), else are the one *_query.*
// or *_groundtruth.ivecs file. A groundtruth.ivecs with Cairn's sidecar
// is a cache, not a supplied ground truth. Missing files are
// fs.ErrNotExist errors.
func FindDataFiles(f DataFiles) (DataFiles, error) {
	if f.Dir == "" {
		if f.Base == "" {
			return f, fmt.Errorf("%w: a data folder or a base file is required", ErrUsage)
		}
		f.Dir = filepath.Dir(f.Base)
	}
	prefix := ""
	if f.Base == "" {
		p, err := findOne(f.Dir, []string{"base.fvecs", "base.bvecs"}, []string{"*_base.fvecs", "*_base.bvecs"})
		if err != nil {
			return f, err
		}
		if p == "" {
			return f, fmt.Errorf("find data files: no base.fvecs, base.bvecs, *_base.fvecs or *_base.bvecs in %s: %w", f.Dir, errNoBase)
		}
		f.Base = p
	}
	if name := filepath.Base(f.Base); strings.HasSuffix(strings.TrimSuffix(name, filepath.Ext(name)), "base") {
		prefix = strings.TrimSuffix(strings.TrimSuffix(name, filepath.Ext(name)), "base")
	}
	if f.Query == "" {
		p, err := findOne(f.Dir, []string{prefix + "query.fvecs", prefix + "query.bvecs"}, []string{"*_query.fvecs", "*_query.bvecs"})
		if err != nil {
			return f, err
		}
		if p == "" {
			return f, fmt.Errorf("find data files: no %squery.fvecs or *_query.fvecs in %s: %w", prefix, f.Dir, fs.ErrNotExist)
		}
		f.Query = p
	}
	if f.GroundTruth == "" {
		exact := prefix + GroundTruthFile
		if isCairnCache(filepath.Join(f.Dir, exact)) {
			exact = ""
		}
		p, err := findOne(f.Dir, []string{exact}, []string{"*_groundtruth.ivecs"})
		if err != nil {
			return f, err
		}
		f.GroundTruth = p
	}
	return f, nil
}

// findOne returns the first of names that exists in dir, else the one file
// matching the patterns ("" for none; several is an ErrUsage error).
func findOne(dir string, names, patterns []string) (string, error) {
	for _, n := range names {
		if n == "" {
			continue
		}
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	var found []string
	for _, pat := range patterns {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return "", fmt.Errorf("find data files: %w", err)
		}
		found = append(found, m...)
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	slices.Sort(found)
	return "", fmt.Errorf("%w: several candidates in %s (%s): choose with -base, -query or -gt", ErrUsage, dir, strings.Join(found, ", "))
}

// readVectors reads a .fvecs or .bvecs file (by its extension).
func readVectors(path string) ([]float32, int, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".fvecs":
		return ReadFvecs(path)
	case ".bvecs":
		return ReadBvecs(path)
	}
	return nil, 0, fmt.Errorf("%w: %s is neither .fvecs nor .bvecs", ErrUsage, path)
}

// cacheFor is where the ground truth computed for f is cached: Dir's
// groundtruth.ivecs, or groundtruth.cairn.ivecs when groundtruth.ivecs is
// the supplied one (which is never overwritten).
func cacheFor(f DataFiles) gtCache {
	p := filepath.Join(f.Dir, GroundTruthFile)
	if f.GroundTruth != "" && filepath.Clean(f.GroundTruth) == filepath.Clean(p) {
		p = filepath.Join(f.Dir, "groundtruth.cairn.ivecs")
	}
	return gtCache{ivecs: p, base: f.Base, query: f.Query}
}

// LoadDataFiles reads the data set f names (FindDataFiles completes it),
// normalises it for Cosine, and takes the top-k ground truth from the
// supplied file when it has at least k neighbours per query and passes a
// spot check against the exact computation (an ErrGroundTruth error if
// not), else from Cairn's cache or the exact computation (EnsureGroundTruth).
func LoadDataFiles(f DataFiles, m Metric, k int) (*Dataset, error) {
	return loadDataFiles(f, m, k, nil, false)
}

func loadDataFiles(f DataFiles, m Metric, k int, log io.Writer, tty bool) (*Dataset, error) {
	f, err := FindDataFiles(f)
	if err != nil {
		return nil, err
	}
	return readDataFiles(f, m, k, log, tty)
}

// readDataFiles is loadDataFiles of the files FindDataFiles found.
func readDataFiles(f DataFiles, m Metric, k int, log io.Writer, tty bool) (*Dataset, error) {
	base, dim, err := readVectors(f.Base)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	queries, qdim, err := readVectors(f.Query)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	if dim == 0 || qdim != dim {
		return nil, fmt.Errorf("load dataset %s: %w: base dim %d, query dim %d", f.Dir, ErrMismatch, dim, qdim)
	}
	if m == Cosine {
		normalizeAll(base, dim)
		normalizeAll(queries, dim)
	}
	ds := &Dataset{Files: f, Metric: m, Dim: dim, Base: base, Queries: queries, GDim: k}
	if f.GroundTruth != "" {
		gt, ok, err := suppliedGroundTruth(f.GroundTruth, base, queries, dim, k, m)
		if err != nil {
			return nil, err
		}
		if ok {
			ds.GT, ds.GTSupplied = gt, true
			return ds, nil
		}
		if log != nil {
			Logf(log, "%s holds fewer than %d neighbours per query: computing the ground truth", f.GroundTruth, k)
		}
	}
	ds.GT, _, err = cacheFor(f).ensure(base, queries, dim, k, m, log, tty)
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// spotChecks is how many queries of a supplied ground truth are checked.
const spotChecks = 8

// suppliedGroundTruth reads the ground truth at path and, when it has at
// least k neighbours per query, checks spotChecks queries spread over the
// set against the exact top k and returns its first k columns. It returns
// false (and no error) when it has fewer than k columns.
func suppliedGroundTruth(path string, base, queries []float32, dim, k int, m Metric) ([]int32, bool, error) {
	gt, gdim, err := ReadIvecs(path)
	if err != nil {
		return nil, false, fmt.Errorf("load ground truth: %w", err)
	}
	nq := len(queries) / dim
	if gdim == 0 || len(gt) != nq*gdim {
		return nil, false, fmt.Errorf("load ground truth %s: %w: %d rows for %d queries", path, ErrMismatch, len(gt)/max(gdim, 1), nq)
	}
	if gdim < k {
		return nil, false, nil
	}
	if err := spotCheck(base, queries, dim, gt, gdim, k, m); err != nil {
		return nil, false, fmt.Errorf("ground truth %s: %w", path, err)
	}
	return cutColumns(gt, gdim, k), true, nil
}

// spotCheck compares the first k neighbours gt lists for a few queries
// with the exact top k computed by the kernels: position by position, the
// listed neighbour's distance must equal the exact one up to rounding (so
// ties may come in any order).
func spotCheck(base, queries []float32, dim int, gt []int32, gdim, k int, m Metric) error {
	n, nq := len(base)/dim, len(queries)/dim
	if k > n {
		return fmt.Errorf("%w: k=%d with %d base vectors", ErrUsage, k, n)
	}
	scores := make([]float32, blockRows)
	exact := make([]int32, k)
	checked := min(spotChecks, nq)
	for c := range checked {
		qi := c * nq / checked
		q := queries[qi*dim : (qi+1)*dim]
		exactTopK(base, q, dim, k, m, scores, make(topK, 0, k)).sortedIDs(exact)
		row := gt[qi*gdim : qi*gdim+k]
		// The float32 kernels' rounding is relative to the distances for
		// L2, and to the unit vectors' norms for Cosine.
		scale := 1.0
		if m != Cosine {
			scale = 0
			for _, id := range exact {
				scale = max(scale, Distance(m, q, base[int(id)*dim:(int(id)+1)*dim]))
			}
		}
		tol := 1e-4*scale + 1e-9
		for j, id := range row {
			if id < 0 || int(id) >= n {
				return fmt.Errorf("%w: query %d, neighbour %d is row %d, outside the %d base vectors", ErrGroundTruth, qi, j+1, id, n)
			}
			got := Distance(m, q, base[int(id)*dim:(int(id)+1)*dim])
			want := Distance(m, q, base[int(exact[j])*dim:(int(exact[j])+1)*dim])
			if math.Abs(got-want) > tol {
				return fmt.Errorf("%w (metric %s?): query %d, neighbour %d is row %d at %g, but the exact neighbour %d is row %d at %g",
					ErrGroundTruth, m, qi, j+1, id, got, j+1, exact[j], want)
			}
		}
	}
	return nil
}
