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

// TestAppendFloatsMatchesParseFloats checks the batch decoder's array
// reader against parseFloats on valid and invalid arrays.
func TestAppendFloatsMatchesParseFloats(t *testing.T) {
	arrays := []string{"[]", "[ ]", "[1]", "[ 1 , 2 ]", "[1e-50,1e39]", "[1,]", "[,1]", "[1 2]", "[01]", "[1.]",
		"[-]", "[null]", "[\"1\"]", "[3.4028236e38]", "[0.30000001192092896,-0,1E+2]", "[1e400]", "[1,2}", "[1x]"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		var b bytes.Buffer
		b.WriteByte('[')
		for j := range r.IntN(20) {
			if j > 0 {
				b.WriteString([]string{",", " , ", ",\n"}[r.IntN(3)])
			}
			f := math.Float32frombits(r.Uint32())
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				f = 1
			}
			b.WriteString(strconv.FormatFloat(float64(f), "ge"[r.IntN(2)], -1, 32))
		}
		b.WriteByte(']')
		arrays = append(arrays, b.String())
	}
	for _, a := range arrays {
		want, werr := parseFloats([]byte(a), "vector")
		prefix := []float32{7}
		got, n, ok := appendFloats(prefix, []byte(a+"]}"))
		if ok != (werr == nil) {
			t.Fatalf("%s: ok=%v, parseFloats: %v", a, ok, werr)
		}
		if !ok {
			continue
		}
		if n != len(a) || len(got) != len(want)+1 || got[0] != 7 {
			t.Fatalf("%s: n=%d, %d floats; want %d, %d", a, n, len(got)-1, len(a), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i+1]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: [%d] = %v, want %v", a, i, got[i+1], want[i])
			}
		}
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
