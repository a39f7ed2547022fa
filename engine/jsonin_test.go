package engine

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestSearchParamsIntegerTypes checks that hnsw_ef takes a JSON integer
// only: a string spelling a number ("8") is refused in serde's words, as
// Qdrant refuses it (before, json.Number read it as 8, and "abc" answered
// with Go's decoder wording).
func TestSearchParamsIntegerTypes(t *testing.T) {
	for body, want := range map[string]string{
		`{"hnsw_ef":"8"}`:   "Wrong input: params.hnsw_ef: invalid type: string \"8\", expected usize",
		`{"hnsw_ef":"abc"}`: "Wrong input: params.hnsw_ef: invalid type: string \"abc\", expected usize",
		`{"hnsw_ef":true}`:  "Wrong input: params.hnsw_ef: invalid type: boolean `true`, expected usize",
		`{"hnsw_ef":1.5}`:   "Wrong input: params.hnsw_ef: invalid type: floating point `1.5`, expected usize",
		`{"hnsw_ef":-1}`:    "Wrong input: params.hnsw_ef: invalid value: integer `-1`, expected usize",
		`{"hnsw_ef":[8]}`:   "Wrong input: params.hnsw_ef: invalid type: sequence, expected usize",
	} {
		var p SearchParams
		err := json.Unmarshal([]byte(body), &p)
		if !errors.Is(err, ErrBadRequest) || err.Error() != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	var p SearchParams
	if err := json.Unmarshal([]byte(`{"hnsw_ef":0}`), &p); !errors.Is(err, ErrInvalid) {
		t.Errorf("hnsw_ef 0: %v, want ErrInvalid", err)
	}
	for body, want := range map[string]int{`{"hnsw_ef":8}`: 8, `{"hnsw_ef":null}`: -1, `{}`: -1} {
		var p SearchParams
		if err := json.Unmarshal([]byte(body), &p); err != nil || (want < 0) != (p.HnswEf == nil) || (p.HnswEf != nil && *p.HnswEf != want) {
			t.Errorf("%s: %+v, %v", body, p, err)
		}
	}
	var th OptimizationThreads
	if err := json.Unmarshal([]byte(`"8"`), &th); !errors.Is(err, ErrBadRequest) {
		t.Errorf(`max_optimization_threads "8": %+v, %v, want ErrBadRequest`, th, err)
	}
	if err := json.Unmarshal([]byte(`8`), &th); err != nil || th.N != 8 || th.Auto {
		t.Errorf("max_optimization_threads 8: %+v, %v", th, err)
	}
}
