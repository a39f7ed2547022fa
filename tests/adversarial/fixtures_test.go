package adversarial

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// createCollection creates a collection of dim-sized vectors; extra is
// merged over the body.
func (c *cairn) createCollection(name string, dim int, extra map[string]any) {
	c.t.Helper()
	body := map[string]any{"vectors": map[string]any{"size": dim, "distance": "Dot"}}
	merge(body, extra)
	c.must(200, http.MethodPut, "/collections/"+name, body)
}

// vec is point i's deterministic vector.
func vec(i, dim int) []float32 {
	r := rand.New(rand.NewPCG(uint64(i), 21))
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(r.Float64()*2 - 1)
	}
	return v
}

// upsert writes points [from, to) with wait=true in batches.
func (c *cairn) upsert(name string, dim, from, to int) {
	c.t.Helper()
	for lo := from; lo < to; lo += 500 {
		hi := min(lo+500, to)
		pts := make([]map[string]any, 0, hi-lo)
		for i := lo; i < hi; i++ {
			pts = append(pts, map[string]any{"id": i, "vector": vec(i, dim), "payload": map[string]any{"i": i}})
		}
		c.must(200, http.MethodPut, "/collections/"+name+"/points?wait=true", map[string]any{"points": pts})
	}
}

// count is the exact point count of a collection.
func (c *cairn) count(name string) int {
	c.t.Helper()
	res := c.must(200, http.MethodPost, "/collections/"+name+"/points/count", map[string]any{"exact": true})
	n, _ := res.Result().(map[string]any)["count"].(float64)
	return int(n)
}

// waitFor polls cond until it holds or the bound passes (a bound on a
// background job, checked on a condition, never a sleep standing in for one).
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// segmentFiles lists the meta.seg files of a collection's sealed segments.
func (c *cairn) segmentFiles(name string) []string {
	m, _ := filepath.Glob(filepath.Join(c.storage, "collections", name, "shard-*", "segments", "*", "meta.seg"))
	sealed := m[:0]
	for _, f := range m {
		// A seal writes seg-N.tmp and renames it: a .tmp folder is a seal
		// under way, which a shutdown may abandon (its points stay in the
		// WAL), not a sealed segment.
		if !strings.HasSuffix(filepath.Dir(f), ".tmp") {
			sealed = append(sealed, f)
		}
	}
	return sealed
}

// sealedCollection creates a dim-d collection that seals small segments
// and holds n points, and waits until at least one segment is sealed.
func (c *cairn) sealedCollection(name string, dim, n int, extra map[string]any) {
	c.t.Helper()
	body := map[string]any{"optimizers_config": map[string]any{"indexing_threshold": 1}, "hnsw_config": map[string]any{"m": 0}}
	merge(body, extra)
	c.createCollection(name, dim, body)
	c.upsert(name, dim, 0, n)
	waitFor(c.t, "a sealed segment of "+name, 60*time.Second, func() bool { return len(c.segmentFiles(name)) > 0 })
}

// search runs a plain search and returns the answer.
func (c *cairn) search(name string, dim int) response {
	c.t.Helper()
	return c.do(http.MethodPost, "/collections/"+name+"/points/search", map[string]any{"vector": vec(1, dim), "limit": 5})
}

// noPath fails when an answer shows one of the server's absolute paths.
func (c *cairn) noPath(res response) {
	c.t.Helper()
	for _, p := range []string{c.dir, c.storage, os.TempDir() + "/"} {
		if bytes.Contains(res.Body, []byte(p)) {
			c.t.Errorf("answer shows the absolute server path %s: %s", p, res)
			return
		}
	}
}
