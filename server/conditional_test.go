package server

import (
	"strings"
	"testing"
)

// TestConditionalUpsertREST: update_mode and update_filter on PUT points
// and PUT points/vectors.
func TestConditionalUpsertREST(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,1],"payload":{"city":"Berlin"}},{"id":2,"vector":[2,2],"payload":{"city":"London"}}]}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[9,9],"payload":{"city":"X"}},{"id":3,"vector":[9,9],"payload":{"city":"X"}}],"update_mode":"insert_only"}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"batch":{"ids":[1,2,4],"vectors":[[8,8],[8,8],[8,8]]},"update_mode":"update_only","update_filter":{"must":[{"key":"city","match":{"value":"London"}}]}}`)
	mustOK(t, s, "PUT", "/collections/c/points/vectors?wait=true", `{"points":[{"id":1,"vector":[5,5]},{"id":3,"vector":[5,5]}],"update_filter":{"must":[{"key":"city","match":{"value":"X"}}]}}`)
	got := string(mustOK(t, s, "POST", "/collections/c/points", `{"ids":[1,2,3,4],"with_vector":true}`))
	for _, want := range []string{`"id":1,"payload":{"city":"Berlin"},"vector":[1.0,1.0]`, `"id":2,"payload":{},"vector":[8.0,8.0]`, `"id":3,"payload":{"city":"X"},"vector":[5.0,5.0]`} {
		if !strings.Contains(strings.ReplaceAll(got, `"shard_key":null,`, ""), want) {
			t.Errorf("points %s lack %s", got, want)
		}
	}
	if strings.Contains(got, `"id":4`) {
		t.Errorf("update_only inserted point 4: %s", got)
	}
}
