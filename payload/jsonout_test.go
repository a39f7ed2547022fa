package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// jsonPieces are the pieces random strings are made of: what encoding/json
// escapes (HTML characters, quotes, control characters, U+2028/U+2029,
// invalid UTF-8) and what it does not.
var jsonPieces = []string{
	"a", "Oslo", " ", "/", "é", "😀", "日本", "<", ">", "&", `"`, `\`, "\x00", "\b", "\f",
	"\n", "\r", "\t", "\x1f", "\x7f", "\u2028", "\u2029", "\xff", "\xe2\x80", "\xc3", "\u00a0",
}

func randJSONString(r *rand.Rand) string {
	var b []byte
	for range r.IntN(6) {
		b = append(b, jsonPieces[r.IntN(len(jsonPieces))]...)
	}
	return string(b)
}

var jsonNumbers = []string{"0", "-0", "7", "-12", "1.50", "1e5", "2E-3", "-0.25e+10", "12345678901234567890", "9007199254740993"}

var jsonFloats = []float64{0, math.Copysign(0, -1), 1, -3, 0.1, 1.5e-7, 1e-6, 9.99e20, 1e21, 1.5e300, -2.5e-300, 123456789, 0.000123}

var jsonFloats32 = []float32{0, 1, -3, 0.1, 1.5e-7, 1e-6, 9.99e20, 1e21, 3e38, 1e-45, 16777217, 0.000123}

// randJSONValue returns a random payload value of the kinds Decode makes and a
// few Go kinds callers may store, nested up to depth.
func randJSONValue(r *rand.Rand, depth int) any {
	k := r.IntN(12)
	if depth <= 0 && k >= 9 {
		k = r.IntN(9)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2, 3:
		return randJSONString(r)
	case 4:
		return json.Number(jsonNumbers[r.IntN(len(jsonNumbers))])
	case 5:
		return jsonFloats[r.IntN(len(jsonFloats))]
	case 6:
		return jsonFloats32[r.IntN(len(jsonFloats32))]
	case 7:
		return []any{int(r.Int64()), int64(-r.Int64()), uint64(r.Uint64()), int8(-3), uint16(9)}
	case 8:
		return []string{randJSONString(r), randJSONString(r)} // not a Decode kind: encoding/json writes it
	case 9:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randJSONValue(r, depth-1)
		}
		return a
	default:
		return randJSONObject(r, depth-1)
	}
}

func randJSONObject(r *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for range r.IntN(20) {
		m[randJSONString(r)] = randJSONValue(r, depth)
	}
	return m
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 3000 {
		v := any(randJSONObject(r, 4))
		if i%10 == 0 {
			v = randJSONValue(r, 4)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		got, err := AppendJSON([]byte("prefix"), v)
		if err != nil {
			t.Fatalf("AppendJSON(%#v): %v", v, err)
		}
		if string(got[:len("prefix")]) != "prefix" {
			t.Fatalf("AppendJSON changed what it appends to: %q", got)
		}
		if got := got[len("prefix"):]; !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON differs from encoding/json: %s", firstDiff(got, want))
		}
	}
}

func TestAppendJSONStringEveryByte(t *testing.T) {
	for c := range 256 {
		for _, s := range []string{string(rune(c)), string([]byte{byte(c)}), "x" + string([]byte{byte(c)}) + "y"} {
			want, _ := json.Marshal(s)
			if got := AppendJSONString(nil, s); !bytes.Equal(got, want) {
				t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
			}
		}
	}
}

func TestAppendJSONRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for _, v := range []any{
		math.NaN(), math.Inf(1), float32(math.Inf(-1)),
		map[string]any{"a": []any{math.NaN()}},
		json.Number("01"), json.Number("1."), json.Number("+1"), json.Number("1e"), json.Number("1e+"), json.Number("-"), json.Number("abc"),
	} {
		if _, err := json.Marshal(v); err == nil {
			t.Fatalf("encoding/json accepts %#v", v)
		}
		if b, err := AppendJSON(nil, v); err == nil {
			t.Fatalf("AppendJSON(%#v) = %s, want an error", v, b)
		}
	}
	// encoding/json writes an empty json.Number as 0.
	if b, err := AppendJSON(nil, json.Number("")); err != nil || string(b) != "0" {
		t.Fatalf("AppendJSON(json.Number(\"\")) = %s, %v", b, err)
	}
}

// firstDiff shows where two encodings part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Sprintf("at byte %d\n got ...%s\nwant ...%s", i, got[from:min(len(got), i+40)], want[from:min(len(want), i+40)])
}
