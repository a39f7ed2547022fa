package engine

import (
	"math"
	"sort"
	"unicode/utf8"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/sparse"
)

// Modifier values of a sparse vector (Qdrant's Modifier).
const (
	// ModifierNone leaves query values as they are.
	ModifierNone = "none"
	// ModifierIDF multiplies each query value by its index's inverse
	// document frequency in the collection (idfWeight).
	ModifierIDF = "idf"
)

// SparseIndexParams is Qdrant's SparseIndexParams. Every field is kept as
// given (nil: not set) and reported back as Qdrant reports it; datatype
// other than float32 and memory are refused by CheckCreateCollection.
type SparseIndexParams struct {
	// FullScanThreshold is kept and reported: Cairn's inverted index is
	// exact and always costs only the query terms' postings, so there is
	// no plain scan to switch to (docs/settings.md).
	FullScanThreshold *int `json:"full_scan_threshold,omitempty"`
	// OnDisk is kept and reported: sealed inverted indexes are always
	// memory-mapped files.
	OnDisk *bool `json:"on_disk,omitempty"`
}

// SparseVectorParams is Qdrant's SparseVectorParams.
type SparseVectorParams struct {
	Index *SparseIndexParams `json:"index,omitempty"`
	// Modifier is nil, ModifierNone or ModifierIDF.
	Modifier *string `json:"modifier,omitempty"`
}

// idf reports whether query values are weighted by IDF.
func (p SparseVectorParams) idf() bool { return p.Modifier != nil && *p.Modifier == ModifierIDF }

// SparseVectorsConfig maps sparse vector names to their parameters.
type SparseVectorsConfig map[string]SparseVectorParams

// Names returns the sparse vector names in sorted order.
func (sc SparseVectorsConfig) Names() []string {
	names := make([]string, 0, len(sc))
	for n := range sc {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (sc SparseVectorsConfig) clone() SparseVectorsConfig {
	out := make(SparseVectorsConfig, len(sc))
	for n, p := range sc {
		if p.Index != nil {
			ix := *p.Index
			p.Index = &ix
		}
		out[n] = p
	}
	return out
}

// applySparse merges Qdrant's update of sparse vectors: each named vector
// must exist; its index fields and modifier that are set replace the old
// ones (Qdrant's SparseVectorParams diff).
func (c *CollectionConfig) applySparse(u SparseVectorsConfig) error {
	if len(u) == 0 {
		return nil
	}
	sc := c.Params.SparseVectors.clone()
	for _, name := range u.Names() {
		d := u[name]
		p, ok := sc[name]
		if !ok {
			return errBadRequest("Not existing vector name error: %s", name)
		}
		if d.Index != nil {
			ix := SparseIndexParams{}
			if p.Index != nil {
				ix = *p.Index
			}
			if d.Index.FullScanThreshold != nil {
				ix.FullScanThreshold = d.Index.FullScanThreshold
			}
			if d.Index.OnDisk != nil {
				ix.OnDisk = d.Index.OnDisk
			}
			p.Index = &ix
		}
		if d.Modifier != nil {
			p.Modifier = d.Modifier
		}
		sc[name] = p
	}
	c.Params.SparseVectors = sc
	return nil
}

// validateSparse checks the sparse vectors of a configuration: valid
// names not used by a dense vector, a known modifier and datatype.
func (c *CollectionConfig) validateSparse() error {
	for _, name := range c.Params.SparseVectors.Names() {
		p := c.Params.SparseVectors[name]
		field := "sparse_vectors." + name
		switch {
		case !utf8.ValidString(name):
			return errInvalid("sparse_vectors", "vector name %q is not valid UTF-8", name)
		case name == "":
			return errInvalid("sparse_vectors", "a sparse vector must be named")
		case len(name) > sparse.MaxNameLen:
			return errInvalid("sparse_vectors", "vector name of %d bytes, at most %d", len(name), sparse.MaxNameLen)
		}
		if _, dense := c.Params.Vectors[name]; dense {
			return errBadRequest("vector name %s is used by both a dense and a sparse vector", vectorLabel(name))
		}
		if m := p.Modifier; m != nil && *m != ModifierNone && *m != ModifierIDF {
			return errBadRequestText("Format error in JSON body: %s.modifier: unknown variant `%s`, expected `none` or `idf`", field, *m)
		}
		if ix := p.Index; ix != nil {
			if t := ix.FullScanThreshold; t != nil && (*t < 0 || *t > MaxSizeKB) {
				return errInvalid(field+".index.full_scan_threshold", "value %d invalid, must be from 0 to %d", *t, MaxSizeKB)
			}
		}
	}
	return nil
}

// prepareSparse validates a point's sparse vector as Qdrant does (point
// index i of the request, for the error's path) and returns a sorted copy.
func prepareSparse(i int, v point.SparseVector) (point.SparseVector, error) {
	if field, err := v.Check(); err != nil {
		return point.SparseVector{}, sparseError(i, field, err)
	}
	return v.Sorted(), nil
}

// sparseError is Qdrant's answer to an invalid sparse vector of the i-th
// point of a request: "Validation error in JSON body: [points[0].vector.?.
// values: Validation error: must be the same length as indices [{}]]".
func sparseError(i int, field string, err error) error {
	return errBadRequestText("Validation error in JSON body: [points[%d].vector.?.%s: Validation error: %v [{}]]", i, field, err)
}

// idfWeight is Qdrant's inverse document frequency of a sparse index held
// by df of n points, as Qdrant documents its IDF modifier
// (documentation/concepts/indexing.md, "IDF Modifier", and
// lib/segment/src/index/sparse_index: idf = ln((N - n + 0.5) / (n + 0.5) + 1)),
// computed in float32 as Qdrant computes it.
func idfWeight(df, n int) float32 {
	nf, d := float32(n), float32(df)
	return float32(math.Log(float64((nf-d+0.5)/(d+0.5) + 1)))
}
