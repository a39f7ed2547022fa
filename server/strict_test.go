package server

import (
	"strings"
	"testing"
)

// TestStrictModeREST: strict_mode_config set by create and PATCH, shown in
// the info, enforced with Qdrant's codes (400 for limits, 429 with
// Retry-After for rate limits), and its unsupported fields refused.
func TestStrictModeREST(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"strict_mode_config":{"enabled":true,"max_query_limit":3}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,2,3,4]},{"id":2,"vector":[1,2,3,5]}]}`)
	mustOK(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"write_rate_limit":1,"max_timeout":2}}`)
	info := string(mustOK(t, s, "GET", "/collections/c", ""))
	if !strings.Contains(info, `"strict_mode_config":{"enabled":true,"max_query_limit":3,"max_timeout":2,"write_rate_limit":1}`) {
		t.Fatalf("info: %s", info)
	}
	mustFail(t, s, "POST", "/collections/c/points/search", `{"vector":[1,1,1,1],"limit":4}`, 400,
		`Bad request: Limit exceeded 4 > 3 for "limit". Help: Reduce the "limit" parameter to or below 3.`)
	mustFail(t, s, "POST", "/collections/c/points/search?timeout=3", `{"vector":[1,1,1,1],"limit":1}`, 400, `for "timeout"`)
	mustOK(t, s, "POST", "/collections/c/points/search?timeout=2", `{"vector":[1,1,1,1],"limit":3}`)
	mustFail(t, s, "PUT", "/collections/c/points?wait=true&timeout=5", `{"points":[{"id":3,"vector":[1,2,3,4]}]}`, 400, `Limit exceeded 5 > 2 for "timeout"`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true&timeout=2", `{"points":[{"id":3,"vector":[1,2,3,4]}]}`)
	rec := do(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":4,"vector":[1,2,3,4]}]}`)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "60" ||
		!strings.Contains(rec.Body.String(), "Rate limiting exceeded: Write rate limit exceeded: Operation requires 1 tokens but only 0.0 were available. Retry after 60s") {
		t.Fatalf("rate limited: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	mustFail(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"multivector_config":{"v":{"max_vectors":2}}}}`, 400, "strict_mode_config.multivector_config")
	mustFail(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"max_query_limit":0}}`, 422, "max_query_limit")
	// Disabled: no check, and the rate limit no longer applies.
	mustOK(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"enabled":false}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":4,"vector":[1,2,3,4]}]}`)
	mustOK(t, s, "POST", "/collections/c/points/search", `{"vector":[1,1,1,1],"limit":4}`)
}

// TestStrictModeSparseAndPayloadSizeREST: sparse_config and
// max_collection_payload_size_bytes are stored, shown, PATCHed and
// enforced with Qdrant's messages (400), nothing written by a refusal.
func TestStrictModeSparseAndPayloadSizeREST(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"d":{"size":2,"distance":"Dot"}},"sparse_vectors":{"s":{}},`+
		`"strict_mode_config":{"enabled":true,"sparse_config":{"s":{"max_length":2}}}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":{"d":[1,2],"s":{"indices":[1,2],"values":[1,1]}},"payload":{"a":"bcd"}}]}`)
	mustFail(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":2,"vector":{"d":[1,2],"s":{"indices":[1,2,3],"values":[1,1,1]}}}]}`, 400,
		`Bad request: Sparse vector 's' has a limit of 2 indices, but 3 were provided!`)
	mustFail(t, s, "PUT", "/collections/c/points/vectors?wait=true", `{"points":[{"id":1,"vector":{"s":{"indices":[1,2,3],"values":[1,1,1]}}}]}`, 400,
		`Sparse vector 's' has a limit of 2 indices, but 3 were provided!`)
	mustFail(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"sparse_config":{"s":{"max_length":0}}}}`, 422, "max_length")
	mustOK(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"max_collection_payload_size_bytes":12}}`)
	info := string(mustOK(t, s, "GET", "/collections/c", ""))
	if !strings.Contains(info, `"strict_mode_config":{"enabled":true,"max_collection_payload_size_bytes":12,"sparse_config":{"s":{"max_length":2}}}`) {
		t.Fatalf("info: %s", info)
	}
	// {"a":"bcd"} is 11 bytes: under the limit, so one more write passes.
	mustOK(t, s, "POST", "/collections/c/points/payload?wait=true", `{"points":[1],"payload":{"e":1}}`)
	mustFail(t, s, "POST", "/collections/c/points/payload?wait=true", `{"points":[1],"payload":{"f":1}}`, 400,
		`Bad request: Max payload storage size limit of 0.000011444092MB reached!`)
	mustFail(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":3,"vector":{"d":[1,2]}}]}`, 400, "Max payload storage size limit")
	body := string(mustOK(t, s, "POST", "/collections/c/points/count", `{"exact":true}`))
	if !strings.Contains(body, `"count":1`) {
		t.Fatalf("count: %s", body)
	}
}
