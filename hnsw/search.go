package hnsw

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/cairn-db/cairn/simd"
)

// Searcher holds the scratch space of one search at a time: the visited set
// and the two heaps. Reusing a Searcher makes a query allocate nothing once
// its buffers have grown. A Searcher is not safe for concurrent use; keep one
// per goroutine (or in a sync.Pool). One Searcher may serve several graphs.
type Searcher struct {
	vis  visited
	cand minHeap
	top  maxHeap
	ids  []uint32  // unvisited neighbours of the node being expanded
	ds   []float32 // SearchBatch: the distances of ids
	sink uint32    // keeps touch's loads alive
}

// NewSearcher returns an empty Searcher.
func NewSearcher() *Searcher { return &Searcher{} }

// Search appends to out the k points of the graph closest to q, closest
// first, and returns the extended slice. ef (raised to k if smaller) is the
// size of the dynamic candidate list: larger is slower and more accurate.
//
// When accept is non-nil (it is called once per visited node), rejected
// nodes are still traversed, following base and payload-group links, but
// only accepted points are returned: the search goes on until ef accepted
// points are found or the reachable graph is exhausted, so it yields k
// results whenever k accepted points are reachable. Its cost grows like
// ef / selectivity; very selective filters are better served by an exact
// scan. q must hold Dim() floats (unit length for Cosine); Search panics
// otherwise. A closed graph returns out unchanged.
func (g *Graph) Search(s *Searcher, q []float32, k, ef int, accept func(i uint32) bool, out []Neighbor) []Neighbor {
	if len(q) != g.dim {
		panic(fmt.Sprintf("hnsw: query has %d dimensions, graph %d", len(q), g.dim))
	}
	if k <= 0 || g.entry == noEntry {
		return out
	}
	if g.vecs == nil {
		panic("hnsw: Search on a graph without float32 vectors (BuildFunc, OpenFunc): use SearchFunc")
	}
	ef = max(ef, k)
	ep, epd, sink := g.descend(q)
	s.sink ^= sink
	s.vis.reset(g.n)
	s.cand.reset()
	s.top.reset()
	if accept == nil {
		g.searchLayer0(s, q, ep, epd, ef)
	} else {
		g.searchLayer0Filtered(s, q, ep, epd, ef, accept)
	}
	return collect(&s.top, k, out)
}

// descend walks the upper layers greedily from the entry point and returns
// the closest node found on layer 1 (the entry point of layer 0), its
// distance, and touch's sink.
func (g *Graph) descend(q []float32) (uint32, float32, uint32) {
	var sink uint32
	cur := g.entry
	curD := distance(g.kind, q, g.vec(cur))
	for l := g.maxLevel; l > 0; l-- {
		for changed := true; changed; {
			changed = false
			o := g.upperSlot(cur, l)
			links := g.upper[o+1 : o+1+int(g.upper[o])]
			sink ^= touch(g.vecs, links, g.dim)
			for _, nb := range links {
				if d := distance(g.kind, q, g.vec(nb)); d < curD {
					cur, curD, changed = nb, d, true
				}
			}
		}
	}
	return cur, curD, sink
}

// vec returns the vector of node i.
func (g *Graph) vec(i uint32) []float32 {
	off := int(i) * g.dim
	return g.vecs[off : off+g.dim : off+g.dim]
}

// searchLayer0 is the unfiltered beam search over the base links of layer 0.
// It leaves the ef closest nodes in s.top.
func (g *Graph) searchLayer0(s *Searcher, q []float32, ep uint32, epd float32, ef int) {
	marks, epoch := s.vis.marks, s.vis.epoch
	cand, top := &s.cand, &s.top
	l0, stride, vecs, dim, k := g.layer0, g.stride, g.vecs, g.dim, g.kind
	if cap(s.ids) < stride {
		s.ids = make([]uint32, 0, stride)
	}
	marks[ep] = epoch
	cand.push(epd, ep)
	top.push(epd, ep)
	vp := unsafe.Pointer(unsafe.SliceData(vecs))
	for len(cand.a) > 0 {
		c := cand.pop()
		if c.d > top.a[0].d && len(top.a) >= ef {
			break
		}
		if len(cand.a) > 0 {
			// Start loading the links of the likely next node to expand.
			simd.Prefetch(unsafe.Pointer(&l0[int(cand.a[0].id)*stride]))
		}
		base := int(c.id) * stride
		cnt := int(l0[base] & 0xffff)
		links := l0[base+1 : base+1+cnt]
		ids := unvisited(s.ids[:0], links, marks, epoch)
		prefetchVecs(vp, ids, dim)
		for _, nb := range ids {
			off := int(nb) * dim
			v := vecs[off : off+dim : off+dim]
			var d float32
			switch k {
			case kindL2:
				d = simd.L2Squared(q, v)
			case kindNegDot:
				d = -simd.Dot(q, v)
			default:
				d = simd.L1(q, v)
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

// prefetchVecs prefetches the first line of the vector of each id, given
// the base address of the vectors, so that their cache misses overlap.
// Prefetching never faults, so no bounds check is needed.
func prefetchVecs(vecs unsafe.Pointer, ids []uint32, dim int) {
	for _, nb := range ids {
		simd.Prefetch(unsafe.Add(vecs, uintptr(nb)*uintptr(dim)*4))
	}
}

// touch loads the first word of the vector of each id, so that their cache
// and TLB misses overlap instead of stalling the distance kernel one vector
// at a time (searchLayer0 uses simd.Prefetch instead, which measured
// faster there). The hardware prefetcher streams the rest of each vector once
// the kernel starts on it. The xor of the bits is returned so that the
// loads are not dropped.
func touch(vecs []float32, ids []uint32, dim int) uint32 {
	var t uint32
	for _, nb := range ids {
		t ^= math.Float32bits(vecs[int(nb)*dim])
	}
	return t
}

// searchLayer0Filtered is the beam search with a filter: it follows base and
// group links of every node but keeps only accepted nodes in s.top.
func (g *Graph) searchLayer0Filtered(s *Searcher, q []float32, ep uint32, epd float32, ef int, accept func(uint32) bool) {
	marks, epoch := s.vis.marks, s.vis.epoch
	cand, top := &s.cand, &s.top
	l0, stride, m0, vecs, dim := g.layer0, g.stride, g.m0, g.vecs, g.dim
	if cap(s.ids) < stride {
		s.ids = make([]uint32, 0, stride)
	}
	marks[ep] = epoch
	cand.push(epd, ep)
	if accept(ep) {
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
		ids = unvisited(ids, l0[base+1+m0:base+1+m0+int(w>>16)], marks, epoch)
		s.sink ^= touch(vecs, ids, dim)
		for _, nb := range ids {
			off := int(nb) * dim
			d := distance(g.kind, q, vecs[off:off+dim:off+dim])
			full := len(top.a) >= ef
			if full && d >= top.a[0].d {
				continue
			}
			cand.push(d, nb)
			if !accept(nb) {
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

// unvisited marks the unvisited nodes of links visited and appends them to ids.
func unvisited(ids, links []uint32, marks []uint16, epoch uint16) []uint32 {
	for _, nb := range links {
		if marks[nb] != epoch {
			marks[nb] = epoch
			ids = append(ids, nb)
		}
	}
	return ids
}

// collect moves the k closest items of top into out, closest first.
func collect(top *maxHeap, k int, out []Neighbor) []Neighbor {
	for top.len() > k {
		top.pop()
	}
	n := top.len()
	start := len(out)
	out = slices.Grow(out, n)[:start+n]
	for i := n - 1; i >= 0; i-- {
		it := top.pop()
		out[start+i] = Neighbor{ID: it.id, Dist: it.d}
	}
	return out
}
