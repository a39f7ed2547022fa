package adversarial

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestBrokenCollectionDoesNotStopServer: a collection whose folder is
// broken on disk (a segment's meta.seg deleted between restarts) must not
// stop the server: the others are served, the broken one is listed, shown
// in /issues and deletable.
func TestBrokenCollectionDoesNotStopServer(t *testing.T) {
	c := start(t, opts{})
	c.sealedCollection("good", 4, 300, nil)
	c.sealedCollection("bad", 4, 300, nil)
	c.stop()
	metas := c.segmentFiles("bad")
	if len(metas) == 0 {
		t.Fatal("bad has no sealed segment")
	}
	if err := os.Remove(metas[0]); err != nil {
		t.Fatal(err)
	}
	s, err := launch(t, opts{dir: c.dir})
	if err != nil {
		t.Fatalf("one broken collection stopped the server: %v", err)
	}
	if n := s.count("good"); n != 300 {
		t.Errorf("good holds %d points, want 300", n)
	}
	if res := s.search("good", 4); res.Status != 200 {
		t.Errorf("search good: %s", res)
	}
	list := s.must(200, http.MethodGet, "/collections", nil)
	if !strings.Contains(string(list.Body), `"bad"`) {
		t.Errorf("the broken collection is not listed: %s", list)
	}
	if res := s.do(http.MethodGet, "/collections/bad", nil); res.Status == 200 && strings.Contains(string(res.Body), `"status":"green"`) {
		t.Errorf("the broken collection answers as healthy: %s", res)
	}
	if res := s.do(http.MethodGet, "/issues", nil); res.Status != 200 || !strings.Contains(string(res.Body), "bad") {
		t.Errorf("/issues does not show the broken collection: %s", res)
	}
	up := s.do(http.MethodPut, "/collections/bad/points?wait=true", map[string]any{"points": []any{map[string]any{"id": 1, "vector": vec(1, 4)}}})
	if up.Status < 400 || up.ErrMsg() == "" {
		t.Errorf("upsert into the broken collection: want a clear error, got %s", up)
	}
	logged := false
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(line, "bad") && (strings.Contains(line, `"WARN"`) || strings.Contains(line, `"ERROR"`)) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no WARN or ERROR log line names the broken collection")
	}
	s.must(200, http.MethodDelete, "/collections/bad", nil)
	if _, err := os.Stat(filepath.Join(s.storage, "collections", "bad")); !os.IsNotExist(err) {
		t.Errorf("DELETE left the broken collection's folder: %v", err)
	}
	s = s.restart(opts{})
	if res := s.do(http.MethodGet, "/collections/bad", nil); res.Status != 404 {
		t.Errorf("deleted broken collection after a restart: %s", res)
	}
	if n := s.count("good"); n != 300 {
		t.Errorf("good holds %d points after a restart, want 300", n)
	}
}

// freeBytes is the free space of the filesystem holding dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// fill writes a file into dir until at most leave bytes are free, and
// returns its path.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for freeBytes(t, dir) > leave {
		n := min(int64(len(chunk)), freeBytes(t, dir)-leave)
		if _, err := f.Write(chunk[:n]); err != nil {
			break
		}
	}
	return path
}

// TestFailedCreateLeavesNothing: a create that fails half-way on a nearly
// full disk removes what it wrote; the next start-up works and the name can
// be created once space is free.
func TestFailedCreateLeavesNothing(t *testing.T) {
	dir := tmpfs(t, 64)
	c := start(t, opts{dir: dir})
	filler := fill(t, dir, 3<<20)
	res := c.do(http.MethodPut, "/collections/big", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}, "shard_number": 64})
	if res.Status == 200 {
		t.Fatalf("shard_number 64 on a nearly full disk succeeded: %s", res)
	}
	if left := leftovers(t, filepath.Join(c.storage, "collections")); len(left) > 0 {
		t.Errorf("the failed create left %v", left)
	}
	if res := c.do(http.MethodDelete, "/collections/big", nil); res.Status >= 500 {
		t.Errorf("DELETE after the failed create: %s", res)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	c = c.restart(opts{})
	c.createCollection("big", 4, map[string]any{"shard_number": 2, "wal_config": map[string]any{"wal_capacity_mb": 1}})
	c.upsert("big", 4, 0, 50)
	if n := c.count("big"); n != 50 {
		t.Errorf("big holds %d points, want 50", n)
	}
}

// TestDiskFullWALRecovers: writes fail while the disk is full; once space
// is freed, writes succeed again without a restart, and exactly the
// acknowledged points are there (none lost, none duplicated, no failed
// one), also after a restart.
func TestDiskFullWALRecovers(t *testing.T) {
	dir := tmpfs(t, 64)
	c := start(t, opts{dir: dir})
	c.createCollection("c", 4, map[string]any{"wal_config": map[string]any{"wal_capacity_mb": 1},
		"optimizers_config": map[string]any{"indexing_threshold": 0, "flush_interval_sec": 0}})
	filler := fill(t, dir, 2<<20)
	pad := strings.Repeat("x", 8<<10)
	batch := func(from int) response {
		pts := make([]map[string]any, 0, 50)
		for i := from; i < from+50; i++ {
			pts = append(pts, map[string]any{"id": i, "vector": vec(i, 4), "payload": map[string]any{"pad": pad}})
		}
		return c.do(http.MethodPut, "/collections/c/points?wait=true", map[string]any{"points": pts})
	}
	acked, failedAt := 0, -1
	for b := 0; b < 40; b++ {
		res := batch(b * 50)
		if res.Status != 200 {
			failedAt = b * 50
			t.Logf("disk full after %d acknowledged points: %s", acked, res)
			break
		}
		acked += 50
	}
	if failedAt < 0 {
		t.Fatal("no write failed on a full disk")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	next := 100000
	if res := batch(next); res.Status != 200 {
		t.Fatalf("a write after space was freed still fails (no restart): %s", res)
	}
	check := func(when string) {
		if n := c.count("c"); n != acked+50 {
			t.Errorf("%s: %d points, want %d acknowledged", when, n, acked+50)
		}
		if res := c.do(http.MethodGet, "/collections/c/points/"+strconv.Itoa(failedAt), nil); res.Status != 404 {
			t.Errorf("%s: a point of the failed write is there: %s", when, res)
		}
		if acked > 0 {
			c.must(200, http.MethodGet, "/collections/c/points/"+strconv.Itoa(acked-1), nil)
		}
	}
	check("after space was freed")
	c = c.restart(opts{})
	check("after a restart")
}
