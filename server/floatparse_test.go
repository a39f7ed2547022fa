package server

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func checkParseFloat32(t *testing.T, s string) {
	t.Helper()
	want, werr := strconv.ParseFloat(s, 32)
	got, gerr := parseFloat32([]byte(s))
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: err %v, strconv %v", s, gerr, werr)
	}
	if werr == nil && math.Float32bits(got) != math.Float32bits(float32(want)) {
		t.Fatalf("%q: got %v (%#x), strconv %v (%#x)", s, got, math.Float32bits(got), float32(want), math.Float32bits(float32(want)))
	}
}

func TestParseFloat32MatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1", "0.1", "1e10", "1E-5", "3.4028235e38", "3.4028236e38", "1e39",
		"1.17549435e-38", "1e-45", "1e-46", "123456789012345678901", "0.000000000000000000000001", "16777217",
		"0.30000001192092896", "1.00000005960464477539", "-2.5e+3", "00012", "1.", ".5", "1e", "--1", "1e+", "0e400"} {
		checkParseFloat32(t, s)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 40000 {
		f := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		checkParseFloat32(t, strconv.FormatFloat(float64(f), 'g', -1, 32))
		checkParseFloat32(t, strconv.FormatFloat(float64(f), 'g', -1, 64))
		checkParseFloat32(t, strconv.FormatFloat(float64(f), 'e', r.IntN(20), 64))
		g := r.NormFloat64()
		checkParseFloat32(t, strconv.FormatFloat(g, 'g', -1, 64))
		checkParseFloat32(t, strconv.FormatFloat(g, 'f', r.IntN(22), 64))
		// Decimal midpoints between neighbouring float32s.
		mid := (float64(f) + float64(math.Nextafter32(f, float32(math.Inf(1))))) / 2
		checkParseFloat32(t, strconv.FormatFloat(mid, 'g', -1, 64))
	}
}

func FuzzParseFloat32(f *testing.F) {
	for _, s := range []string{"0.1", "-1e-7", "3.4028235e38", "0.30000001192092896", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := strconv.ParseFloat(s, 32)
		got, gerr := parseFloat32([]byte(s))
		if werr == nil && gerr == nil && math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Fatalf("%q: %v vs %v", s, got, want)
		}
		if werr == nil && gerr != nil {
			t.Fatalf("%q: rejected, strconv accepts", s)
		}
	})
}

func BenchmarkParseFloats(b *testing.B) {
	body := upsertBody(0, benchVectors(1, 1))
	start := bytes.IndexByte(body, '[')
	start = bytes.IndexByte(body[start+1:], '[') + start + 1
	end := bytes.IndexByte(body[start:], ']') + start + 1
	arr := body[start:end]
	b.SetBytes(int64(len(arr)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseFloats(arr, "vector"); err != nil {
			b.Fatal(err)
		}
	}
}
