package segment

import (
	"encoding/binary"
	"path/filepath"
	"slices"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
	"github.com/edsrzf/mmap-go"
)

// Segment is an open, memory-mapped sealed segment. Points are addressed by
// their offset, 0..Len()-1, in id order. Accessors panic on an offset out of
// range, as a slice index does. Every slice returned points into a read-only
// mapping: callers must not modify it, and must stop using it before Close.
type Segment struct {
	dir     string
	meta    *meta
	rawMeta []byte
	maps    []mmap.MMap
	files   map[string][]byte // file name → whole content, for Verify
	ids     idTable
	// versions holds Len() little-endian uint64s.
	versions []byte
	vectors  map[string]*vectorBlock
	payload  payloadTable
	extras   map[string][]byte
}

// Dir returns the segment's folder.
func (s *Segment) Dir() string { return s.dir }

// Len returns the number of points.
func (s *Segment) Len() int { return int(s.meta.N) }

// Specs returns the segment's vector specs, in the order given to Write.
func (s *Segment) Specs() []VectorSpec {
	out := make([]VectorSpec, len(s.meta.Vectors))
	for i, v := range s.meta.Vectors {
		out[i] = v.Spec
	}
	return out
}

// ID returns the id of the point at off.
func (s *Segment) ID(off uint32) point.ID {
	r := s.ids.at(off)
	if r[0] == 1 {
		return point.UUIDID([16]byte(r[1:]))
	}
	return point.NumID(binary.BigEndian.Uint64(r[9:]))
}

// Version returns the version of the point at off.
func (s *Segment) Version(off uint32) uint64 {
	return binary.LittleEndian.Uint64(s.versions[8*int(off):])
}

// Lookup returns the offset of the point with id, by binary search over the
// mapped id array guided by a small fence array (no allocation, no map).
func (s *Segment) Lookup(id point.ID) (uint32, bool) {
	var buf [point.BinarySize]byte
	return s.ids.search(keyOf(id.AppendBinary(buf[:0])))
}

// Vectors returns the contiguous block of Len()*dim floats of the vector
// named name, in the mapping (not copied; 64-byte aligned), and its
// dimension. A point lacking the vector has zeros in the block. An unknown
// name gives (nil, 0); a vector stored as Float16 or Uint8 gives a nil
// block and its dimension (see VectorsF16, VectorsU8).
func (s *Segment) Vectors(name string) (block []float32, dim int) {
	blk := s.vectors[name]
	if blk == nil {
		return nil, 0
	}
	return blk.data, blk.spec.Dim
}

// VectorsF16 is Vectors for a vector stored as Float16: binary16 bits in
// the mapping. Any other datatype or an unknown name gives a nil block.
func (s *Segment) VectorsF16(name string) (block []uint16, dim int) {
	blk := s.vectors[name]
	if blk == nil {
		return nil, 0
	}
	return blk.f16, blk.spec.Dim
}

// VectorsU8 is Vectors for a vector stored as Uint8, in the mapping. Any
// other datatype or an unknown name gives a nil block.
func (s *Segment) VectorsU8(name string) (block []uint8, dim int) {
	blk := s.vectors[name]
	if blk == nil || blk.spec.Datatype != Uint8 {
		return nil, 0
	}
	return blk.raw, blk.spec.Dim
}

// Datatype returns the type the vector named name is stored in (Float32
// for an unknown name).
func (s *Segment) Datatype(name string) Datatype {
	if blk := s.vectors[name]; blk != nil {
		return blk.spec.Datatype
	}
	return Float32
}

// HasVector reports whether the point at off has the vector named name.
func (s *Segment) HasVector(name string, off uint32) bool {
	blk := s.vectors[name]
	if blk == nil {
		return false
	}
	if uint64(off) >= blk.n {
		panic("segment: offset out of range")
	}
	return blk.presence == nil || bitAt(blk.presence, off)
}

// Vector returns the vector named name of the point at off, or nil when the
// point lacks it: in the mapping for a Float32 vector, and for a Float16 or
// Uint8 one a new slice of the stored values widened exactly to float32.
func (s *Segment) Vector(name string, off uint32) []float32 {
	if !s.HasVector(name, off) {
		return nil
	}
	blk := s.vectors[name]
	d := blk.spec.Dim
	i := int(off) * d
	switch blk.spec.Datatype {
	case Float16:
		out := make([]float32, d)
		simd.F16Decode(out, blk.f16[i:i+d])
		return out
	case Uint8:
		out := make([]float32, d)
		for j, c := range blk.raw[i : i+d] {
			out[j] = float32(c)
		}
		return out
	}
	return blk.data[i : i+d : i+d]
}

// Payload returns the raw JSON payload of the point at off, or nil if it
// has none.
func (s *Segment) Payload(off uint32) []byte { return s.payload.at(off) }

// PayloadBytes returns the size of the segment's payload data: the JSON
// payloads of all its points, those deleted since it was written included.
func (s *Segment) PayloadBytes() int { return len(s.payload.data) }

// Extra returns the content of the extra file name given to Write, mapped,
// or nil if there is none.
func (s *Segment) Extra(name string) []byte { return s.extras[name] }

// ExtraNames returns the names of the extra files given to Write (and
// Attach), sorted.
func (s *Segment) ExtraNames() []string {
	out := make([]string, 0, len(s.extras))
	for name := range s.extras {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Files returns the path of every immutable file of the segment (meta.seg
// included, deleted.bits excluded), for hard-link snapshots. Every file is
// directly inside Dir().
func (s *Segment) Files() []string {
	out := []string{filepath.Join(s.dir, MetaFile)}
	for _, f := range s.meta.Files {
		out = append(out, filepath.Join(s.dir, f.Name))
	}
	return out
}
