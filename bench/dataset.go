package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/cairn-db/cairn/simd"
)

// Metric is the similarity a data set is made and searched for.
type Metric string

// The metrics the generator and the ground truth support. Cosine data is
// normalised to unit length, so its nearest neighbours are those with the
// largest dot product.
const (
	L2     Metric = "l2"
	Cosine Metric = "cosine"
)

// ParseMetric accepts "l2" (or "euclid") and "cosine" (or "angular").
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "l2", "euclid", "Euclid", "euclidean":
		return L2, nil
	case "cosine", "Cosine", "angular":
		return Cosine, nil
	}
	return "", fmt.Errorf("%w: metric %q (want l2 or cosine)", ErrUsage, s)
}

// QdrantDistance is the metric's name in Qdrant's collection config.
func (m Metric) QdrantDistance() string {
	if m == Cosine {
		return "Cosine"
	}
	return "Euclid"
}

// GenOptions describes a synthetic clustered data set.
type GenOptions struct {
	N, Queries, Dim int
	Clusters        int    // gaussian clusters in the mixture (default 100)
	Seed            uint64 // same seed, same options → same bytes
	Metric          Metric
}

func (o GenOptions) withDefaults() GenOptions {
	if o.Clusters <= 0 {
		o.Clusters = 100
	}
	if o.Metric == "" {
		o.Metric = L2
	}
	return o
}

// Generate returns n base vectors and the query vectors, row after row, drawn
// from the same mixture as ../shared/bench/gen_dataset.py: cluster centres
// from N(0, 1); cluster weights from a Dirichlet(2, …, 2); in each cluster,
// gaussian noise with the power-law spectrum 2.5·i^-½ times a per-cluster
// scale from U(0.7, 1.3), turned by the cluster's own Haar-random rotation
// (modified Gram–Schmidt QR of a gaussian matrix, whose R has a positive
// diagonal: numpy's sign-corrected QR). Cosine sets are normalised.
//
// The vectors are not byte-identical with the Python ones: the random
// streams differ (PCG from math/rand/v2, one stream for the mixture's
// parameters and the labels and one per cluster for its rotation and its
// points, so the output does not depend on the number of cores), and the
// noise is turned by the transpose of the rotation, which is as Haar-random
// as the rotation itself. The distribution, and so the difficulty of the
// set, is the same.
func Generate(o GenOptions) (base, queries []float32, err error) {
	o = o.withDefaults()
	if o.N < 1 || o.Dim < 1 || o.Queries < 0 || o.Dim > 65536 {
		return nil, nil, fmt.Errorf("%w: generate n=%d dim=%d queries=%d", ErrUsage, o.N, o.Dim, o.Queries)
	}
	mix := newMixture(o)
	base = make([]float32, o.N*o.Dim)
	queries = make([]float32, o.Queries*o.Dim)
	baseRows := mix.assign(o.N)
	queryRows := mix.assign(o.Queries)
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				mix.fillCluster(c, base, baseRows[c], queries, queryRows[c])
			}
		}()
	}
	for c := range o.Clusters {
		work <- c
	}
	close(work)
	wg.Wait()
	if o.Metric == Cosine {
		normalizeAll(base, o.Dim)
		normalizeAll(queries, o.Dim)
	}
	return base, queries, nil
}

// mixture holds the parameters shared by every cluster.
type mixture struct {
	o        GenOptions
	rng      *rand.Rand
	centers  []float32
	cum      []float64 // cumulative cluster weights
	scales   []float64
	spectrum []float64
}

func newMixture(o GenOptions) *mixture {
	m := &mixture{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x6d6978))}
	m.centers = make([]float32, o.Clusters*o.Dim)
	for i := range m.centers {
		m.centers[i] = float32(m.rng.NormFloat64())
	}
	total := 0.0
	m.cum = make([]float64, o.Clusters)
	for c := range m.cum {
		// Gamma(2, 1) is the sum of two Exp(1): Dirichlet(2) after normalising.
		total += m.rng.ExpFloat64() + m.rng.ExpFloat64()
		m.cum[c] = total
	}
	for c := range m.cum {
		m.cum[c] /= total
	}
	m.scales = make([]float64, o.Clusters)
	for c := range m.scales {
		m.scales[c] = 0.7 + 0.6*m.rng.Float64()
	}
	m.spectrum = make([]float64, o.Dim)
	for i := range m.spectrum {
		m.spectrum[i] = 2.5 / math.Sqrt(float64(i+1))
	}
	return m
}

// assign draws a cluster for each of n rows and returns each cluster's rows.
func (m *mixture) assign(n int) [][]int {
	rows := make([][]int, m.o.Clusters)
	for i := range n {
		c := sort.SearchFloat64s(m.cum, m.rng.Float64())
		c = min(c, m.o.Clusters-1)
		rows[c] = append(rows[c], i)
	}
	return rows
}

// fillCluster writes the rows of cluster c into base and queries, from the
// cluster's own random stream.
func (m *mixture) fillCluster(c int, base []float32, baseRows []int, queries []float32, queryRows []int) {
	if len(baseRows)+len(queryRows) == 0 {
		return
	}
	dim := m.o.Dim
	rng := rand.New(rand.NewPCG(m.o.Seed, uint64(c)+1))
	rot := randomRotation(rng, dim)
	center := m.centers[c*dim : (c+1)*dim]
	z := make([]float32, dim)
	sample := func(dst []float32) {
		for i := range z {
			z[i] = float32(rng.NormFloat64() * m.spectrum[i] * m.scales[c])
		}
		for i := range dst {
			dst[i] = center[i] + simd.Dot(rot[i*dim:(i+1)*dim], z)
		}
	}
	for _, r := range baseRows {
		sample(base[r*dim : (r+1)*dim])
	}
	for _, r := range queryRows {
		sample(queries[r*dim : (r+1)*dim])
	}
}

// randomRotation returns a Haar-random orthogonal dim×dim matrix whose rows
// are the Q columns of a modified Gram–Schmidt QR of a gaussian matrix.
func randomRotation(rng *rand.Rand, dim int) []float32 {
	q := make([]float64, dim*dim)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for j := range dim {
		v := q[j*dim : (j+1)*dim]
		for i := range j {
			u := q[i*dim : (i+1)*dim]
			d := dot64(u, v)
			for t := range v {
				v[t] -= d * u[t]
			}
		}
		n := math.Sqrt(dot64(v, v))
		if n == 0 { // probability zero; keep the matrix orthogonal anyway
			n, v[j] = 1, 1
		}
		for t := range v {
			v[t] /= n
		}
	}
	out := make([]float32, len(q))
	for i, x := range q {
		out[i] = float32(x)
	}
	return out
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func normalizeAll(v []float32, dim int) {
	for i := 0; i+dim <= len(v); i += dim {
		simd.Normalize(v[i : i+dim])
	}
}

// WriteFvecs writes rows of dim float32 values as a TEXMEX .fvecs file.
func WriteFvecs(path string, data []float32, dim int) error {
	return writeVecs(path, len(data), dim, func(i int) uint32 { return math.Float32bits(data[i]) })
}

// WriteIvecs writes rows of dim int32 values as a TEXMEX .ivecs file.
func WriteIvecs(path string, data []int32, dim int) error {
	return writeVecs(path, len(data), dim, func(i int) uint32 { return uint32(data[i]) })
}

// writeVecs writes a TEXMEX file through a temporary file that is synced and
// renamed into place, so a reader never sees half a file.
func writeVecs(path string, n, dim int, at func(i int) uint32) (err error) {
	if dim < 1 || n%dim != 0 {
		return fmt.Errorf("%w: %d values do not make rows of %d", ErrUsage, n, dim)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	var b [4]byte
	for i := range n {
		if i%dim == 0 {
			binary.LittleEndian.PutUint32(b[:], uint32(dim))
			w.Write(b[:])
		}
		binary.LittleEndian.PutUint32(b[:], at(i))
		w.Write(b[:])
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// GenerateDataset generates a data set into dir (created if needed):
// base.fvecs, query.fvecs, and groundtruth.ivecs with the exact top-k
// neighbours of each query (and its sidecar, see EnsureGroundTruth).
func GenerateDataset(dir string, o GenOptions, k int) error {
	return generateDataset(dir, o, k, nil, false)
}

// generateDataset is GenerateDataset showing the ground truth's progress on log.
func generateDataset(dir string, o GenOptions, k int, log io.Writer, tty bool) error {
	o = o.withDefaults()
	base, queries, err := Generate(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("generate dataset: %w", err)
	}
	if err := WriteFvecs(filepath.Join(dir, BaseFile), base, o.Dim); err != nil {
		return err
	}
	if err := WriteFvecs(filepath.Join(dir, QueryFile), queries, o.Dim); err != nil {
		return err
	}
	if o.Queries == 0 {
		return nil
	}
	_, _, err = ensureGroundTruth(dir, base, queries, o.Dim, k, o.Metric, log, tty)
	return err
}

// The file names of a data set folder, as gen_dataset.py writes them.
const (
	BaseFile        = "base.fvecs"
	QueryFile       = "query.fvecs"
	GroundTruthFile = "groundtruth.ivecs"
)
