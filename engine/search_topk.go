package engine

import (
	"sync"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/quant"
)

// scanChunk is the number of vectors scored per batch-kernel call.
const scanChunk = 1024

// maxPooledCands bounds the candidates a pooled scratch keeps room for, so
// that one search with a huge offset does not pin its buffers for good.
const maxPooledCands = 4096

// searchScratch is the reusable state of one Search call: the candidate
// list, the per-part heap, the graph searcher and its result buffer, the
// scan buffer, the query copy and the pinned segment views. Pooled, so that
// a search allocates little more than its result.
type searchScratch struct {
	cands []candidate
	recs  []Record // materialised memtable hits (when payload or vectors are asked)
	parts int      // parts that produced at least one candidate
	top   topK
	sr    *hnsw.Searcher
	nbrs  []hnsw.Neighbor
	buf   []float32
	q     []float32
	views []segView
	qq    quant.Query // the query coded for the quantized segment being scanned
	qtop  topK        // its quantized candidates
}

var scratchPool = sync.Pool{New: func() any {
	return &searchScratch{sr: hnsw.NewSearcher(), buf: make([]float32, scanChunk)}
}}

func getScratch() *searchScratch { return scratchPool.Get().(*searchScratch) }

// put clears the references the scratch holds and returns it to the pool.
func (sc *searchScratch) put() {
	if cap(sc.cands) > maxPooledCands || cap(sc.recs) > maxPooledCands || cap(sc.top.items) > maxPooledCands ||
		cap(sc.qtop.items) > maxPooledCands {
		return
	}
	clear(sc.cands)
	clear(sc.recs)
	clear(sc.views)
	sc.cands, sc.recs, sc.views, sc.parts = sc.cands[:0], sc.recs[:0], sc.views[:0], 0
	scratchPool.Put(sc)
}

// heap returns the emptied per-part heap keeping the k best keys.
func (sc *searchScratch) heap(k int) *topK {
	sc.top.k, sc.top.items = k, sc.top.items[:0]
	return &sc.top
}

// bestFirst orders ranked points best first: the higher key, then the
// smaller id (a comparison function for slices.SortFunc).
func bestFirst(ka float32, a point.ID, kb float32, b point.ID) int {
	if ka != kb {
		if ka > kb {
			return -1
		}
		return 1
	}
	return point.Compare(a, b)
}

// candidate is one scored point. A segment hit is read from its (pinned)
// segment only if it makes the result; a memtable hit whose payload or
// vectors are asked is materialised under the shard lock into recs[off].
type candidate struct {
	key     float32
	version uint64
	id      point.ID
	h       *segHandle // nil for a memtable hit
	off     uint32     // offset in h's segment, or index in searchScratch.recs
}

// topK keeps the k best keys seen (a min-heap on key, with the sift-up and
// sift-down of container/heap, so that ties resolve as they always have).
type topK struct {
	k     int
	items []scored
}

type scored struct {
	key float32
	ref int // slot or offset
}

// admits reports whether a key would enter the heap.
func (t *topK) admits(key float32) bool { return len(t.items) < t.k || key > t.items[0].key }

func (t *topK) add(key float32, ref int) {
	if len(t.items) < t.k {
		t.items = append(t.items, scored{key, ref})
		t.up(len(t.items) - 1)
	} else if key > t.items[0].key {
		t.items[0] = scored{key, ref} // larger than the old root: it can only sink
		t.down(0)
	}
}

func (t *topK) up(j int) {
	h := t.items
	for {
		i := (j - 1) / 2 // parent
		if i == j || !(h[j].key < h[i].key) {
			break
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
}

func (t *topK) down(i int) {
	h, n := t.items, len(t.items)
	for {
		j1 := 2*i + 1 // no overflow: i < n, a slice length
		if j1 >= n {
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h[j2].key < h[j1].key {
			j = j2
		}
		if !(h[j].key < h[i].key) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}
