package hnsw

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cairn-db/cairn/point"
)

// Build builds a graph over the n = len(vecs)/dim vectors laid out
// contiguously in vecs. Points for which include returns false (nil includes
// every point) are left out of the graph and are never returned by Search.
//
// groups lists sets of point offsets sharing a payload value. Each group of
// at least two included points and at most half of them gets a sub-graph of
// its own, whose layer-0 links are merged into the main graph as up to
// GroupM extra links per node, so that a filtered search accepting one group
// stays connected. Larger groups need no help: the main graph serves them.
//
// Points are inserted in offset order; with Threads 1 the result depends
// only on the inputs and Seed. Build stops early with ctx's error when ctx
// is cancelled. vecs must stay valid and unchanged for the graph's lifetime.
func Build(ctx context.Context, vecs []float32, dim int, dist point.Distance, include func(i uint32) bool, groups [][]uint32, p Params) (*Graph, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	k, err := kindOf(dist)
	if err != nil {
		return nil, err
	}
	if dim <= 0 || len(vecs)%dim != 0 || len(vecs)/dim >= int(noEntry) {
		return nil, fmt.Errorf("%w: %d floats of dimension %d", ErrParams, len(vecs), dim)
	}
	return build(ctx, len(vecs)/dim, include, groups, p, func(mx int) *Graph {
		return newGraph(len(vecs)/dim, dim, dist, k, p.M, mx, vecs)
	})
}

// BuildFunc is Build over n vectors that are not float32 (float16 or uint8
// components, for instance): pair(x, y) returns the "lower is closer"
// distance of the vectors at offsets x and y, as the graph's searches will
// measure it (the squared L2 distance for Euclid, the negated dot product for
// Cosine and Dot, L1 for Manhattan), and is called concurrently with
// Threads > 1. The graph has no float32 vectors: search it with SearchFunc
// only (Search panics). Files written from it open with OpenFunc.
func BuildFunc(ctx context.Context, n, dim int, dist point.Distance, pair func(x, y uint32) float32, include func(i uint32) bool, groups [][]uint32, p Params) (*Graph, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	k, err := kindOf(dist)
	if err != nil {
		return nil, err
	}
	if dim <= 0 || n < 0 || n >= int(noEntry) || pair == nil {
		return nil, fmt.Errorf("%w: %d vectors of dimension %d", ErrParams, n, dim)
	}
	return build(ctx, n, include, groups, p, func(mx int) *Graph {
		g := newGraph(n, dim, dist, k, p.M, mx, nil)
		g.pair = pair
		return g
	})
}

// build makes the graph over n points with mk (given the number of extra
// group links per node), inserts the included points and links the groups.
func build(ctx context.Context, n int, include func(i uint32) bool, groups [][]uint32, p Params, mk func(mx int) *Graph) (*Graph, error) {
	order := make([]uint32, 0, n)
	for i := range uint32(n) {
		if include == nil || include(i) {
			order = append(order, i)
		}
	}
	grs, err := usableGroups(groups, n, include, len(order))
	if err != nil {
		return nil, err
	}
	mx := 0
	if len(grs) > 0 {
		mx = p.GroupM
	}
	g := mk(mx)
	b := newBuilder(g, nil, p.EfConstruct)
	b.drawLevels(order, p.Seed)
	if err := b.run(ctx, order, p.Threads); err != nil {
		return nil, fmt.Errorf("build hnsw graph: %w", err)
	}
	if err := g.addGroupLinks(ctx, grs, p); err != nil {
		return nil, fmt.Errorf("build hnsw group links: %w", err)
	}
	return g, nil
}

// normalize fills defaults and validates p.
func (p Params) normalize() (Params, error) {
	if p.M == 0 {
		p.M = 16
	}
	if p.EfConstruct == 0 {
		p.EfConstruct = 100
	}
	if p.Threads <= 0 {
		p.Threads = runtime.GOMAXPROCS(0)
	}
	if p.GroupM == 0 {
		p.GroupM = p.M
	}
	p.GroupM = max(p.GroupM, 0)
	if p.M < 1 || p.M > maxM || p.EfConstruct < 1 || p.GroupM > 2*maxM {
		return p, fmt.Errorf("%w: m=%d ef_construct=%d group_m=%d", ErrParams, p.M, p.EfConstruct, p.GroupM)
	}
	p.EfConstruct = max(p.EfConstruct, p.M)
	return p, nil
}

func newGraph(n, dim int, dist point.Distance, k kind, m, mx int, vecs []float32) *Graph {
	g := &Graph{n: n, dim: dim, dist: dist, kind: k, m: m, m0: 2 * m, mx: mx,
		entry: noEntry, vecs: vecs}
	g.stride = 1 + g.m0 + g.mx
	g.layer0 = make([]uint32, n*g.stride)
	g.upperOff = make([]uint32, n)
	for i := range g.upperOff {
		g.upperOff[i] = noEntry
	}
	return g
}

// builder inserts nodes into a graph. Node numbers are local: ids maps them
// to vector offsets (nil for the identity), so that a group's sub-graph can
// be built over a subset of the vectors.
type builder struct {
	g     *Graph
	ids   []uint32
	efc   int
	locks []sync.Mutex
	// levels[i] is node i's top layer.
	levels []uint8
	// epMu guards g.entry and g.maxLevel.
	epMu sync.Mutex
}

func newBuilder(g *Graph, ids []uint32, efc int) *builder {
	return &builder{g: g, ids: ids, efc: efc, locks: make([]sync.Mutex, g.n), levels: make([]uint8, g.n)}
}

// worker is one inserting goroutine's scratch space.
type worker struct {
	vis    visited
	cand   minHeap
	top    maxHeap
	sorted []item
	sel    []item
	shrink []item
	shSel  []item
	buf    []uint32
	ids    []uint32
	sink   uint32
}

// drawLevels draws each node's level in insertion order (so that the levels
// do not depend on the number of threads) and lays out the upper layers.
func (b *builder) drawLevels(order []uint32, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	// As Qdrant does, m = 1 (one link per node on the upper layers, two
	// on layer 0) draws levels as m = 2 would: ln(1) = 0 has no factor.
	mult := 1 / math.Log(float64(max(b.g.m, 2)))
	g := b.g
	total := 0
	for _, i := range order {
		l := int(-math.Log(1-rng.Float64()) * mult)
		l = min(l, maxLevelCap)
		b.levels[i] = uint8(l)
		if l > 0 {
			total += 1 + l*(1+g.m)
		}
	}
	g.upper = make([]uint32, 0, total)
	for _, i := range order {
		if l := int(b.levels[i]); l > 0 {
			g.upperOff[i] = uint32(len(g.upper))
			g.upper = append(g.upper, uint32(l))
			g.upper = append(g.upper, make([]uint32, l*(1+g.m))...)
		}
	}
}

// run inserts the nodes of order, the first one alone, the rest by threads
// goroutines taking nodes in order.
func (b *builder) run(ctx context.Context, order []uint32, threads int) error {
	if len(order) == 0 {
		return nil
	}
	w0 := &worker{}
	b.insert(w0, order[0])
	if threads <= 1 {
		for i, node := range order[1:] {
			if i%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			b.insert(w0, node)
		}
		return nil
	}
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			w := &worker{}
			for {
				i := next.Add(1) - 1
				if i >= int64(len(order)) || (i%256 == 0 && ctx.Err() != nil) {
					return
				}
				b.insert(w, order[i])
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// vec returns the vector of local node i (nil in a graph built by
// BuildFunc).
func (b *builder) vec(i uint32) []float32 {
	if b.g.vecs == nil {
		return nil
	}
	if b.ids != nil {
		i = b.ids[i]
	}
	dim := b.g.dim
	off := int(i) * dim
	return b.g.vecs[off : off+dim : off+dim]
}

func (b *builder) dist(x, y uint32) float32 {
	if b.g.pair != nil {
		return b.g.pair(b.off(x), b.off(y))
	}
	return distance(b.g.kind, b.vec(x), b.vec(y))
}

// distQ is the distance of local node nb from the query q, the vector of
// local node qi (q is nil in a graph built by BuildFunc).
func (b *builder) distQ(q []float32, qi, nb uint32) float32 {
	if b.g.pair != nil {
		return b.g.pair(b.off(qi), b.off(nb))
	}
	return distance(b.g.kind, q, b.vec(nb))
}

// off returns the vector offset of local node i.
func (b *builder) off(i uint32) uint32 {
	if b.ids != nil {
		return b.ids[i]
	}
	return i
}

// slot returns node's count word and links on layer l.
func (b *builder) slot(node uint32, l int) []uint32 {
	g := b.g
	if l == 0 {
		o := int(node) * g.stride
		return g.layer0[o : o+1+g.m0]
	}
	o := g.upperSlot(node, l)
	return g.upper[o : o+1+g.m]
}

// copyLinks copies node's links on layer l into w.buf under the node's lock.
func (b *builder) copyLinks(w *worker, node uint32, l int) []uint32 {
	b.locks[node].Lock()
	s := b.slot(node, l)
	w.buf = append(w.buf[:0], s[1:1+int(s[0]&0xffff)]...)
	b.locks[node].Unlock()
	return w.buf
}
