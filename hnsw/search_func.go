package hnsw

// SearchFunc is Search with the distance of each visited node given by
// dist (smaller is closer) instead of computed from the graph's float32
// vectors: a quantized copy of the vectors walks the same graph. It appends
// to out the k nodes closest by dist, closest first. accept, ef and the
// filtered traversal are as for Search; dist is called once per visited node.
func (g *Graph) SearchFunc(s *Searcher, dist func(i uint32) float32, k, ef int, accept func(i uint32) bool, out []Neighbor) []Neighbor {
	return g.SearchBatch(s, func(ids []uint32, ds []float32) {
		for j, id := range ids {
			ds[j] = dist(id)
		}
	}, k, ef, accept, out)
}

// SearchBatch is SearchFunc with the distances computed a list at a time:
// dists sets ds[j] (len(ds) == len(ids)) to the distance of node ids[j],
// for the whole unvisited neighbour list of each expanded node (and each
// upper-layer link list), so that a quantized kernel can score one query
// against many code rows, prefetching them together, with one call per
// list instead of one per node. dists must not keep ids or ds. The result
// is exactly SearchFunc's with dist(i) the distance dists gives i.
func (g *Graph) SearchBatch(s *Searcher, dists func(ids []uint32, ds []float32), k, ef int, accept func(i uint32) bool, out []Neighbor) []Neighbor {
	if k <= 0 || g.entry == noEntry {
		return out
	}
	ef = max(ef, k)
	if cap(s.ids) < g.stride {
		s.ids = make([]uint32, 0, g.stride)
	}
	ep, epd := g.descendBatch(s, dists)
	s.vis.reset(g.n)
	s.cand.reset()
	s.top.reset()
	g.searchLayer0Batch(s, dists, ep, epd, ef, accept)
	return collect(&s.top, k, out)
}

// descendBatch is descend on dists.
func (g *Graph) descendBatch(s *Searcher, dists func([]uint32, []float32)) (uint32, float32) {
	cur := g.entry
	one := append(s.ids[:0], cur)
	ds := s.distBuf(1)
	dists(one, ds)
	curD := ds[0]
	for l := g.maxLevel; l > 0; l-- {
		for changed := true; changed; {
			changed = false
			o := g.upperSlot(cur, l)
			links := g.upper[o+1 : o+1+int(g.upper[o])]
			ds := s.distBuf(len(links))
			dists(links, ds)
			for j, nb := range links {
				if d := ds[j]; d < curD {
					cur, curD, changed = nb, d, true
				}
			}
		}
	}
	return cur, curD
}

// searchLayer0Batch is the beam search of layer 0 on dists, following group
// links too when accept is set (as searchLayer0Filtered does).
func (g *Graph) searchLayer0Batch(s *Searcher, dists func([]uint32, []float32), ep uint32, epd float32, ef int, accept func(uint32) bool) {
	marks, epoch := s.vis.marks, s.vis.epoch
	cand, top := &s.cand, &s.top
	l0, stride, m0 := g.layer0, g.stride, g.m0
	marks[ep] = epoch
	cand.push(epd, ep)
	if accept == nil || accept(ep) {
		top.push(epd, ep)
	}
	for len(cand.a) > 0 {
		c := cand.pop()
		if len(top.a) >= ef && c.d > top.a[0].d {
			break
		}
		base := int(c.id) * stride
		w := l0[base]
		ids := unvisited(s.ids[:0], l0[base+1:base+1+int(w&0xffff)], marks, epoch)
		if accept != nil {
			ids = unvisited(ids, l0[base+1+m0:base+1+m0+int(w>>16)], marks, epoch)
		}
		if len(ids) == 0 {
			continue
		}
		ds := s.distBuf(len(ids))
		dists(ids, ds)
		for j, nb := range ids {
			d := ds[j]
			full := len(top.a) >= ef
			if full && d >= top.a[0].d {
				continue
			}
			cand.push(d, nb)
			if accept != nil && !accept(nb) {
				continue
			}
			if full {
				top.replaceTop(d, nb)
			} else {
				top.push(d, nb)
			}
		}
	}
}

// distBuf returns s.ds resliced to n, grown when needed.
func (s *Searcher) distBuf(n int) []float32 {
	if cap(s.ds) < n {
		s.ds = make([]float32, n, max(n, 64))
	}
	return s.ds[:n]
}
