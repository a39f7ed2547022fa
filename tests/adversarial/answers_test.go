package adversarial

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestFloatsWrittenAsFloats: whole-number components and scores are JSON
// floats (`1.0`), never integers, in every answer carrying vectors or scores.
func TestFloatsWrittenAsFloats(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	c.must(200, http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0,0,0]},{"id":2,"vector":[0,2,0,0]}]}`)
	q := []any{1, 0, 0, 0}
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"get point", http.MethodGet, "/collections/c/points/1", nil},
		{"get points", http.MethodPost, "/collections/c/points", map[string]any{"ids": []int{1, 2}, "with_vector": true}},
		{"scroll", http.MethodPost, "/collections/c/points/scroll", map[string]any{"with_vector": true}},
		{"search", http.MethodPost, "/collections/c/points/search", map[string]any{"vector": q, "limit": 2, "with_vector": true}},
		{"search batch", http.MethodPost, "/collections/c/points/search/batch", map[string]any{"searches": []any{map[string]any{"vector": q, "limit": 2, "with_vector": true}}}},
		{"recommend", http.MethodPost, "/collections/c/points/recommend", map[string]any{"positive": []int{1}, "limit": 2, "with_vector": true}},
		{"query", http.MethodPost, "/collections/c/points/query", map[string]any{"query": q, "limit": 2, "with_vector": true}},
	} {
		res := c.do(tc.method, tc.path, tc.body)
		if res.Status != 200 {
			t.Errorf("%s: %s", tc.name, res)
			continue
		}
		var seen int
		for _, num := range floatFields(t, res.Body) {
			seen++
			if !strings.ContainsAny(num, ".eE") {
				t.Errorf("%s: float written as the integer %s: %s", tc.name, num, res)
				break
			}
		}
		if seen == 0 {
			t.Errorf("%s: no vector or score in %s", tc.name, res)
		}
	}
}

// floatFields returns the literal numbers of every "vector" and "score"
// value in a JSON document.
func floatFields(t *testing.T, b []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any, inFloat bool)
	walk = func(v any, inFloat bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, inFloat || k == "vector" || k == "score")
			}
		case []any:
			for _, e := range x {
				walk(e, inFloat)
			}
		case json.Number:
			if inFloat {
				out = append(out, string(x))
			}
		}
	}
	walk(v, false)
	return out
}

// TestHugeComponentsNo500: a vector with components near 3.4e38 is either
// refused at upsert (400) or searched without a 500 and without a
// non-finite score.
func TestHugeComponentsNo500(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	c.upsert("c", 4, 0, 10)
	big := `[3.4e38,3.4e38,3.4e38,3.4e38]`
	up := c.do(http.MethodPut, "/collections/c/points?wait=true", `{"points":[{"id":100,"vector":`+big+`}]}`)
	if up.Status != 200 && up.Status != 400 {
		t.Fatalf("upsert of 3.4e38 components: want 200 or 400, got %s", up)
	}
	for _, body := range []string{
		`{"vector":` + big + `,"limit":3}`,
		`{"vector":[1,1,1,1],"limit":3}`,
	} {
		res := c.do(http.MethodPost, "/collections/c/points/search", body)
		if res.Status >= 500 {
			t.Errorf("search %s: %s", body, res)
		}
		for _, s := range floatFields(t, res.Body) {
			if f, err := json.Number(s).Float64(); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				t.Errorf("search %s: non-finite %s", body, s)
			}
		}
	}
}

// TestPayloadRefusedAtUpsert: a payload nested 10,000 deep and invalid
// UTF-8 in payload keys or values are refused (400) at upsert, and what was
// stored before is still served; a request field named twice is refused;
// duplicate payload keys are refused or keep the last value (Qdrant).
func TestPayloadRefusedAtUpsert(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	c.upsert("c", 4, 0, 10)
	point := func(payload string) []byte {
		return []byte(`{"points":[{"id":1,"vector":[0.1,0.2,0.3,0.4],"payload":` + payload + `}]}`)
	}
	// The payload object itself is level 1: 10,000 levels in all.
	deep := strings.Repeat(`{"a":`, 9999) + "1" + strings.Repeat("}", 9999)
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"nested 10,000 deep", point(`{"d":` + deep + `}`)},
		{"invalid UTF-8 value", point("{\"city\":\"Os\xfflo\"}")},
		{"invalid UTF-8 key", point("{\"ci\xc3\x28ty\":\"Oslo\"}")},
	} {
		res := c.do(http.MethodPut, "/collections/c/points?wait=true", tc.body)
		if res.Status != 400 || res.ErrMsg() == "" {
			t.Errorf("%s: want 400 envelope, got %s", tc.name, res)
		}
	}
	if res := c.do(http.MethodPost, "/collections/c/points/scroll", map[string]any{"limit": 100, "with_payload": true}); res.Status != 200 {
		t.Errorf("scroll after the refused upserts: %s", res)
	}
	// Whatever the documented depth limit, a payload is either refused at
	// upsert or served back: never stored and then unanswerable.
	for _, n := range []int{64, 1000, 9994, 9996, 9997, 9998} {
		body := point(`{"d":` + strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) + `}`)
		up := c.do(http.MethodPut, "/collections/c/points?wait=true", bytes.ReplaceAll(body, []byte(`"id":1,`), []byte(`"id":500,`)))
		if up.Status == 400 {
			continue
		}
		get := c.do(http.MethodGet, "/collections/c/points/500", nil)
		scroll := c.do(http.MethodPost, "/collections/c/points/scroll", map[string]any{"limit": 1000, "with_payload": true})
		if up.Status != 200 || get.Status != 200 || scroll.Status != 200 {
			t.Errorf("payload %d deep: upsert %d, then retrieve %s, scroll %s", n+1, up.Status, get, scroll)
		}
	}
	c.must(200, http.MethodPost, "/collections/c/points/delete?wait=true", map[string]any{"points": []int{500}})
	got := c.must(200, http.MethodGet, "/collections/c/points/1", nil)
	if p, _ := got.Result().(map[string]any)["payload"].(map[string]any); p["i"] != 1.0 || len(p) != 1 {
		t.Errorf("point 1 changed by a refused upsert: %s", got)
	}
	// A request object naming a field twice is refused, as Qdrant's parser
	// refuses a duplicate struct field.
	for _, body := range []string{
		`{"vector":[1,1,1,1],"limit":1,"limit":2}`,
		`{"vector":[1,1,1,1],"limit":2,"params":{"hnsw_ef":8,"hnsw_ef":9}}`,
	} {
		if res := c.do(http.MethodPost, "/collections/c/points/search", body); res.Status != 400 || !strings.Contains(res.ErrMsg(), "duplicate") {
			t.Errorf("duplicate field in %s: want 400 duplicate field, got %s", body, res)
		}
	}
	// Duplicate payload keys: refused, or the last value kept as Qdrant's
	// map parser does; never both, never a mix.
	for _, tc := range []struct{ payload, key, last string }{
		{`{"city":"Oslo","city":"Bergen"}`, "city", `"Bergen"`},
		{`{"a":{"b":1,"b":2}}`, "a", `{"b":2}`},
	} {
		res := c.do(http.MethodPut, "/collections/c/points?wait=true", bytes.ReplaceAll(point(tc.payload), []byte(`"id":1,`), []byte(`"id":7,`)))
		if res.Status == 400 {
			continue
		}
		got := c.must(200, http.MethodGet, "/collections/c/points/7", nil)
		p, _ := got.Result().(map[string]any)["payload"].(map[string]any)
		if b, _ := json.Marshal(p[tc.key]); res.Status != 200 || string(b) != tc.last {
			t.Errorf("duplicate payload key %s: upsert %d, stored %s, want refused or %s", tc.payload, res.Status, b, tc.last)
		}
	}
}

// TestUnknownRoutes404: unknown routes and known paths with another method
// answer 404 in Qdrant's envelope, never 405.
func TestUnknownRoutes404(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/no/such/route"},
		{http.MethodDelete, "/collections/c/points/scroll"},
		{http.MethodPatch, "/collections/c/points/search"},
		{http.MethodPost, "/collections/c/exists"},
		{http.MethodPut, "/snapshots"},
	} {
		res := c.do(rt.method, rt.path, nil)
		if res.Status != 404 || res.ErrMsg() == "" {
			t.Errorf("%s %s: want 404 envelope, got %s", rt.method, rt.path, res)
		}
		if _, ok := res.JSON()["time"]; !ok {
			t.Errorf("%s %s: envelope without time: %s", rt.method, rt.path, res)
		}
	}
}

// TestFileLocations: `file://` recover locations answer as Qdrant does.
func TestFileLocations(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	c.upsert("c", 4, 0, 10)
	c.must(200, http.MethodPost, "/collections/c/snapshots?wait=true", nil)
	inside := filepath.Join(c.snapshots, "c", "absent.snapshot")
	outside := filepath.Join(c.dir, "config.yaml")
	for _, tc := range []struct {
		name, location string
		status         int
		msg            string
	}{
		{"host-qualified", "file://example.com" + inside, 400, "Invalid snapshot URI, file path must be absolute or on localhost"},
		{"relative", "file://snapshots/c/absent.snapshot", 400, "Invalid snapshot URI, file path must be absolute or on localhost"},
		{"absent inside", "file://" + inside, 400, `Snapshot file "`},
		{"outside", "file://" + outside, 403, "Forbidden: Snapshot file path must be inside the snapshots directory"},
	} {
		res := c.do(http.MethodPut, "/collections/c/snapshots/recover", map[string]any{"location": tc.location})
		if res.Status != tc.status || !strings.Contains(res.ErrMsg(), tc.msg) {
			t.Errorf("%s (%s): want %d %q, got %s", tc.name, tc.location, tc.status, tc.msg, res)
		}
		if tc.name == "absent inside" && !strings.Contains(res.ErrMsg(), "does not exist") {
			t.Errorf("%s: want `does not exist`, got %s", tc.name, res)
		}
		if tc.name == "outside" && !strings.HasPrefix(res.ErrMsg(), tc.msg) {
			t.Errorf("%s: the message must start with %q: %s", tc.name, tc.msg, res)
		}
	}
	if n := c.count("c"); n != 10 {
		t.Errorf("refused recovers changed the collection: %d points", n)
	}
}

// TestMalformedChecksum: a malformed checksum's message says
// invalid_sha256_hash, as Qdrant's.
func TestMalformedChecksum(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	snap := c.must(200, http.MethodPost, "/collections/c/snapshots?wait=true", nil)
	name, _ := snap.Result().(map[string]any)["name"].(string)
	loc := "file://" + filepath.Join(c.snapshots, "c", name)
	res := c.do(http.MethodPut, "/collections/c/snapshots/recover", map[string]any{"location": loc, "checksum": "not-a-hash"})
	if res.Status < 400 || res.Status >= 500 || !strings.Contains(res.ErrMsg(), "invalid_sha256_hash") {
		t.Errorf("recover with a malformed checksum: want a 4xx naming invalid_sha256_hash, got %s", res)
	}
}

// TestCollectionNamedLikeAlias: creating a collection whose name is an
// existing alias answers 400 `Alias … already exists!`.
func TestCollectionNamedLikeAlias(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	c.must(200, http.MethodPost, "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"create_alias": map[string]any{"collection_name": "c", "alias_name": "al"}}}})
	res := c.do(http.MethodPut, "/collections/al", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}})
	if res.Status != 400 || !strings.Contains(res.ErrMsg(), "already exists") || !strings.Contains(res.ErrMsg(), "al") {
		t.Errorf("create a collection named like an alias: want 400 `Alias al already exists!`, got %s", res)
	}
}

// TestQuantizationConfigAnswered: info always carries quantization_config
// (null when unset); binary quantization_config (only scalar int8 is
// implemented) and datatype in a create are refused with 400 naming the
// setting, not silently dropped.
func TestQuantizationConfigAnswered(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("c", 4, nil)
	info := c.must(200, http.MethodGet, "/collections/c", nil)
	cfg, _ := info.Result().(map[string]any)["config"].(map[string]any)
	if q, ok := cfg["quantization_config"]; !ok || q != nil {
		t.Errorf("info config.quantization_config: want present and null, got %v (present %v)", q, ok)
	}
	for _, tc := range []struct {
		setting string
		body    map[string]any
	}{
		{"quantization_config", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"},
			"quantization_config": map[string]any{"binary": map[string]any{"always_ram": true}}}},
		{"datatype", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot", "datatype": "uint8"}}},
	} {
		res := c.do(http.MethodPut, "/collections/q-"+tc.setting, tc.body)
		if res.Status != 400 || !strings.Contains(res.ErrMsg(), tc.setting) {
			t.Errorf("%s in a create: want 400 naming it, got %s", tc.setting, res)
		}
	}
}
