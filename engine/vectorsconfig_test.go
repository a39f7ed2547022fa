package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestVectorsConfigMissingSize checks that a single-vector config without
// its size is reported as a missing field, not as a Go type mismatch.
func TestVectorsConfigMissingSize(t *testing.T) {
	for _, body := range []string{`{"distance":"Cosine"}`, `{"distance":"Cosine","on_disk":true}`} {
		var vc VectorsConfig
		err := json.Unmarshal([]byte(body), &vc)
		if err == nil || !strings.Contains(err.Error(), "vectors.size: missing field") || strings.Contains(err.Error(), "engine.") {
			t.Errorf("%s: %v", body, err)
		}
	}
	var vc VectorsConfig
	if err := json.Unmarshal([]byte(`{"distance":{"size":2,"distance":"Dot"}}`), &vc); err != nil || vc["distance"].Size != 2 {
		t.Errorf("a vector named distance: %v %v", vc, err)
	}
}
