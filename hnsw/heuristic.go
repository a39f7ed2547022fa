package hnsw

// heuristic is the neighbour-selection heuristic of the HNSW paper
// (Algorithm 4, without keepPrunedConnections, as hnswlib does): walking the
// candidates closest first, it keeps a candidate only if it is closer to the
// base node than to every candidate kept so far, up to limit. cands must be
// sorted closest first; self (the base node) is never kept. The kept items
// are appended to dst.
func (b *builder) heuristic(dst, cands []item, limit int, self uint32) []item {
	if len(cands) <= limit {
		for _, c := range cands {
			if c.id != self {
				dst = append(dst, c)
			}
		}
		return dst
	}
	k := b.g.kind
	for _, c := range cands {
		if len(dst) >= limit {
			break
		}
		if c.id == self {
			continue
		}
		cv := b.vec(c.id)
		good := true
		for _, r := range dst {
			var d float32
			if b.g.pair != nil {
				d = b.dist(c.id, r.id)
			} else {
				d = distance(k, cv, b.vec(r.id))
			}
			if d < c.d {
				good = false
				break
			}
		}
		if good {
			dst = append(dst, c)
		}
	}
	return dst
}
