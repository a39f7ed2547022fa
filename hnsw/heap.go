package hnsw

// item is a node and its distance to the query.
type item struct {
	d  float32
	id uint32
}

// minHeap is a binary heap of items, closest first: the candidate queue.
type minHeap struct{ a []item }

func (h *minHeap) reset()   { h.a = h.a[:0] }
func (h *minHeap) len() int { return len(h.a) }

func (h *minHeap) push(d float32, id uint32) {
	a := append(h.a, item{d, id})
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].d <= d {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = item{d, id}
	h.a = a
}

func (h *minHeap) pop() item {
	a := h.a
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	n := len(a)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].d < a[c].d {
			c++
		}
		if last.d <= a[c].d {
			break
		}
		a[i] = a[c]
		i = c
	}
	if n > 0 {
		a[i] = last
	}
	h.a = a
	return top
}

// maxHeap is a binary heap of items, farthest first: the result set.
type maxHeap struct{ a []item }

func (h *maxHeap) reset()        { h.a = h.a[:0] }
func (h *maxHeap) len() int      { return len(h.a) }
func (h *maxHeap) top() float32  { return h.a[0].d }
func (h *maxHeap) topItem() item { return h.a[0] }

func (h *maxHeap) push(d float32, id uint32) {
	a := append(h.a, item{d, id})
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].d >= d {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = item{d, id}
	h.a = a
}

func (h *maxHeap) pop() item {
	a := h.a
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	n := len(a)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].d > a[c].d {
			c++
		}
		if last.d >= a[c].d {
			break
		}
		a[i] = a[c]
		i = c
	}
	if n > 0 {
		a[i] = last
	}
	h.a = a
	return top
}

// replaceTop swaps the farthest item for a closer one in one sift.
func (h *maxHeap) replaceTop(d float32, id uint32) {
	a := h.a
	n := len(a)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].d > a[c].d {
			c++
		}
		if d >= a[c].d {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = item{d, id}
}
