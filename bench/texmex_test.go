package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"testing"
)

// writeRows writes rows as a TEXMEX file name in a new temporary folder
// (see writeRowsAt) and returns its path.
func writeRows(t *testing.T, name string, dim int, rows [][]uint32, width int) string {
	t.Helper()
	return writeRowsAt(t, filepath.Join(t.TempDir(), name), dim, rows, width)
}

func TestReadFvecs(t *testing.T) {
	f := func(x float32) uint32 { return math.Float32bits(x) }
	p := writeRows(t, "a.fvecs", 3, [][]uint32{{f(1), f(-2.5), f(3)}, {f(0), f(0.25), f(-1e9)}}, 4)
	got, dim, err := ReadFvecs(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2.5, 3, 0, 0.25, -1e9}
	if dim != 3 || len(got) != len(want) {
		t.Fatalf("dim %d, %d values", dim, len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestReadIvecs(t *testing.T) {
	p := writeRows(t, "gt.ivecs", 2, [][]uint32{{5, 7}, {0, 99999}, {uint32(0xffffffff), 1}}, 4)
	got, dim, err := ReadIvecs(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{5, 7, 0, 99999, -1, 1}
	if dim != 2 || len(got) != len(want) {
		t.Fatalf("dim %d, %d values", dim, len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestReadBvecs(t *testing.T) {
	p := writeRows(t, "b.bvecs", 4, [][]uint32{{0, 1, 128, 255}}, 1)
	got, dim, err := ReadBvecs(p)
	if err != nil {
		t.Fatal(err)
	}
	if dim != 4 || len(got) != 4 || got[0] != 0 || got[2] != 128 || got[3] != 255 {
		t.Fatalf("dim %d values %v", dim, got)
	}
}

func TestDecodeErrors(t *testing.T) {
	le := binary.LittleEndian
	row := func(dim int32, vals int) []byte {
		b := le.AppendUint32(nil, uint32(dim))
		return append(b, make([]byte, 4*vals)...)
	}
	cases := map[string][]byte{
		"truncated header": {1, 0},
		"truncated row":    row(3, 2),
		"zero dim":         row(0, 0),
		"negative dim":     row(-4, 0),
		"huge dim":         row(1<<20, 0),
		"mixed dims":       append(row(2, 2), row(3, 3)...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(b), 4, func([]byte) {}); !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
		})
	}
	if dim, err := Decode(bytes.NewReader(nil), 4, func([]byte) {}); err != nil || dim != 0 {
		t.Fatalf("empty input: dim %d err %v", dim, err)
	}
	if _, _, err := ReadFvecs(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(4))
	f.Add([]byte{1, 0, 0, 0, 9}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, w uint8) {
		width := 1 + int(w%4)
		rows := 0
		dim, err := Decode(bytes.NewReader(b), width, func(r []byte) { rows++ })
		if err == nil && rows*(4+dim*width) != len(b) {
			t.Fatalf("decoded %d rows of dim %d from %d bytes", rows, dim, len(b))
		}
	})
}
