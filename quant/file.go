package quant

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"unsafe"

	"github.com/cairn-db/cairn/point"
)

// The scalar int8 file (docs/format/quantization.md): a 48-byte header,
// n float32 correction terms, then n·dim int8 codes.
const (
	magic      = "CAIRNSQ8"
	version    = 1
	headerSize = 48
	// MaxDim bounds the dimension a file may declare (Qdrant's limit).
	MaxDim = 65536
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Scalar is an opened scalar int8 file: read-only views into its bytes
// (typically a memory mapping, which must outlive the Scalar).
type Scalar struct {
	p             Params
	n             int
	alpha, alpha2 float32
	corrs         []byte
	all           []int8
}

// Params returns the file's parameters.
func (s *Scalar) Params() Params { return s.p }

// Len returns the number of vectors.
func (s *Scalar) Len() int { return s.n }

func (s *Scalar) codes(off uint32) []int8 {
	d := s.p.Dim
	return s.all[int(off)*d : (int(off)+1)*d : (int(off)+1)*d]
}

func (s *Scalar) corr(off uint32) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(s.corrs[4*off:]))
}

// Build encodes the n vectors of p.Dim floats in block (a vector whose has(i)
// is false is stored as zeros, as the segment stores it) and returns the
// whole file.
func Build(p Params, block []float32, n int) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("build quantized vectors: %w", err)
	}
	if p.Dim > MaxDim || len(block) < n*p.Dim {
		return nil, fmt.Errorf("build quantized vectors: %d floats for %d vectors of %d", len(block), n, p.Dim)
	}
	b := make([]byte, headerSize+4*n, headerSize+4*n+n*p.Dim)
	copy(b, magic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], version)
	le.PutUint32(b[12:], uint32(p.Distance))
	le.PutUint32(b[16:], uint32(p.Dim))
	le.PutUint64(b[24:], uint64(n))
	le.PutUint32(b[32:], math.Float32bits(p.Quantile))
	le.PutUint32(b[36:], math.Float32bits(p.Lo))
	le.PutUint32(b[40:], math.Float32bits(p.Hi))
	codes := make([]int8, 0, p.Dim)
	for i := range n {
		var c float32
		codes, c = p.Encode(codes[:0], block[i*p.Dim:(i+1)*p.Dim])
		le.PutUint32(b[headerSize+4*i:], math.Float32bits(c))
		for _, x := range codes {
			b = append(b, byte(x))
		}
	}
	crc := crc32.Update(crc32.Checksum(b[:44], castagnoli), castagnoli, b[headerSize:])
	le.PutUint32(b[44:], crc)
	return b, nil
}

// Parse validates a file written by Build (magic, version, parameters,
// sizes, checksum) and returns views into b, which is not copied. n is the
// number of vectors the segment holds; a file for another count is corrupt.
func Parse(b []byte, n int) (*Scalar, error) {
	return parse(b, n, true)
}

// ParseUnverified is Parse without the checksum of the body: every header
// field, size and bound is still checked, so a damaged file cannot make a
// search read outside it, but its codes are not read. It is for a file
// whose bytes the caller has just checked against their recorded sums (a
// restore verifies every file before it opens the collection), so that
// opening it costs no pass over the codes.
func ParseUnverified(b []byte, n int) (*Scalar, error) {
	return parse(b, n, false)
}

func parse(b []byte, n int, verify bool) (*Scalar, error) {
	if len(b) < headerSize || string(b[:8]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, v, version)
	}
	p := Params{Distance: point.Distance(le.Uint32(b[12:])), Dim: int(le.Uint32(b[16:])),
		Quantile: math.Float32frombits(le.Uint32(b[32:])),
		Lo:       math.Float32frombits(le.Uint32(b[36:])), Hi: math.Float32frombits(le.Uint32(b[40:]))}
	if le.Uint32(b[12:]) > math.MaxUint8 || le.Uint32(b[20:]) != 0 {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if p.Dim > MaxDim {
		return nil, fmt.Errorf("%w: dimension %d", ErrCorrupt, p.Dim)
	}
	if got := le.Uint64(b[24:]); got != uint64(n) {
		return nil, fmt.Errorf("%w: %d vectors, the segment has %d", ErrCorrupt, got, n)
	}
	if want := uint64(headerSize) + uint64(n)*uint64(4+p.Dim); uint64(len(b)) != want {
		return nil, fmt.Errorf("%w: size %d, want %d", ErrCorrupt, len(b), want)
	}
	if verify {
		crc := crc32.Update(crc32.Checksum(b[:44], castagnoli), castagnoli, b[headerSize:])
		if got := le.Uint32(b[44:]); got != crc {
			return nil, fmt.Errorf("%w: checksum %08x, computed %08x", ErrCorrupt, got, crc)
		}
	}
	alpha, _ := p.alphaMid()
	s := &Scalar{p: p, n: n, alpha: alpha, alpha2: alpha * alpha, corrs: b[headerSize : headerSize+4*n]}
	if codes := b[headerSize+4*n:]; len(codes) > 0 {
		s.all = unsafe.Slice((*int8)(unsafe.Pointer(&codes[0])), len(codes))
	}
	return s, nil
}
