package point

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
)

// SparseVector is Qdrant's SparseVector: the non-zero components of a
// vector as parallel lists of indices (u32, unique) and values. Indices
// need not be sorted on input; stored vectors are kept sorted by index
// (Sorted), as Qdrant sorts them.
type SparseVector struct {
	Indices []uint32
	Values  []float32
}

// Sparse-vector validation failures, in Qdrant's words.
var (
	// ErrSparseLength: indices and values differ in length.
	ErrSparseLength = errors.New("must be the same length as indices")
	// ErrSparseDuplicate: an index is given twice.
	ErrSparseDuplicate = errors.New("must be unique")
	// ErrSparseNonFinite: a value is NaN or infinite.
	ErrSparseNonFinite = errors.New("must be a finite number")
)

// Check validates v as Qdrant does: values as many as indices, indices
// unique, values finite. field is "values" or "indices", the list the
// error is about.
func (v SparseVector) Check() (field string, err error) {
	if len(v.Indices) != len(v.Values) {
		return "values", ErrSparseLength
	}
	for _, f := range v.Values {
		if f-f != 0 {
			return "values", ErrSparseNonFinite
		}
	}
	if !slices.IsSorted(v.Indices) {
		s := slices.Clone(v.Indices)
		slices.Sort(s)
		return checkUnique(s)
	}
	return checkUnique(v.Indices)
}

func checkUnique(sorted []uint32) (string, error) {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return "indices", ErrSparseDuplicate
		}
	}
	return "", nil
}

// Sorted returns a copy of v with its components in ascending index order.
func (v SparseVector) Sorted() SparseVector {
	out := SparseVector{Indices: slices.Clone(v.Indices), Values: slices.Clone(v.Values)}
	if out.Indices == nil {
		out.Indices, out.Values = []uint32{}, []float32{}
	}
	if slices.IsSorted(out.Indices) {
		return out
	}
	perm := make([]int, len(v.Indices))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int { return cmp.Compare(v.Indices[a], v.Indices[b]) })
	for i, p := range perm {
		out.Indices[i], out.Values[i] = v.Indices[p], v.Values[p]
	}
	return out
}

// SparseDot is the dot product of two sparse vectors sorted by index: the
// sum over the indices both have (Qdrant's sparse score). The products
// are summed in a's index order.
func SparseDot(a, b SparseVector) float32 {
	var s float32
	i, j := 0, 0
	for i < len(a.Indices) && j < len(b.Indices) {
		switch {
		case a.Indices[i] < b.Indices[j]:
			i++
		case a.Indices[i] > b.Indices[j]:
			j++
		default:
			s += a.Values[i] * b.Values[j]
			i++
			j++
		}
	}
	return s
}

// AppendJSON appends v as Qdrant writes it: {"indices":[...],"values":[...]}.
func (v SparseVector) AppendJSON(b []byte) []byte {
	b = append(b, `{"indices":[`...)
	for i, x := range v.Indices {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(x), 10)
	}
	b = append(b, `],"values":`...)
	b = AppendJSONFloats(b, v.Values)
	return append(b, '}')
}

// MarshalJSON writes v with AppendJSON.
func (v SparseVector) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(make([]byte, 0, 24+16*len(v.Indices))), nil
}
