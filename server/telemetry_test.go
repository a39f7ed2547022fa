package server

import (
	"strings"
	"testing"
)

func TestTelemetrySections(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,1]},{"id":2,"vector":[1,2]}]}`)
	mustFail(t, s, "GET", "/collections/nope", "", 404)
	base := string(mustOK(t, s, "GET", "/telemetry", ""))
	if !strings.Contains(base, `"features":{"debug":false,"service_debug_feature":false,"recovery_mode":false,"gpu":false,"rocksdb":false,"staging":false}`) ||
		!strings.Contains(base, `"collections":{"number_of_collections":1}`) || strings.Contains(base, `"requests"`) {
		t.Fatalf("telemetry: %s", base)
	}
	got := decode[struct {
		Collections struct {
			Collections []struct {
				Vectors          int `json:"vectors"`
				OptimizersStatus any `json:"optimizers_status"`
				Params           struct {
					ShardNumber int `json:"shard_number"`
				} `json:"params"`
			} `json:"collections"`
		} `json:"collections"`
		Requests struct {
			REST struct {
				Responses map[string]map[string]struct {
					Count int `json:"count"`
				} `json:"responses"`
			} `json:"rest"`
		} `json:"requests"`
	}](t, mustOK(t, s, "GET", "/telemetry?details_level=1", ""))
	if cs := got.Collections.Collections; len(cs) != 1 || cs[0].Vectors != 2 || cs[0].OptimizersStatus != "ok" || cs[0].Params.ShardNumber != 1 {
		t.Fatalf("collections %+v", cs)
	}
	rest := got.Requests.REST.Responses
	if rest["PUT /collections/{name}"]["200"].Count != 1 || rest["GET /collections/{name}"]["404"].Count != 1 || rest["GET /telemetry"]["200"].Count != 1 {
		t.Fatalf("rest responses %+v", rest)
	}
	mustFail(t, s, "GET", "/telemetry?details_level=x", "", 400, "details_level")
}
