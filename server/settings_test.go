package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/payload"
)

// TestUnsupportedSettingsRefused: settings Cairn does not implement answer
// 400 naming the setting, on create and on update, and change nothing;
// their null and default values are accepted.
func TestUnsupportedSettingsRefused(t *testing.T) {
	s := newEngineServer(t, Options{})
	for _, body := range []string{
		`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"product":{"compression":"x16"}}}`,
		`{"vectors":{"size":4,"distance":"Dot","datatype":"uint8"}}`,
		`{"vectors":{"size":4,"distance":"Dot","quantization_config":{"binary":{}}}}`,
		`{"vectors":{"size":4,"distance":"Dot"},"strict_mode_config":{"enabled":true,"multivector_config":{"v":{"max_vectors":2}}}}`,
		`{"vectors":{"size":4,"distance":"Dot"},"sharding_method":"custom"}`,
		`{"vectors":{"size":4,"distance":"Dot"},"hnsw_config":{"inline_storage":true}}`,
	} {
		mustFail(t, s, http.MethodPut, "/collections/c", body, http.StatusBadRequest, "not supported by Cairn")
		if r := call(t, s, http.MethodGet, "/collections/c/exists", ""); string(r.result) != `{"exists":false}` {
			t.Fatalf("%s: refused collection exists: %s", body, r.raw)
		}
	}
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot","datatype":"float32","quantization_config":null},"quantization_config":null,"sharding_method":"auto","strict_mode_config":{"enabled":false}}`)
	before := string(mustOK(t, s, http.MethodGet, "/collections/c", ""))
	for _, body := range []string{
		`{"quantization_config":{"scalar":{"type":"int8"}}}`,
		`{"vectors":{"":{"quantization_config":{"scalar":{"type":"int8"}}}}}`,
		`{"params":{"read_fan_out_factor":2}}`,
		`{"optimizers_config":{"deleted_threshold":0.5,"prevent_unoptimized":true}}`,
	} {
		mustFail(t, s, http.MethodPatch, "/collections/c", body, http.StatusBadRequest, "not supported by Cairn")
	}
	after := string(mustOK(t, s, http.MethodGet, "/collections/c", ""))
	strip := func(s string) string { i := strings.Index(s, `"config"`); return s[i:] }
	if strip(before) != strip(after) {
		t.Fatalf("a refused update changed the config:\n%s\n%s", before, after)
	}
	mustOK(t, s, http.MethodPatch, "/collections/c", `{"quantization_config":null,"optimizers_config":{"deleted_threshold":0.5}}`)
	// Metadata is bounded as a payload is.
	deep := nestedPayload(payload.MaxDepth + 1)
	mustFail(t, s, http.MethodPatch, "/collections/c", `{"metadata":`+deep+`}`, http.StatusBadRequest, "metadata: ", "nested deeper than 128 levels")
	mustFail(t, s, http.MethodPut, "/collections/m", `{"vectors":{"size":4,"distance":"Dot"},"metadata":`+deep+`}`, http.StatusBadRequest, "metadata: ", "nested deeper")
	mustOK(t, s, http.MethodPatch, "/collections/c", `{"metadata":`+nestedPayload(payload.MaxDepth)+`}`)
}

// TestInfoCarriesQuantizationConfig: collection info always carries
// config.quantization_config (null), as Qdrant's does.
func TestInfoCarriesQuantizationConfig(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`)
	info := decode[struct {
		Config map[string]json.RawMessage `json:"config"`
	}](t, mustOK(t, s, http.MethodGet, "/collections/c", ""))
	for _, k := range []string{"params", "hnsw_config", "optimizer_config", "wal_config", "quantization_config"} {
		if _, ok := info.Config[k]; !ok {
			t.Errorf("config lacks %s: %v", k, info.Config)
		}
	}
	if q := string(info.Config["quantization_config"]); q != "null" {
		t.Errorf("quantization_config %s, want null", q)
	}
}

// TestInfoAndEnvelopeFloats: the info's float setting and the envelope's
// time are written in a float's spelling, as Qdrant writes them.
func TestInfoAndEnvelopeFloats(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"optimizers_config":{"deleted_threshold":1}}`)
	r := call(t, s, http.MethodGet, "/collections/c", "")
	if !strings.Contains(r.raw, `"deleted_threshold":1.0`) {
		t.Fatalf("deleted_threshold: %s", r.raw)
	}
	out, err := codec{}.marshal(okBody{Result: true, Status: "ok"})
	if err != nil || !strings.Contains(string(out), `"time":0.0`) {
		t.Fatalf("envelope %s %v", out, err)
	}
}

// TestHnswEfBounds: hnsw_ef is a positive integer in Qdrant's schema; -1
// is refused as its parser refuses it (400), 0 as its validation does
// (422), wherever search params are given.
func TestHnswEfBounds(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	p := "/collections/c/points/"
	for _, tt := range []struct {
		ef   string
		code int
	}{{"-1", 400}, {"1.5", 400}, {"99999999999", 400}, {"0", 422}} {
		params := `"params":{"hnsw_ef":` + tt.ef + `}`
		mustFail(t, s, http.MethodPost, p+"search", `{"vector":[1,0],"limit":1,`+params+`}`, tt.code, "hnsw_ef")
		mustFail(t, s, http.MethodPost, p+"search/batch", `{"searches":[{"vector":[1,0],"limit":1,`+params+`}]}`, tt.code, "hnsw_ef")
		mustFail(t, s, http.MethodPost, p+"query", `{"query":[1,0],`+params+`}`, tt.code, "hnsw_ef")
		mustFail(t, s, http.MethodPost, p+"recommend", `{"positive":[[1,0]],"limit":1,`+params+`}`, tt.code, "hnsw_ef")
	}
	mustOK(t, s, http.MethodPost, p+"search", `{"vector":[1,0],"limit":1,"params":{"hnsw_ef":1,"exact":true}}`)
	mustOK(t, s, http.MethodPost, p+"search", `{"vector":[1,0],"limit":1,"params":{"hnsw_ef":null}}`)
}

// TestMaxOptimizationThreadsBody: max_optimization_threads takes a number
// or Qdrant's "auto" (reported as null) on create and update; anything else
// answers 400 naming it.
func TestMaxOptimizationThreadsBody(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"optimizers_config":{"max_optimization_threads":0}}`)
	if r := call(t, s, http.MethodGet, "/collections/c", ""); !strings.Contains(r.raw, `"max_optimization_threads":0`) {
		t.Fatalf("info after create with 0: %s", r.raw)
	}
	mustOK(t, s, http.MethodPatch, "/collections/c", `{"optimizers_config":{"max_optimization_threads":"auto"}}`)
	if r := call(t, s, http.MethodGet, "/collections/c", ""); !strings.Contains(r.raw, `"max_optimization_threads":null`) {
		t.Fatalf("info after PATCH to auto: %s", r.raw)
	}
	mustOK(t, s, http.MethodPut, "/collections/a", `{"vectors":{"size":4,"distance":"Dot"},"optimizers_config":{"max_optimization_threads":"auto"}}`)
	for _, v := range []string{`-1`, `"many"`, `2.5`} {
		mustFail(t, s, http.MethodPatch, "/collections/c", `{"optimizers_config":{"max_optimization_threads":`+v+`}}`,
			http.StatusBadRequest, "max_optimization_threads")
	}
}

// TestFullScanThresholdMinimum: a request's full_scan_threshold below 10
// answers 422 naming it, as Qdrant's validation of HnswConfigDiff does.
func TestFullScanThresholdMinimum(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustFail(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"hnsw_config":{"full_scan_threshold":9}}`,
		http.StatusUnprocessableEntity, "full_scan_threshold: value 9 invalid, must be 10 or more")
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"hnsw_config":{"full_scan_threshold":10}}`)
	mustFail(t, s, http.MethodPatch, "/collections/c", `{"hnsw_config":{"full_scan_threshold":0}}`,
		http.StatusUnprocessableEntity, "full_scan_threshold")
}

// TestScalarQuantizationOverHTTP: a collection created with scalar int8
// quantization shows it in its info, stores and searches points, and
// params.quantization is read and bounded in search and in the query API's
// prefetch (engine's TestQuantizedSearch covers sealed, quantized segments).
func TestScalarQuantizationOverHTTP(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, http.MethodPut, "/collections/q", `{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"scalar":{"type":"int8","quantile":0.99,"always_ram":true}}}`)
	info := decode[struct {
		Config map[string]json.RawMessage `json:"config"`
	}](t, mustOK(t, s, http.MethodGet, "/collections/q", ""))
	if q := string(info.Config["quantization_config"]); q != `{"scalar":{"type":"int8","quantile":0.99,"always_ram":true}}` {
		t.Fatalf("quantization_config %s", q)
	}
	mustOK(t, s, http.MethodPut, "/collections/q/points?wait=true", `{"points":[{"id":1,"vector":[1,0,0,0]},{"id":2,"vector":[0,1,0,0]},{"id":3,"vector":[0.5,0.5,0,0]}]}`)
	for _, params := range []string{`{}`, `{"quantization":{"ignore":true}}`, `{"quantization":{"rescore":true,"oversampling":2.5}}`} {
		res := string(mustOK(t, s, http.MethodPost, "/collections/q/points/search", `{"vector":[1,0,0,0],"limit":1,"params":`+params+`}`))
		if !strings.Contains(res, `"id":1`) {
			t.Errorf("params %s: %s", params, res)
		}
	}
	mustFail(t, s, http.MethodPost, "/collections/q/points/search", `{"vector":[1,0,0,0],"limit":1,"params":{"quantization":{"oversampling":0.5}}}`,
		http.StatusBadRequest, "oversampling")
	mustFail(t, s, http.MethodPost, "/collections/q/points/query", `{"prefetch":[{"query":[1,0,0,0],"params":{"quantization":{"oversampling":0.5}}}],"query":[1,0,0,0]}`,
		http.StatusBadRequest, "oversampling")
}
