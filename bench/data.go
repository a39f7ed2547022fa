package bench

import (
	"fmt"
	"io"
	"path/filepath"
)

// Dataset is a benchmark's data in memory: base vectors, queries, and the
// exact top-GDim neighbours of each query. Cosine data is normalised.
type Dataset struct {
	Dir     string
	Metric  Metric
	Dim     int
	Base    []float32
	Queries []float32
	GT      []int32
	GDim    int
}

// N is the number of base vectors.
func (d *Dataset) N() int { return len(d.Base) / d.Dim }

// NQ is the number of queries.
func (d *Dataset) NQ() int { return len(d.Queries) / d.Dim }

// Query returns query i.
func (d *Dataset) Query(i int) []float32 { return d.Queries[i*d.Dim : (i+1)*d.Dim] }

// LoadDataset reads dir's base.fvecs and query.fvecs with the TEXMEX
// readers, normalises them for Cosine, and gets the top-k ground truth from
// the cache beside them or computes it (EnsureGroundTruth).
func LoadDataset(dir string, m Metric, k int) (*Dataset, error) {
	return loadDataset(dir, m, k, nil, false)
}

// loadDataset is LoadDataset showing the ground truth's progress on log.
func loadDataset(dir string, m Metric, k int, log io.Writer, tty bool) (*Dataset, error) {
	base, dim, err := ReadFvecs(filepath.Join(dir, BaseFile))
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	queries, qdim, err := ReadFvecs(filepath.Join(dir, QueryFile))
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	if dim == 0 || qdim != dim {
		return nil, fmt.Errorf("load dataset %s: %w: base dim %d, query dim %d", dir, ErrMismatch, dim, qdim)
	}
	if m == Cosine {
		normalizeAll(base, dim)
		normalizeAll(queries, dim)
	}
	gt, _, err := ensureGroundTruth(dir, base, queries, dim, k, m, log, tty)
	if err != nil {
		return nil, err
	}
	return &Dataset{Dir: dir, Metric: m, Dim: dim, Base: base, Queries: queries, GT: gt, GDim: k}, nil
}
