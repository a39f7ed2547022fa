package server

import (
	"strings"
	"testing"
)

func TestClusterRoutes(t *testing.T) {
	s := newEngineServer(t, Options{})
	if got := string(mustOK(t, s, "GET", "/cluster", "")); got != `{"status":"disabled"}` {
		t.Fatalf("/cluster: %s", got)
	}
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"},"shard_number":2}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,1]},{"id":2,"vector":[1,2]},{"id":3,"vector":[1,3]}]}`)
	got := string(mustOK(t, s, "GET", "/collections/c/cluster", ""))
	for _, want := range []string{`"shard_count":2`, `"shard_id":0,`, `"shard_id":1,`, `"state":"Active"`, `"remote_shards":[]`, `"shard_transfers":[]`, `"peer_id":`} {
		if !strings.Contains(got, want) {
			t.Errorf("cluster info %s lacks %s", got, want)
		}
	}
	info := decode[struct {
		PeerID      uint64 `json:"peer_id"`
		LocalShards []struct {
			PointsCount int `json:"points_count"`
		} `json:"local_shards"`
	}](t, mustOK(t, s, "GET", "/collections/c/cluster", ""))
	if info.PeerID == 0 || info.LocalShards[0].PointsCount+info.LocalShards[1].PointsCount != 3 {
		t.Fatalf("cluster info %+v", info)
	}
	mustFail(t, s, "GET", "/collections/nope/cluster", "", 404, "nope")
	// A method the route does not have is Qdrant's 404, not 405.
	mustFail(t, s, "DELETE", "/cluster", "", 404)
}

func TestOptimizationsRoute(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	got := string(mustOK(t, s, "GET", "/collections/c/optimizations", ""))
	if got != `{"summary":{"queued_optimizations":0,"queued_segments":0,"queued_points":0,"idle_segments":0},"running":[]}` {
		t.Fatalf("optimizations: %s", got)
	}
	got = string(mustOK(t, s, "GET", "/collections/c/optimizations?with=queued,completed,idle_segments&completed_limit=3", ""))
	if !strings.Contains(got, `"queued":[]`) || !strings.Contains(got, `"completed":[]`) || !strings.Contains(got, `"idle_segments":[]`) {
		t.Fatalf("optimizations with lists: %s", got)
	}
	mustFail(t, s, "GET", "/collections/c/optimizations?with=later", "", 400, "with")
	mustFail(t, s, "GET", "/collections/c/optimizations?completed_limit=-1", "", 400, "completed_limit")
	mustFail(t, s, "GET", "/collections/nope/optimizations", "", 404, "nope")
}
