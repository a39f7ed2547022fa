package segment

import (
	"encoding/binary"
	"fmt"

	"github.com/cairn-db/cairn/point"
)

// File kinds recorded in meta.seg.
const (
	kindIDs      = 1
	kindVersions = 2
	kindVectors  = 3
	kindPayload  = 4
	kindExtra    = 5
)

// metaFixed is the length of meta.seg's fixed part before the entries.
const metaFixed = 32

// fileEntry describes one file of a segment: its kind, size and the CRC-32C
// of all its bytes.
type fileEntry struct {
	Name string
	Kind uint8
	Size uint64
	CRC  uint32
}

// vectorEntry ties a vector spec to its file.
type vectorEntry struct {
	Spec VectorSpec
	File string
}

// meta is the content of meta.seg.
type meta struct {
	N       uint64
	Vectors []vectorEntry
	Files   []fileEntry
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func (m *meta) marshal() []byte {
	le := binary.LittleEndian
	b := append([]byte(nil), magicMeta[:]...)
	b = le.AppendUint32(b, writeVersion)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, m.N)
	b = le.AppendUint32(b, uint32(len(m.Vectors)))
	b = le.AppendUint32(b, uint32(len(m.Files)))
	for _, v := range m.Vectors {
		b = appendString(b, v.Spec.Name)
		b = le.AppendUint32(b, uint32(v.Spec.Dim))
		b = append(b, byte(v.Spec.Distance))
		if writeVersion >= 2 {
			b = append(b, byte(v.Spec.Datatype))
		}
		b = appendString(b, v.File)
	}
	for _, f := range m.Files {
		b = appendString(b, f.Name)
		b = append(b, f.Kind)
		b = le.AppendUint64(b, f.Size)
		b = le.AppendUint32(b, f.CRC)
	}
	return le.AppendUint32(b, checksum(b))
}

// reader decodes little-endian fields and remembers the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (r *reader) str() string { return string(r.take(int(r.u16()))) }

// parseMeta validates and decodes meta.seg.
func parseMeta(b []byte) (*meta, error) {
	if len(b) < metaFixed+4 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(b))
	}
	if [8]byte(b[:8]) != magicMeta {
		return nil, fmt.Errorf("%w: bad magic %q", ErrCorrupt, b[:8])
	}
	body := b[:len(b)-4]
	if got, want := binary.LittleEndian.Uint32(b[len(b)-4:]), checksum(body); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	r := &reader{b: body[8:]}
	version := r.u32()
	if !readable(version) {
		return nil, fmt.Errorf("%w: version %d", ErrVersion, version)
	}
	if r.u32() != 0 {
		return nil, fmt.Errorf("%w: unknown flags", ErrCorrupt)
	}
	m := &meta{N: r.u64()}
	nv, nf := r.u32(), r.u32()
	// Every entry takes at least 7 bytes: refuse counts the bytes cannot hold.
	if uint64(nv)+uint64(nf) > uint64(len(r.b))/7 {
		return nil, fmt.Errorf("%w: %d vectors and %d files in %d bytes", ErrCorrupt, nv, nf, len(b))
	}
	for range nv {
		var v vectorEntry
		v.Spec.Name = r.str()
		v.Spec.Dim = int(r.u32())
		v.Spec.Distance = point.Distance(r.u8())
		if version >= 2 {
			v.Spec.Datatype = Datatype(r.u8())
		}
		v.File = r.str()
		m.Vectors = append(m.Vectors, v)
	}
	for range nf {
		m.Files = append(m.Files, fileEntry{Name: r.str(), Kind: r.u8(), Size: r.u64(), CRC: r.u32()})
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.b))
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// check validates the relations between meta's entries.
func (m *meta) check() error {
	if m.N > MaxPoints {
		return fmt.Errorf("%w: %d points", ErrCorrupt, m.N)
	}
	kinds := map[string]uint8{}
	counts := map[uint8]int{}
	for _, f := range m.Files {
		if err := checkFileName(f.Name); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if _, dup := kinds[f.Name]; dup {
			return fmt.Errorf("%w: file %q listed twice", ErrCorrupt, f.Name)
		}
		if f.Kind < kindIDs || f.Kind > kindExtra {
			return fmt.Errorf("%w: file %q of unknown kind %d", ErrCorrupt, f.Name, f.Kind)
		}
		if f.Kind == kindExtra && reservedName(f.Name) {
			return fmt.Errorf("%w: extra file %q has a reserved name", ErrCorrupt, f.Name)
		}
		kinds[f.Name] = f.Kind
		counts[f.Kind]++
	}
	for _, k := range []uint8{kindIDs, kindVersions, kindPayload} {
		if counts[k] != 1 {
			return fmt.Errorf("%w: %d files of kind %d", ErrCorrupt, counts[k], k)
		}
	}
	if counts[kindVectors] != len(m.Vectors) {
		return fmt.Errorf("%w: %d vector files for %d vectors", ErrCorrupt, counts[kindVectors], len(m.Vectors))
	}
	names := map[string]bool{}
	for _, v := range m.Vectors {
		if err := checkSpec(v.Spec); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if names[v.Spec.Name] {
			return fmt.Errorf("%w: vector %q listed twice", ErrCorrupt, v.Spec.Name)
		}
		names[v.Spec.Name] = true
		if kinds[v.File] != kindVectors {
			return fmt.Errorf("%w: vector %q has no vectors file %q", ErrCorrupt, v.Spec.Name, v.File)
		}
		kinds[v.File] = 0 // each vectors file serves one vector
	}
	return nil
}

// checkSpec validates a vector spec.
func checkSpec(s VectorSpec) error {
	if s.Dim < 1 || s.Dim > MaxDim {
		return fmt.Errorf("%w: vector %q has dimension %d, want 1..%d", ErrInvalid, s.Name, s.Dim, MaxDim)
	}
	if len(s.Name) > maxNameLen {
		return fmt.Errorf("%w: vector name of %d bytes", ErrInvalid, len(s.Name))
	}
	if _, err := s.Distance.MarshalText(); err != nil {
		return fmt.Errorf("%w: vector %q: %w", ErrInvalid, s.Name, err)
	}
	if s.Datatype.Size() == 0 {
		return fmt.Errorf("%w: vector %q: unknown %s", ErrInvalid, s.Name, s.Datatype)
	}
	return nil
}
