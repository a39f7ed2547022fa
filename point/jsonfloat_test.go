package point

import (
	"encoding/json"
	"math"
	"testing"
)

func TestAppendJSONFloat(t *testing.T) {
	tests := []struct {
		f    float64
		bits int
		want string
	}{
		{1, 32, "1.0"},
		{0, 32, "0.0"},
		{math.Copysign(0, -1), 32, "-0.0"},
		{-3, 64, "-3.0"},
		{0.1, 32, "0.1"},
		{float64(float32(0.1)), 32, "0.1"},
		{0.1, 64, "0.1"},
		{1e20, 32, "100000000000000000000.0"},
		{1e21, 64, "1e+21"},
		{float64(math.MaxFloat32), 32, "3.4028235e+38"},
		{1e-7, 64, "1e-7"},
		{1.5e-7, 32, "1.5e-7"},
		{math.Inf(1), 32, "null"},
		{math.Inf(-1), 64, "null"},
		{math.NaN(), 32, "null"},
	}
	for _, tt := range tests {
		got := string(AppendJSONFloat(nil, tt.f, tt.bits))
		if got != tt.want {
			t.Errorf("AppendJSONFloat(%v, %d) = %s, want %s", tt.f, tt.bits, got, tt.want)
		}
		if got == "null" {
			continue
		}
		var back float64
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if tt.bits == 32 && float32(back) != float32(tt.f) || tt.bits == 64 && back != tt.f {
			t.Errorf("%s reads back as %v, want %v", got, back, tt.f)
		}
	}
	if got := string(AppendJSONFloats(nil, []float32{1, 0, -2.5})); got != "[1.0,0.0,-2.5]" {
		t.Errorf("AppendJSONFloats = %s", got)
	}
	if got := string(AppendJSONFloats(nil, nil)); got != "null" {
		t.Errorf("AppendJSONFloats(nil) = %s", got)
	}
}
