package hnsw

import "math"

// insert links node i into the graph (Algorithm 1 of the HNSW paper).
func (b *builder) insert(w *worker, i uint32) {
	g := b.g
	level := int(b.levels[i])
	b.epMu.Lock()
	ep, maxL := g.entry, g.maxLevel
	if ep == noEntry {
		g.entry, g.maxLevel = i, level
		b.epMu.Unlock()
		return
	}
	// A node that raises the top level keeps the lock until it is linked,
	// as hnswlib does: this happens about log(n) times per build.
	hold := level > maxL
	if !hold {
		b.epMu.Unlock()
	}
	q := b.vec(i)
	cur, curD := ep, b.distQ(q, i, ep)
	for l := maxL; l > level; l-- {
		cur, curD = b.greedy(w, q, i, cur, curD, l)
	}
	for l := min(level, maxL); l >= 0; l-- {
		b.searchLayer(w, q, i, cur, curD, l)
		w.sorted = drainAscending(&w.top, w.sorted)
		cur, curD = w.sorted[0].id, w.sorted[0].d
		w.sel = b.heuristic(w.sel[:0], w.sorted, g.m, i)
		b.connect(w, i, l)
	}
	if hold {
		g.entry, g.maxLevel = i, level
		b.epMu.Unlock()
	}
}

// greedy moves from cur to ever closer neighbours on layer l.
func (b *builder) greedy(w *worker, q []float32, qi, cur uint32, curD float32, l int) (uint32, float32) {
	for changed := true; changed; {
		changed = false
		for _, nb := range b.copyLinks(w, cur, l) {
			if d := b.distQ(q, qi, nb); d < curD {
				cur, curD, changed = nb, d, true
			}
		}
	}
	return cur, curD
}

// searchLayer is the ef_construct beam search on layer l (Algorithm 2); the
// best nodes found are left in w.top. q is the vector of local node qi.
func (b *builder) searchLayer(w *worker, q []float32, qi, ep uint32, epd float32, l int) {
	w.vis.reset(b.g.n)
	marks, epoch := w.vis.marks, w.vis.epoch
	cand, top := &w.cand, &w.top
	cand.reset()
	top.reset()
	marks[ep] = epoch
	cand.push(epd, ep)
	top.push(epd, ep)
	ef, k, pair := b.efc, b.g.kind, b.g.pair != nil
	for len(cand.a) > 0 {
		c := cand.pop()
		if c.d > top.a[0].d && len(top.a) >= ef {
			break
		}
		ids := w.ids[:0]
		for _, nb := range b.copyLinks(w, c.id, l) {
			if marks[nb] != epoch {
				marks[nb] = epoch
				ids = append(ids, nb)
			}
		}
		w.ids = ids
		w.sink ^= b.touch(ids)
		for _, nb := range ids {
			var d float32
			if pair {
				d = b.distQ(q, qi, nb)
			} else {
				d = distance(k, q, b.vec(nb))
			}
			if len(top.a) < ef {
				cand.push(d, nb)
				top.push(d, nb)
			} else if d < top.a[0].d {
				cand.push(d, nb)
				top.replaceTop(d, nb)
			}
		}
	}
}

// touch starts the loads of the vectors of ids (see touch in search.go).
func (b *builder) touch(ids []uint32) uint32 {
	if b.g.vecs == nil {
		return 0
	}
	if b.ids == nil {
		return touch(b.g.vecs, ids, b.g.dim)
	}
	var t uint32
	for _, id := range ids {
		t ^= math.Float32bits(b.vec(id)[0])
	}
	return t
}

// drainAscending empties h into dst, closest first.
func drainAscending(h *maxHeap, dst []item) []item {
	n := h.len()
	if cap(dst) < n {
		dst = make([]item, n)
	}
	dst = dst[:n]
	for j := n - 1; j >= 0; j-- {
		dst[j] = h.pop()
	}
	return dst
}

// connect sets node i's links on layer l to w.sel and adds i to each
// selected neighbour, shrinking a full neighbour list with the heuristic.
func (b *builder) connect(w *worker, i uint32, l int) {
	g := b.g
	b.locks[i].Lock()
	s := b.slot(i, l)
	writeFarthestFirst(s, w.sel)
	b.locks[i].Unlock()
	limit := g.m
	if l == 0 {
		limit = g.m0
	}
	for _, it := range w.sel {
		nb := it.id
		b.locks[nb].Lock()
		s := b.slot(nb, l)
		cnt := int(s[0])
		if cnt < limit {
			s[1+cnt] = i
			s[0] = uint32(cnt + 1)
		} else {
			b.shrinkInto(w, nb, s, i, it.d, limit)
		}
		b.locks[nb].Unlock()
	}
}

// shrinkInto replaces the full list s of node nb by the heuristic's choice
// among its links and the new node i (at distance d). The caller holds nb's
// lock.
func (b *builder) shrinkInto(w *worker, nb uint32, s []uint32, i uint32, d float32, limit int) {
	cands := append(w.shrink[:0], item{d, i})
	v := b.vec(nb)
	for _, x := range s[1 : 1+int(s[0])] {
		cands = append(cands, item{b.distQ(v, nb, x), x})
	}
	sortItems(cands)
	w.shrink = cands
	w.shSel = b.heuristic(w.shSel[:0], cands, limit, nb)
	writeFarthestFirst(s, w.shSel)
}

// sortItems sorts a short slice by distance, then id (insertion sort: the
// lists hold at most 2·M+1 items).
func sortItems(a []item) {
	for i := 1; i < len(a); i++ {
		x := a[i]
		j := i
		for j > 0 && (a[j-1].d > x.d || (a[j-1].d == x.d && a[j-1].id > x.id)) {
			a[j] = a[j-1]
			j--
		}
		a[j] = x
	}
}

// writeFarthestFirst stores sel (closest first) as a link list, farthest
// first as hnswlib does: with a full result set, a search then admits the
// far neighbours before the near ones tighten its bound, which explores a
// little more per ef.
func writeFarthestFirst(s []uint32, sel []item) {
	n := len(sel)
	for j, it := range sel {
		s[n-j] = it.id
	}
	s[0] = uint32(n)
}
