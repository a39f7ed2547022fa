package hnsw

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"unsafe"

	"github.com/cairn-db/cairn/point"
	mmap "github.com/edsrzf/mmap-go"
)

// Open memory-maps the graph file at path over vecs (n·dim floats, the
// vectors the graph was built on). It validates the magic, version, header
// and body checksums, the header against vecs, dim and dist, and every
// neighbour id, so that a corrupt file yields an error and never an
// out-of-bounds read. Nothing is rebuilt or decoded: searches run on the
// mapping. Close unmaps the file.
func Open(path string, vecs []float32, dim int, dist point.Distance) (*Graph, error) {
	return verified(OpenUnverified(path, vecs, dim, dist))
}

// verified returns g once Verify accepts it, closing it otherwise (and
// passing on err from the open that made it).
func verified(g *Graph, err error) (*Graph, error) {
	if err != nil {
		return nil, err
	}
	if err := g.Verify(); err != nil {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

// OpenUnverified is Open without the checks that read the whole file: the
// magic, version, header checksum, the header against vecs, dim and dist
// and the file size are checked, but not the body checksum nor the links.
// Searching such a graph is safe only once Verify has returned nil on it
// (or CheckLinks, when the caller has checked the file's bytes), or when this process verified the same file (which nothing wrote since)
// through another Graph.
func OpenUnverified(path string, vecs []float32, dim int, dist point.Distance) (*Graph, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("open hnsw graph %s: %w: dimension %d", path, ErrMismatch, dim)
	}
	return openFile(path, vecs, len(vecs)/dim, dim, dist)
}

// OpenFunc is Open for a graph built by BuildFunc over n vectors that are
// not float32: the graph is searched with SearchFunc only.
func OpenFunc(path string, n, dim int, dist point.Distance) (*Graph, error) {
	return verified(OpenFuncUnverified(path, n, dim, dist))
}

// OpenFuncUnverified is OpenUnverified for a graph built by BuildFunc over
// n vectors (see OpenFunc).
func OpenFuncUnverified(path string, n, dim int, dist point.Distance) (*Graph, error) {
	return openFile(path, nil, n, dim, dist)
}

// openFile maps the graph file at path over avail vectors (vecs, or none
// for a BuildFunc graph) and checks its header and size.
func openFile(path string, vecs []float32, avail, dim int, dist point.Distance) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open hnsw graph: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open hnsw graph: %w", err)
	}
	if st.Size() < headerSize+trailerSize {
		return nil, fmt.Errorf("open hnsw graph %s: %w: %d bytes", path, ErrCorrupt, st.Size())
	}
	m, err := mmap.Map(f, mmap.RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("map hnsw graph %s: %w", path, err)
	}
	g, err := layout(m, vecs, avail, dim, dist)
	if err != nil {
		_ = m.Unmap()
		return nil, fmt.Errorf("open hnsw graph %s: %w", path, err)
	}
	g.mapping = m
	g.path = path
	return g, nil
}

// Verify checks the body checksum of an opened graph and every count, link
// and upper-layer offset, so that a search over it can only read inside its
// arrays and its vectors.
func (g *Graph) Verify() error {
	if err := g.verifyBody(); err != nil {
		return fmt.Errorf("open hnsw graph %s: %w", g.path, err)
	}
	return nil
}

// CheckLinks checks every count, link and upper-layer offset of an opened
// graph, as Verify does, but not the body checksum: it is for a caller that
// has already checked the file's bytes against a checksum of its own (for
// example a segment's, which lists the graph file). Searching the graph is
// then safe as after Verify.
func (g *Graph) CheckLinks() error {
	if err := g.validate(); err != nil {
		return fmt.Errorf("check hnsw graph %s: %w", g.path, err)
	}
	return nil
}

// header is the decoded fixed header.
type header struct {
	dist                                         point.Distance
	n, dim, m, m0, mx, maxLevel, entry, upperLen uint32
}

func readHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerSize+trailerSize {
		return h, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(b))
	}
	if string(b[:8]) != magic {
		return h, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	le := binary.LittleEndian
	if crc32.Checksum(b[:60], castagnoli) != le.Uint32(b[60:]) {
		return h, fmt.Errorf("%w: header checksum", ErrCorrupt)
	}
	if v := le.Uint32(b[8:]); v != version {
		return h, fmt.Errorf("%w: %d", ErrVersion, v)
	}
	h.dist = point.Distance(le.Uint32(b[12:]))
	if d := le.Uint32(b[12:]); d > 255 {
		return h, fmt.Errorf("%w: distance %d", ErrCorrupt, d)
	}
	h.n, h.dim, h.m, h.m0 = le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint32(b[24:]), le.Uint32(b[28:])
	h.mx, h.maxLevel, h.entry, h.upperLen = le.Uint32(b[32:]), le.Uint32(b[36:]), le.Uint32(b[40:]), le.Uint32(b[44:])
	return h, nil
}

// layout checks a file image's header and size and returns a graph whose
// arrays view b, without reading the body.
// avail is the number of vectors the graph may address (len(vecs)/dim,
// or the count of non-float32 vectors when vecs is nil).
func layout(b []byte, vecs []float32, avail, dim int, dist point.Distance) (*Graph, error) {
	h, err := readHeader(b)
	if err != nil {
		return nil, err
	}
	if err := h.check(avail, dim, dist); err != nil {
		return nil, err
	}
	n, stride := uint64(h.n), 1+uint64(h.m0)+uint64(h.mx)
	words := n*stride + n + uint64(h.upperLen)
	if want := headerSize + 4*words + trailerSize; uint64(len(b)) != want {
		return nil, fmt.Errorf("%w: size %d, header implies %d", ErrCorrupt, len(b), want)
	}
	body := b[headerSize : len(b)-trailerSize]
	k, _ := kindOf(h.dist)
	all := wordsOf(body)
	g := &Graph{n: int(h.n), dim: dim, dist: h.dist, kind: k, m: int(h.m), m0: int(h.m0), mx: int(h.mx),
		stride: int(stride), maxLevel: int(h.maxLevel), entry: h.entry, vecs: vecs,
		body: body, bodySum: binary.LittleEndian.Uint32(b[len(b)-trailerSize:])}
	g.layer0 = all[:n*stride]
	g.upperOff = all[n*stride : n*stride+n]
	g.upper = all[n*stride+n:]
	return g, nil
}

// verifyBody checks the body checksum and the structure.
func (g *Graph) verifyBody() error {
	if crc32.Checksum(g.body, castagnoli) != g.bodySum {
		return fmt.Errorf("%w: body checksum", ErrCorrupt)
	}
	return g.validate()
}

// check validates the header's fields against each other and the vectors.
func (h header) check(avail, dim int, dist point.Distance) error {
	if _, err := kindOf(h.dist); err != nil {
		return fmt.Errorf("%w: distance %d", ErrCorrupt, h.dist)
	}
	if h.dist != dist || int64(h.dim) != int64(dim) || dim <= 0 {
		return fmt.Errorf("%w: file has %v dim %d, opened as %v dim %d", ErrMismatch, h.dist, h.dim, dist, dim)
	}
	if avail < 0 || uint64(h.n) > uint64(avail) {
		return fmt.Errorf("%w: file has %d points, %d vectors given", ErrMismatch, h.n, avail)
	}
	if h.m < 1 || h.m > maxM || h.m0 != 2*h.m || h.mx > 2*maxM || h.maxLevel > maxLevelCap {
		return fmt.Errorf("%w: m=%d m0=%d mx=%d max level %d", ErrCorrupt, h.m, h.m0, h.mx, h.maxLevel)
	}
	if h.entry == noEntry {
		if h.maxLevel != 0 {
			return fmt.Errorf("%w: empty graph with level %d", ErrCorrupt, h.maxLevel)
		}
	} else if h.entry >= h.n {
		return fmt.Errorf("%w: entry point %d of %d", ErrCorrupt, h.entry, h.n)
	}
	return nil
}

// validate checks every count, link and upper-layer offset, so that a search
// over the graph can only read inside its arrays and its vectors.
func (g *Graph) validate() error {
	n := uint32(g.n)
	for i := range g.n {
		s := g.layer0[i*g.stride : (i+1)*g.stride]
		nb, ne := int(s[0]&0xffff), int(s[0]>>16)
		if nb > g.m0 || ne > g.mx {
			return fmt.Errorf("%w: node %d has %d+%d links", ErrCorrupt, i, nb, ne)
		}
		if !idsBelow(s[1:1+nb], n) || !idsBelow(s[1+g.m0:1+g.m0+ne], n) {
			return fmt.Errorf("%w: node %d links out of range", ErrCorrupt, i)
		}
	}
	ulen := uint64(len(g.upper))
	for i, off := range g.upperOff {
		if off == noEntry {
			continue
		}
		if uint64(off) >= ulen {
			return fmt.Errorf("%w: node %d upper offset %d", ErrCorrupt, i, off)
		}
		l := uint64(g.upper[off])
		if l == 0 || l > uint64(g.maxLevel) || uint64(off)+1+l*uint64(1+g.m) > ulen {
			return fmt.Errorf("%w: node %d upper level %d", ErrCorrupt, i, l)
		}
	}
	if g.entry != noEntry && g.level(g.entry) != g.maxLevel {
		return fmt.Errorf("%w: entry point level %d, max level %d", ErrCorrupt, g.level(g.entry), g.maxLevel)
	}
	for i, off := range g.upperOff {
		if off == noEntry {
			continue
		}
		for l := 1; l <= int(g.upper[off]); l++ {
			o := g.upperSlot(uint32(i), l)
			cnt := int(g.upper[o])
			if cnt > g.m {
				return fmt.Errorf("%w: node %d has %d links on layer %d", ErrCorrupt, i, cnt, l)
			}
			for _, t := range g.upper[o+1 : o+1+cnt] {
				if t >= n || g.level(t) < l {
					return fmt.Errorf("%w: node %d links to %d on layer %d", ErrCorrupt, i, t, l)
				}
			}
		}
	}
	return nil
}

// level returns node i's top layer (valid offsets assumed).
func (g *Graph) level(i uint32) int {
	if g.upperOff[i] == noEntry {
		return 0
	}
	return int(g.upper[g.upperOff[i]])
}

func idsBelow(ids []uint32, n uint32) bool {
	for _, id := range ids {
		if id >= n {
			return false
		}
	}
	return true
}

// littleEndian reports whether the host stores words little-endian, so that
// the file's words can be used in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// wordsOf views b as little-endian words: in place when the host is
// little-endian and b is aligned, otherwise as a decoded copy.
func wordsOf(b []byte) []uint32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}
