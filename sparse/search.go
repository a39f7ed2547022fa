package sparse

import (
	"slices"
	"sync"

	"github.com/cairn-db/cairn/point"
)

// Accumulator sums the scores of a query over posting lists: a dense score
// array over the offsets with the list of offsets touched, so that a
// search costs the postings of the query's terms, not the segment's size.
// Reset clears only what the last search touched.
type Accumulator struct {
	score   []float32
	seen    []bool
	Touched []uint32 // offsets with at least one shared term, in first-touch order
}

var accPool sync.Pool

// GetAccumulator returns a cleared accumulator for n offsets.
func GetAccumulator(n int) *Accumulator {
	a, _ := accPool.Get().(*Accumulator)
	if a == nil {
		a = &Accumulator{}
	}
	if cap(a.score) < n {
		a.score, a.seen = make([]float32, n), make([]bool, n)
	}
	a.score, a.seen = a.score[:n], a.seen[:n]
	return a
}

// Put clears a and returns it to the pool.
func (a *Accumulator) Put() {
	for _, off := range a.Touched {
		a.score[off], a.seen[off] = 0, false
	}
	a.Touched = a.Touched[:0]
	accPool.Put(a)
}

// Add adds v to the score of off.
func (a *Accumulator) Add(off uint32, v float32) {
	if !a.seen[off] {
		a.seen[off] = true
		a.Touched = append(a.Touched, off)
	}
	a.score[off] += v
}

// Ordered returns the touched offsets in ascending order (so that among
// equal scores the lowest offset is met first, as in a scan), sorting
// them, or rebuilding them from the dense flags when most were touched.
func (a *Accumulator) Ordered() []uint32 {
	if len(a.Touched) > len(a.seen)/16 {
		a.Touched = a.Touched[:0]
		for off, ok := range a.seen {
			if ok {
				a.Touched = append(a.Touched, uint32(off))
			}
		}
		return a.Touched
	}
	slices.Sort(a.Touched)
	return a.Touched
}

// Score returns the accumulated score of off.
func (a *Accumulator) Score(off uint32) float32 { return a.score[off] }

// Accumulate adds, for every term of q (sorted, unique), q's value times
// each posting's value to the posting's offset: the dot product of q with
// every point sharing a term with it, summed in q's index order as
// point.SparseDot sums it.
func (ix *Index) Accumulate(q point.SparseVector, a *Accumulator) {
	for i, t := range q.Indices {
		offs, vals := ix.Postings(t)
		w := q.Values[i]
		for k, off := range offs {
			a.Add(off, w*vals[k])
		}
	}
}
