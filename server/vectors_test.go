package server

import (
	"strings"
	"testing"
)

func TestParseFloats(t *testing.T) {
	tests := []struct {
		in   string
		want []float32
		err  string
	}{
		{"[]", []float32{}, ""},
		{" [ 1 , 2.5,-3e2 ] ", []float32{1, 2.5, -300}, ""},
		{"[0.1]", []float32{0.1}, ""},
		{"[1,null]", nil, "vector[1]"},
		{"[1,\"2\"]", nil, "vector[1]"},
		{"[1e39]", nil, "vector[0]"},
		{"[-1e39]", nil, "vector[0]"},
		{"[1,,2]", nil, "vector[1]"},
		{"{}", nil, "expected an array"},
		{"[1,2", nil, "expected an array"},
	}
	for _, tt := range tests {
		got, err := parseFloats([]byte(tt.in), "vector")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%s: %v %v", tt.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: [%d] = %v", tt.in, i, got[i])
			}
		}
	}
}

func TestVectorIn(t *testing.T) {
	var v vectorIn
	if err := v.UnmarshalJSON([]byte(`{"image":[1,2],"text":[3]}`)); err != nil || len(v.dense) != 2 || v.dense["text"][0] != 3 {
		t.Fatalf("%v %v", v, err)
	}
	if err := v.UnmarshalJSON([]byte(`{"s":{"indices":[3,1],"values":[2,4]}}`)); err != nil || len(v.sparse["s"].Indices) != 2 || v.sparse["s"].Indices[0] != 3 {
		t.Fatalf("sparse: %v %v", v, err)
	}
	for in, want := range map[string]string{
		`{"s":{"indices":[-1],"values":[2]}}`:         "vector.s.indices[0]: invalid value: integer `-1`, expected u32",
		`{"s":{"indices":[4294967296],"values":[2]}}`: "vector.s.indices[0]: invalid value: integer `4294967296`, expected u32",
		`{"s":{"indices":[1.5],"values":[2]}}`:        "vector.s.indices[0]: invalid type: floating point `1.5`, expected u32",
		`{"s":{"indices":[1]}}`:                       "vector.s: missing field `values`",
		`{"s":{"values":[1]}}`:                        "vector.s: missing field `indices`",
		`{"s":{"indices":[1],"values":[1e39]}}`:       "vector.s.values[0]",
	} {
		if err := v.UnmarshalJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	if err := v.UnmarshalJSON([]byte(`"x"`)); err == nil {
		t.Fatal("string accepted")
	}
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "-0": true, "10": true, "1.5": true, "1e5": true, "1E+5": true, "-2.5e-3": true,
		"01": false, "1.": false, ".5": false, "+1": false, "1e": false, "inf": false, "0x10": false, "1_0": false, "": false, "-": false} {
		if isJSONNumber([]byte(s)) != want {
			t.Errorf("isJSONNumber(%q) != %v", s, want)
		}
	}
}
