package bench

// Dataset is a benchmark's data in memory: base vectors, queries, and the
// exact top-GDim neighbours of each query. Cosine data is normalised.
type Dataset struct {
	Files   DataFiles // the files it was read from; Files.Dir holds the cache
	Metric  Metric
	Dim     int
	Base    []float32
	Queries []float32
	GT      []int32
	GDim    int
	// GTSupplied says GT came from Files.GroundTruth (spot-checked), not
	// from Cairn's own computation.
	GTSupplied bool
}

// N is the number of base vectors.
func (d *Dataset) N() int { return len(d.Base) / d.Dim }

// NQ is the number of queries.
func (d *Dataset) NQ() int { return len(d.Queries) / d.Dim }

// Query returns query i.
func (d *Dataset) Query(i int) []float32 { return d.Queries[i*d.Dim : (i+1)*d.Dim] }

// LoadDataset reads the data set in dir with the TEXMEX readers (file
// names as FindDataFiles finds them: base.fvecs, sift_base.fvecs,
// bigann_base.bvecs…), normalises it for Cosine, and gets the top-k ground
// truth from a supplied file (spot-checked), the cache beside the data, or
// the exact computation (see LoadDataFiles).
func LoadDataset(dir string, m Metric, k int) (*Dataset, error) {
	return loadDataFiles(DataFiles{Dir: dir}, m, k, nil, false)
}
