package segment

import (
	"fmt"

	"github.com/cairn-db/cairn/simd"
)

// Datatype is the type a vectors file stores each component in (Qdrant's
// `datatype` of a dense vector). The zero value is Float32.
type Datatype uint8

// The datatypes a vectors file can hold (the byte in meta.seg and bits 8–15
// of a vectors file's header flags).
const (
	// Float32 stores IEEE-754 binary32 components, 4 bytes each.
	Float32 Datatype = 0
	// Float16 stores IEEE-754 binary16 components (simd.F16FromFloat32),
	// 2 bytes each.
	Float16 Datatype = 1
	// Uint8 stores unsigned bytes (simd.U8FromFloat32), 1 byte each.
	Uint8 Datatype = 2
)

// dtypeShift places a vectors file's datatype in its header flags.
const dtypeShift = 8

// Size returns the bytes one component takes, or 0 for an unknown
// datatype.
func (d Datatype) Size() int {
	switch d {
	case Float32:
		return 4
	case Float16:
		return 2
	case Uint8:
		return 1
	}
	return 0
}

// String returns Qdrant's name of the datatype ("float32", "float16",
// "uint8").
func (d Datatype) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float16:
		return "float16"
	case Uint8:
		return "uint8"
	}
	return fmt.Sprintf("datatype(%d)", uint8(d))
}

// vectorEncoder writes vectors of one datatype through a chunkWriter,
// converting float32 components as Qdrant converts them on write.
type vectorEncoder struct {
	dt  Datatype
	f16 []uint16
	u8  []uint8
}

func newVectorEncoder(dt Datatype, dim int) *vectorEncoder {
	e := &vectorEncoder{dt: dt}
	switch dt {
	case Float16:
		e.f16 = make([]uint16, dim)
	case Uint8:
		e.u8 = make([]uint8, dim)
	}
	return e
}

func (e *vectorEncoder) write(cw *chunkWriter, v []float32) {
	switch e.dt {
	case Float16:
		simd.F16Encode(e.f16, v)
		cw.writeU16s(e.f16)
	case Uint8:
		simd.U8Encode(e.u8, v)
		cw.write(e.u8)
	default:
		cw.writeFloats(v)
	}
}

// ParseDatatype returns the datatype Qdrant names s ("float32", "float16",
// "uint8").
func ParseDatatype(s string) (Datatype, error) {
	for _, d := range []Datatype{Float32, Float16, Uint8} {
		if d.String() == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown datatype %q (want float32, float16 or uint8)", ErrInvalid, s)
}

// MarshalText returns Qdrant's name of the datatype.
func (d Datatype) MarshalText() ([]byte, error) {
	if d.Size() == 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses Qdrant's name of a datatype.
func (d *Datatype) UnmarshalText(b []byte) error {
	v, err := ParseDatatype(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Round replaces each component of v by the value a vectors file of
// datatype d stores for it, widened back to float32 exactly (float16:
// simd.F16FromFloat32 then F16ToFloat32; uint8: simd.U8FromFloat32), so that
// a copy kept in float32 (a head's) holds what a sealed segment will; a
// rounded vector written to a segment reads back bit for bit. Float32
// leaves v unchanged. Normalise a Cosine float16 vector before rounding it.
func (d Datatype) Round(v []float32) {
	switch d {
	case Float16:
		for i, x := range v {
			v[i] = simd.F16ToFloat32(simd.F16FromFloat32(x))
		}
	case Uint8:
		for i, x := range v {
			v[i] = float32(simd.U8FromFloat32(x))
		}
	}
}
