package hnsw

// visited is an epoch-stamped visited set: a node is visited when its mark
// equals the current epoch, so clearing is one increment.
type visited struct {
	marks []uint16
	epoch uint16
}

// reset starts a new query over n nodes.
func (v *visited) reset(n int) {
	if len(v.marks) < n {
		v.marks = make([]uint16, n)
		v.epoch = 0
	}
	v.epoch++
	if v.epoch == 0 {
		clear(v.marks)
		v.epoch = 1
	}
}
