package adversarial

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLongAndEncodedNamesSnapshot: every valid name (up to 255 bytes,
// percent-encoded text, a name like a full-snapshot file) can be
// snapshotted, listed, downloaded and restored.
func TestLongAndEncodedNamesSnapshot(t *testing.T) {
	c := start(t, opts{})
	names := []string{
		strings.Repeat("a", 194),
		strings.Repeat("b", 243),
		strings.Repeat("c", 255),
		"a%2Fb",
		"full-snapshot-2026-12-07-00-00-00.snapshot", // names[4]
		strings.Repeat("é", 127),                     // 254 bytes
	}
	for _, name := range names {
		short := name
		if len(short) > 24 {
			short = short[:24] + "…"
		}
		p := "/collections/" + url.PathEscape(name)
		if res := c.do(http.MethodPut, p, map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}}); res.Status != 200 {
			t.Errorf("%s (%d bytes): create: %s", short, len(name), res)
			continue
		}
		c.upsert(url.PathEscape(name), 4, 0, 25)
		res := c.do(http.MethodPost, p+"/snapshots?wait=true", nil)
		if res.Status != 200 {
			t.Errorf("%s (%d bytes): snapshot: %s", short, len(name), res)
			continue
		}
		snap, _ := res.Result().(map[string]any)["name"].(string)
		list := c.do(http.MethodGet, p+"/snapshots", nil)
		if list.Status != 200 || !strings.Contains(string(list.Body), snap) {
			t.Errorf("%s: listing does not show %s: %s", short, snap, list)
		}
		dl, err := c.try(req{method: http.MethodGet, path: p + "/snapshots/" + url.PathEscape(snap)})
		if err != nil || dl.Status != 200 {
			t.Errorf("%s: download %s: %v %s", short, snap, err, dl)
			continue
		}
		c.must(200, http.MethodPost, p+"/points/delete?wait=true", map[string]any{"points": []int{0, 1, 2}})
		if res := c.upload(name, dl.Body); res.Status != 200 {
			t.Errorf("%s: restore: %s", short, res)
			continue
		}
		if n := c.count(url.PathEscape(name)); n != 25 {
			t.Errorf("%s: restored %d points, want 25", short, n)
		}
		if res := c.do(http.MethodDelete, p+"/snapshots/"+url.PathEscape(snap), nil); res.Status != 200 {
			t.Errorf("%s: delete snapshot: %s", short, res)
		}
	}
	// The full snapshots folder is not broken by a collection named like
	// one of its files.
	if res := c.do(http.MethodPost, "/snapshots?wait=true", nil); res.Status != 200 {
		t.Errorf("full snapshot: %s", res)
	}
	list := c.do(http.MethodGet, "/snapshots", nil)
	if list.Status != 200 {
		t.Errorf("list full snapshots: %s", list)
	}
	entries, _ := list.Result().([]any)
	for _, e := range entries {
		if n, _ := e.(map[string]any)["name"].(string); n == names[4] {
			t.Errorf("the full snapshots list shows the collection folder %s: %s", n, list)
		}
	}
	if len(entries) != 1 {
		t.Errorf("want the one full snapshot listed, got %s", list)
	}
}

// TestCollectionNamedLikeFullSnapshot: a collection named exactly like an
// existing full-snapshot file can be snapshotted, and both stay listed and
// downloadable.
func TestCollectionNamedLikeFullSnapshot(t *testing.T) {
	c := start(t, opts{})
	c.createCollection("seed", 4, nil)
	full := c.must(200, http.MethodPost, "/snapshots?wait=true", nil)
	name, _ := full.Result().(map[string]any)["name"].(string)
	p := "/collections/" + url.PathEscape(name)
	c.createCollection(url.PathEscape(name), 4, nil)
	c.upsert(url.PathEscape(name), 4, 0, 10)
	res := c.do(http.MethodPost, p+"/snapshots?wait=true", nil)
	if res.Status != 200 {
		t.Fatalf("snapshot of a collection named %s: %s", name, res)
	}
	snap, _ := res.Result().(map[string]any)["name"].(string)
	if res := c.do(http.MethodGet, p+"/snapshots/"+url.PathEscape(snap), nil); res.Status != 200 {
		t.Errorf("download %s: %s", snap, res)
	}
	list := c.must(200, http.MethodGet, "/snapshots", nil)
	if !strings.Contains(string(list.Body), name) {
		t.Errorf("the full snapshot %s is no longer listed: %s", name, list)
	}
	if res := c.do(http.MethodGet, "/snapshots/"+url.PathEscape(name), nil); res.Status != 200 {
		t.Errorf("download the full snapshot %s: %s", name, res)
	}
}
