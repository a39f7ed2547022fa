package hnsw

// SearchFunc is Search with the distance of each visited node given by
// dist (smaller is closer) instead of computed from the graph's float32
// vectors: a quantized copy of the vectors walks the same graph. It appends
// to out the k nodes closest by dist, closest first. accept, ef and the
// filtered traversal are as for Search; dist is called once per visited node.
func (g *Graph) SearchFunc(s *Searcher, dist func(i uint32) float32, k, ef int, accept func(i uint32) bool, out []Neighbor) []Neighbor {
	if k <= 0 || g.entry == noEntry {
		return out
	}
	ef = max(ef, k)
	ep, epd := g.descendFunc(dist)
	s.vis.reset(g.n)
	s.cand.reset()
	s.top.reset()
	g.searchLayer0Func(s, dist, ep, epd, ef, accept)
	return collect(&s.top, k, out)
}

// descendFunc is descend on dist.
func (g *Graph) descendFunc(dist func(uint32) float32) (uint32, float32) {
	cur := g.entry
	curD := dist(cur)
	for l := g.maxLevel; l > 0; l-- {
		for changed := true; changed; {
			changed = false
			o := g.upperSlot(cur, l)
			for _, nb := range g.upper[o+1 : o+1+int(g.upper[o])] {
				if d := dist(nb); d < curD {
					cur, curD, changed = nb, d, true
				}
			}
		}
	}
	return cur, curD
}

// searchLayer0Func is the beam search of layer 0 on dist, following group
// links too when accept is set (as searchLayer0Filtered does).
func (g *Graph) searchLayer0Func(s *Searcher, dist func(uint32) float32, ep uint32, epd float32, ef int, accept func(uint32) bool) {
	marks, epoch := s.vis.marks, s.vis.epoch
	cand, top := &s.cand, &s.top
	l0, stride, m0 := g.layer0, g.stride, g.m0
	if cap(s.ids) < stride {
		s.ids = make([]uint32, 0, stride)
	}
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
		for _, nb := range ids {
			d := dist(nb)
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
