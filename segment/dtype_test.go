package segment

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

var dtypeSpecs = []VectorSpec{
	{Name: "", Dim: 13, Distance: point.Cosine, Datatype: Float16},
	{Name: "bytes", Dim: 7, Distance: point.Dot, Datatype: Uint8},
	{Name: "full", Dim: 3, Distance: point.Euclid},
}

// awkward puts values Qdrant's conversions treat specially into some of
// recs' vectors: beyond float16's range, NaN, negative, above 255 and
// fractional.
func awkward(recs []Record) {
	special := []float32{-3.7, 300, float32(math.NaN()), 12.9, 70000, -70000, 255.99, 1e-8}
	for i := range recs {
		for _, v := range recs[i].Vectors {
			for j := range v {
				if (i+j)%3 == 0 {
					v[j] = special[(i+j)%len(special)]
				} else {
					v[j] *= 200
				}
			}
		}
	}
}

func TestWriteOpenDatatypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	recs := genRecords(rng, 300, dtypeSpecs, 0.3)
	awkward(recs)
	dir := writeTestSegment(t, recs, WriteOptions{Vectors: dtypeSpecs})
	s := openTestSegment(t, dir)
	if err := s.Verify(); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got := s.Specs(); !slices.Equal(got, dtypeSpecs) {
		t.Fatalf("Specs = %+v, want %+v", got, dtypeSpecs)
	}
	f16, d16 := s.VectorsF16("")
	u8, d8 := s.VectorsU8("bytes")
	if d16 != 13 || len(f16) != 300*13 || d8 != 7 || len(u8) != 300*7 {
		t.Fatalf("blocks of %d×%d and %d×%d", len(f16), d16, len(u8), d8)
	}
	if b, _ := s.Vectors(""); b != nil {
		t.Fatal("Vectors gives a float32 block for a float16 vector")
	}
	if b, _ := s.VectorsU8(""); b != nil {
		t.Fatal("VectorsU8 gives a block for a float16 vector")
	}
	if b, _ := s.VectorsF16("full"); b != nil {
		t.Fatal("VectorsF16 gives a block for a float32 vector")
	}
	if s.Datatype("") != Float16 || s.Datatype("bytes") != Uint8 || s.Datatype("full") != Float32 {
		t.Fatal("wrong Datatype")
	}
	for _, r := range recs {
		off, ok := s.Lookup(r.ID)
		if !ok {
			t.Fatalf("%v missing", r.ID)
		}
		checkF16(t, s, off, r.Vectors[""], f16[int(off)*13:][:13])
		checkU8(t, s, off, r.Vectors["bytes"], u8[int(off)*7:][:7])
		if !slices.EqualFunc(s.Vector("full", off), r.Vectors["full"], func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Fatalf("%v: float32 vector changed", r.ID)
		}
	}
}

func checkF16(t *testing.T, s *Segment, off uint32, in []float32, stored []uint16) {
	t.Helper()
	got := s.Vector("", off)
	if in == nil {
		if got != nil || s.HasVector("", off) {
			t.Fatalf("offset %d: absent float16 vector reads %v", off, got)
		}
		return
	}
	for j, x := range in {
		h := simd.F16FromFloat32(x)
		if stored[j] != h {
			t.Fatalf("offset %d [%d]: stored %04x, want %04x for %v", off, j, stored[j], h, x)
		}
		w := simd.F16ToFloat32(h)
		if math.Float32bits(got[j]) != math.Float32bits(w) {
			t.Fatalf("offset %d [%d]: Vector %v, want %v", off, j, got[j], w)
		}
	}
}

func checkU8(t *testing.T, s *Segment, off uint32, in []float32, stored []uint8) {
	t.Helper()
	got := s.Vector("bytes", off)
	if in == nil {
		if got != nil {
			t.Fatalf("offset %d: absent uint8 vector reads %v", off, got)
		}
		return
	}
	for j, x := range in {
		if c := simd.U8FromFloat32(x); stored[j] != c || got[j] != float32(c) {
			t.Fatalf("offset %d [%d]: stored %d, Vector %v, want %d for %v", off, j, stored[j], got[j], c, x)
		}
	}
}

func TestDatatypeFileSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	const n = 50
	recs := genRecords(rng, n, dtypeSpecs, 0)
	dir := writeTestSegment(t, recs, WriteOptions{Vectors: dtypeSpecs})
	for _, sp := range dtypeSpecs {
		name := vectorFile(sp.Name)
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if b[8] != FormatVersion {
			t.Fatalf("%s: version %d, want %d", name, b[8], FormatVersion)
		}
		want := HeaderSize + n*sp.Dim*sp.Datatype.Size()
		if len(b) != want {
			t.Fatalf("%s: %d bytes, want %d", name, len(b), want)
		}
		off, size, ok := VectorData(name, b[:HeaderSize])
		if !ok || off != HeaderSize || size != int64(n*sp.Dim*sp.Datatype.Size()) {
			t.Fatalf("%s: VectorData = %d, %d, %v", name, off, size, ok)
		}
	}
}

func TestOpenVersion1Segment(t *testing.T) {
	writeVersion = 1
	defer func() { writeVersion = FormatVersion }()
	rng := rand.New(rand.NewPCG(14, 4))
	recs := genRecords(rng, 200, testSpecs, 0.2)
	if err := Write(filepath.Join(t.TempDir(), "narrow"), recs, WriteOptions{Vectors: dtypeSpecs}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("version 1 Write of float16 vectors = %v, want ErrInvalid", err)
	}
	dir := writeTestSegment(t, recs, WriteOptions{Vectors: testSpecs})
	writeVersion = FormatVersion
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil || b[8] != 1 {
		t.Fatalf("meta.seg version byte %v (%v), want 1", b[8], err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, vectorFile(""))); err != nil || b[8] != 1 {
		t.Fatalf("vectors file version byte %v (%v), want 1", b[8], err)
	}
	s := openTestSegment(t, dir)
	if err := s.Verify(); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	checkSegment(t, s, sortedRecords(recs), testSpecs, nil)
}

func TestOpenRefusesMismatchedDatatype(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 5))
	recs := genRecords(rng, 20, dtypeSpecs, 0)
	dir := writeTestSegment(t, recs, WriteOptions{Vectors: dtypeSpecs})
	b, err := os.ReadFile(filepath.Join(dir, vectorFile("")))
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []Datatype{Float32, Uint8, 3} {
		if _, err := parseVectors(b, VectorSpec{Dim: 13, Datatype: dt}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("float16 file read as %s: %v, want ErrCorrupt", dt, err)
		}
	}
	if _, err := parseVectors(b, VectorSpec{Dim: 13, Datatype: Float16}); err != nil {
		t.Fatalf("float16 file: %v", err)
	}
	if err := Write(filepath.Join(t.TempDir(), "bad"), nil, WriteOptions{Vectors: []VectorSpec{{Dim: 4, Datatype: 9}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Write with datatype 9 = %v, want ErrInvalid", err)
	}
}

func TestDatatypeRoundIsWhatSegmentsStore(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 6))
	recs := genRecords(rng, 100, dtypeSpecs, 0.1)
	awkward(recs)
	for i := range recs {
		for _, sp := range dtypeSpecs {
			if v := recs[i].Vectors[sp.Name]; v != nil {
				sp.Datatype.Round(v)
			}
		}
	}
	s := openTestSegment(t, writeTestSegment(t, recs, WriteOptions{Vectors: dtypeSpecs}))
	bits := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
	for _, r := range recs {
		off, _ := s.Lookup(r.ID)
		for _, sp := range dtypeSpecs {
			if got := s.Vector(sp.Name, off); !slices.EqualFunc(got, r.Vectors[sp.Name], bits) {
				t.Fatalf("%v %q: segment holds %v, Round gave %v", r.ID, sp.Name, got, r.Vectors[sp.Name])
			}
		}
	}
}

func TestDatatypeText(t *testing.T) {
	for _, d := range []Datatype{Float32, Float16, Uint8} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Datatype
		if err := got.UnmarshalText(b); err != nil || got != d {
			t.Fatalf("%s: round trip gives %v, %v", b, got, err)
		}
	}
	if _, err := ParseDatatype("int8"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ParseDatatype(int8) = %v", err)
	}
	if _, err := Datatype(7).MarshalText(); err == nil {
		t.Fatal("MarshalText of datatype 7 succeeded")
	}
}
