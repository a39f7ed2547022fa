package hnsw

import (
	"fmt"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
	mmap "github.com/edsrzf/mmap-go"
)

// Params are the build parameters of a graph.
type Params struct {
	// M is the number of links a node keeps on the upper layers; layer 0
	// keeps up to 2·M. Zero means 16.
	M int
	// EfConstruct is the size of the candidate list while inserting. Zero
	// means 100.
	EfConstruct int
	// Seed seeds the level generator. A given seed and insertion order give
	// the same graph, byte for byte, when Threads is 1.
	Seed int64
	// Threads is the number of goroutines inserting points; 0 means one per
	// available CPU (GOMAXPROCS).
	Threads int
	// GroupM bounds the extra layer-0 links a node receives from the
	// payload groups passed to Build. Zero means M; negative disables the
	// extra links.
	GroupM int
}

// Neighbor is one search result: a point offset and its distance to the
// query, lower being closer.
type Neighbor struct {
	// ID is the point's offset in the segment's vector block.
	ID uint32
	// Dist is the distance to the query: squared Euclidean, Manhattan, or
	// the negated dot product for Cosine and Dot.
	Dist float32
}

// noEntry marks an empty graph's entry point and a node without upper layers.
const noEntry = ^uint32(0)

// maxLevelCap bounds the level a node can draw.
const maxLevelCap = 30

// maxM bounds M so that a layer-0 slot count fits in 16 bits.
const maxM = 2048

// kind selects the distance kernel inside the search loops.
type kind uint8

const (
	kindL2 kind = iota
	kindNegDot
	kindL1
)

func kindOf(d point.Distance) (kind, error) {
	switch d {
	case point.Euclid:
		return kindL2, nil
	case point.Cosine, point.Dot:
		return kindNegDot, nil
	case point.Manhattan:
		return kindL1, nil
	}
	return 0, fmt.Errorf("%w: distance %v", ErrParams, d)
}

// distance returns the "lower is closer" distance of a and b.
func distance(k kind, a, b []float32) float32 {
	switch k {
	case kindL2:
		return simd.L2Squared(a, b)
	case kindNegDot:
		return -simd.Dot(a, b)
	}
	return simd.L1(a, b)
}

// Graph is an HNSW graph over n vectors of one segment. A graph is safe for
// concurrent searches, each with its own Searcher; Close must not run while
// a search is in flight.
type Graph struct {
	n, dim   int
	dist     point.Distance
	kind     kind
	m        int // links per node on upper layers
	m0       int // base links per node on layer 0
	mx       int // extra (group) links per node on layer 0
	stride   int // words per layer-0 slot: 1 + m0 + mx
	maxLevel int
	entry    uint32
	// layer0 holds n slots of stride words: count word (base count in the
	// low 16 bits, extra count in the high 16 bits), m0 base links, mx
	// extra links.
	layer0 []uint32
	// upperOff[i] is the offset in upper of node i's upper-layer block, or
	// noEntry when the node lives only on layer 0.
	upperOff []uint32
	// upper holds, per node with level L > 0: the word L, then L slots of
	// 1 + m words (count, links) for layers 1..L.
	upper []uint32
	vecs  []float32
	// pair, for a graph built by BuildFunc, is the distance between two
	// vector offsets (vecs is then nil).
	pair func(x, y uint32) float32
	// mapping is the memory-mapped file of an opened graph, nil when built.
	mapping mmap.MMap
	closed  bool
	// path is the file of an opened graph; body and bodySum its body (a
	// view of the mapping) and the checksum its trailer holds.
	path    string
	body    []byte
	bodySum uint32
}

// Len returns the number of point offsets the graph covers (including
// points left out of the graph by Build's include function).
func (g *Graph) Len() int { return g.n }

// Dim returns the vector dimension.
func (g *Graph) Dim() int { return g.dim }

// Distance returns the distance the graph was built for.
func (g *Graph) Distance() point.Distance { return g.dist }

// M returns the upper-layer link count (layer 0 keeps 2·M).
func (g *Graph) M() int { return g.m }

// GroupM returns the extra layer-0 link slots a node has for payload
// groups (Params.GroupM): 0 when the graph was built without groups.
func (g *Graph) GroupM() int { return g.mx }

// MaxLevel returns the top layer of the graph.
func (g *Graph) MaxLevel() int { return g.maxLevel }

// Indexed returns the number of points linked into the graph.
func (g *Graph) Indexed() int {
	c := 0
	for i := range g.n {
		if g.layer0[i*g.stride]&0xffff != 0 || uint32(i) == g.entry {
			c++
		}
	}
	return c
}

// Mapped reports whether the graph is served from a memory-mapped file.
func (g *Graph) Mapped() bool { return g.mapping != nil }

// Close releases the graph; an opened graph is unmapped. The caller
// guarantees that no search is running. Close is idempotent.
func (g *Graph) Close() error {
	var err error
	if g.mapping != nil {
		if e := g.mapping.Unmap(); e != nil {
			err = fmt.Errorf("unmap hnsw graph: %w", e)
		}
		g.mapping = nil
	}
	g.layer0, g.upperOff, g.upper, g.vecs, g.body = nil, nil, nil, nil, nil
	g.n = 0
	g.entry = noEntry
	g.closed = true
	return err
}

// upperSlot returns the count word index in g.upper of node's links on
// layer l ≥ 1.
func (g *Graph) upperSlot(node uint32, l int) int {
	return int(g.upperOff[node]) + 1 + (l-1)*(1+g.m)
}
