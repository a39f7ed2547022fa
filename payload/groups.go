package payload

// Groups returns the sets of offsets sharing one value, for the extra HNSW
// links Qdrant builds per indexed payload value: one sorted list per
// keyword, uuid or bool value, or per integer value, with at least minSize
// members. Other index types (and indexes with enable_hnsw false) have no
// groups.
func (ix *Index) Groups(minSize int) [][]uint32 {
	if !ix.schema.EnableHNSWLinks() {
		return nil
	}
	minSize = max(minSize, 1)
	var out [][]uint32
	switch ix.typ {
	case TypeKeyword, TypeUUID, TypeBool:
		for i := 0; i < ix.terms(); i++ {
			if p := ix.posting(i); len(p) >= minSize {
				out = append(out, p)
			}
		}
	case TypeInteger:
		out = appendRuns(out, ix.iVals, ix.iOffs, minSize)
		out = appendRuns(out, ix.uVals, ix.uOffs, minSize)
	}
	return out
}

// appendRuns appends the offsets of each run of equal values (already in
// increasing offset order within a run).
func appendRuns[T int64 | uint64](out [][]uint32, vals []T, offs []uint32, minSize int) [][]uint32 {
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		if j-i >= minSize {
			out = append(out, offs[i:j:j])
		}
		i = j
	}
	return out
}
