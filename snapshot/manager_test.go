package snapshot

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

const dim = 8

// TestCollectionRoundTrip: create → list → download → recover into a new
// name → same points, searches and gets; later writes are not in it.
func TestCollectionRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	src := e.create(t, "src", dim, 1)
	fill(t, src, 1, dim)
	var holds []time.Duration
	observeHold = func(d time.Duration) { holds = append(holds, d) }
	defer func() { observeHold = nil }()
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	if len(holds) != 1 {
		t.Fatalf("%d write holds observed, want 1", len(holds))
	}
	t.Logf("writes held %v", holds[0])
	want := dump(t, src)
	upsert(t, src, points(rand.New(rand.NewPCG(5, 5)), 1000, 3, dim)) // after the cut

	list, err := e.m.ListCollection("src")
	if err != nil || len(list) != 1 || list[0].Name != d.Name || list[0].Size != d.Size {
		t.Fatalf("list = %+v, %v; created %+v", list, err, d)
	}
	if !strings.HasPrefix(d.Name, "src-42-") || !strings.HasSuffix(d.Name, Ext) {
		t.Fatalf("name %s", d.Name)
	}
	f, _, err := e.m.OpenCollection("src", d.Name)
	if err != nil {
		t.Fatal(err)
	}
	path := download(t, f, filepath.Join(e.dir, "download.snapshot"))
	if sum, _ := FileChecksum(path); sum != d.Checksum || list[0].Checksum != sum {
		t.Fatalf("checksum %s, listed %s, created %s", sum, list[0].Checksum, d.Checksum)
	}
	if err := e.m.Recover(ctxb, "dst", path, strings.ToUpper(d.Checksum), PriorityNoSync); err != nil {
		t.Fatal(err)
	}
	dst, err := e.st.Collection("dst")
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, dst); got != want {
		t.Fatalf("restored data differs from the cut")
	}
	if _, err := src.Delete(ctxb, engine.PointsSelector{Points: []point.ID{point.NumID(1000), point.NumID(1001), point.NumID(1002)}}, true); err != nil {
		t.Fatal(err)
	}
	sameData(t, src, dst, dim)
	assertNoTemps(t, e.m.TempPath)

	if err := e.m.DeleteCollection("src", d.Name); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.m.ListCollection("src"); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
	if err := e.m.DeleteCollection("src", d.Name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		t.Errorf("temp left: %s", en.Name())
	}
}

// TestRecoverReplaces: recovering over a live collection swaps it; a
// search holding the old collection still answers; errors change nothing.
func TestRecoverReplaces(t *testing.T) {
	e := newEnv(t, nil)
	src := e.create(t, "src", dim, 2)
	fill(t, src, 2, dim)
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.m.SnapshotsPath, "src", d.Name)
	old := e.create(t, "dst", dim, 1)
	fill(t, old, 3, dim)
	before := dump(t, old)
	if err := e.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "dst", AliasName: "dst-alias"}}}); err != nil {
		t.Fatal(err)
	}

	bad := strings.Repeat("0", 64)
	cases := []struct {
		name, sum string
		prio      Priority
		want      error
	}{
		{"mismatch", bad, "", ErrChecksumMismatch},
		{"malformed", "abc", "", ErrMalformedChecksum},
		{"malformed-hex", strings.Repeat("g", 64), "", ErrMalformedChecksum},
		{"priority", "", "best", ErrBadPriority},
	}
	for _, tc := range cases {
		if err := e.m.Recover(ctxb, "dst", path, tc.sum, tc.prio); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
		c, _ := e.st.Collection("dst")
		if c != old || dump(t, c) != before {
			t.Fatalf("%s: collection changed", tc.name)
		}
	}
	if err := e.m.RecoverFromLocation(ctxb, "dst", "file://"+path, "", "", ""); err != nil {
		t.Fatal(err)
	}
	now, _ := e.st.Collection("dst-alias")
	if now == old {
		t.Fatal("collection not replaced")
	}
	sameData(t, src, now, dim)
	// A search that took the old collection before the swap still answers.
	if _, err := old.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: make([]float32, dim)}, Limit: 3}); err != nil {
		t.Fatalf("search on replaced collection: %v", err)
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestRecoverLocations covers file:// outside the snapshots folder, bad
// schemes, http downloads, wrong kinds and bad names.
func TestRecoverLocations(t *testing.T) {
	e := newEnv(t, nil)
	fill(t, e.create(t, "src", dim, 1), 4, dim)
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.m.SnapshotsPath, "src", d.Name)
	outside := download(t, mustOpen(t, path), filepath.Join(e.dir, "outside.snapshot"))
	for _, loc := range []string{"file://" + outside, "file://" + e.m.SnapshotsPath + "/../outside.snapshot"} {
		if err := e.m.RecoverFromLocation(ctxb, "x", loc, "", "", ""); !errors.Is(err, ErrForbiddenLocation) {
			t.Fatalf("%s: %v", loc, err)
		}
	}
	if err := e.m.RecoverFromLocation(ctxb, "x", "file:relative.snapshot", "", "", ""); !errors.Is(err, ErrBadLocation) {
		t.Fatalf("relative: %v", err)
	}
	if err := e.m.RecoverFromLocation(ctxb, "x", "ftp://host/a.snapshot", "", "", ""); !errors.Is(err, ErrBadLocation) {
		t.Fatalf("ftp: %v", err)
	}
	if err := e.m.RecoverFromLocation(ctxb, "x", "file://"+path, "zz", "", ""); !errors.Is(err, ErrMalformedChecksum) {
		t.Fatalf("malformed: %v", err)
	}
	var gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("api-key")
		if r.URL.Path != "/s.snapshot" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, outside)
	}))
	defer srv.Close()
	if err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/missing.snapshot", "", "", ""); !errors.Is(err, ErrBadLocation) {
		t.Fatalf("404 download: %v", err)
	}
	if err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/s.snapshot", strings.Repeat("a", 64), "", ""); !errors.Is(err, ErrChecksumMismatch) || e.st.CollectionExists("x") {
		t.Fatalf("download mismatch: %v", err)
	}
	if err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/s.snapshot", d.Checksum, PriorityReplica, "key"); err != nil {
		t.Fatal(err)
	}
	if gotKey != "key" || !e.st.CollectionExists("x") {
		t.Fatalf("api-key %q, exists %v", gotKey, e.st.CollectionExists("x"))
	}
	// A redirect to another host does not get the api-key; one to the same
	// host does.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("api-key")
		http.ServeFile(w, r, outside)
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			http.Redirect(w, r, "/s.snapshot", http.StatusFound)
			return
		}
		if r.URL.Path == "/s.snapshot" {
			gotKey = r.Header.Get("api-key")
			http.ServeFile(w, r, outside)
			return
		}
		http.Redirect(w, r, other.URL+"/s.snapshot", http.StatusFound)
	}))
	defer redirect.Close()
	for _, tc := range []struct{ path, name, want string }{{"/away", "x2", ""}, {"/same", "x3", "key"}} {
		gotKey = "unset"
		if err := e.m.RecoverFromLocation(ctxb, tc.name, redirect.URL+tc.path, d.Checksum, PriorityReplica, "key"); err != nil {
			t.Fatalf("redirect %s: %v", tc.path, err)
		}
		if gotKey != tc.want {
			t.Fatalf("redirect %s: the final server got api-key %q, want %q", tc.path, gotKey, tc.want)
		}
	}
	limited := &Manager{Storage: e.st, SnapshotsPath: e.m.SnapshotsPath, TempPath: e.m.TempPath, Logger: quiet(), NodeID: 1, MaxBytes: 100}
	if err := limited.RecoverFromLocation(ctxb, "y", srv.URL+"/s.snapshot", "", "", ""); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
	// Names.
	for _, n := range []string{"../x.snapshot", "a/b.snapshot", "%2Fx.snapshot", "x.tar", ""} {
		if _, _, err := e.m.OpenCollection("src", n); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("open %q: %v", n, err)
		}
		if err := e.m.DeleteFull(n); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("delete full %q: %v", n, err)
		}
	}
	if _, _, err := e.m.OpenCollection("src", "nope.snapshot"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := e.m.ListCollection("nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("list of a missing collection: %v", err)
	}
	if err := e.m.Recover(ctxb, "../evil", path, "", ""); err == nil || e.st.CollectionExists("../evil") {
		t.Fatalf("bad collection name: %v", err)
	}
	full, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.Recover(ctxb, "z", filepath.Join(e.m.SnapshotsPath, full.Name), "", ""); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("full as collection: %v", err)
	}
	assertNoTemps(t, e.m.TempPath)
}

func mustOpen(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFullRoundTrip: every collection and alias, restored into a fresh
// storage; an existing target stops a non-forced restore.
func TestFullRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.create(t, "a", dim, 1), e.create(t, "b", dim, 2)
	fill(t, a, 5, dim)
	fill(t, b, 6, dim)
	err := e.st.UpdateAliases([]engine.AliasOp{
		{CreateAlias: &engine.CreateAlias{CollectionName: "a", AliasName: "first"}},
		{CreateAlias: &engine.CreateAlias{CollectionName: "b", AliasName: "second"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := e.m.ListFull(); err != nil || len(list) != 1 || list[0].Name != d.Name {
		t.Fatalf("list full %+v %v", list, err)
	}
	f, _, err := e.m.OpenFull(d.Name)
	if err != nil {
		t.Fatal(err)
	}
	path := download(t, f, filepath.Join(e.dir, "full.snapshot"))

	e2 := newEnv(t, nil)
	e2.create(t, "b", dim, 1)
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, false); !errors.Is(err, ErrTargetExists) || !strings.Contains(err.Error(), "b") {
		t.Fatalf("existing target: %v", err)
	}
	if e2.st.CollectionExists("a") {
		t.Fatal("refused restore created a collection")
	}
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, true); err != nil {
		t.Fatal(err)
	}
	for _, n := range [][2]string{{"a", "first"}, {"b", "second"}} {
		orig, _ := e.st.Collection(n[0])
		got, err := e2.st.Collection(n[1])
		if err != nil {
			t.Fatal(err)
		}
		sameData(t, orig, got, dim)
	}
	if err := e.m.DeleteFull(d.Name); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, e2.m.TempPath)
}

// TestShardSnapshot: a shard snapshot holds the collection file and that
// shard's folder only; a bad shard id is refused.
func TestShardSnapshot(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "s", dim, 3)
	fill(t, c, 7, dim)
	d, err := e.m.CreateShard(ctxb, "s", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Name, "s-shard-1-") {
		t.Fatalf("name %s", d.Name)
	}
	list, err := e.m.ListShard("s", 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	files, m := extractFile(t, filepath.Join(e.m.SnapshotsPath, "s", "shards", "1", d.Name))
	if m.Kind != KindShard || m.Shard != 1 || len(files) < 3 {
		t.Fatalf("manifest %+v, %d files", m, len(files))
	}
	for p := range files {
		if p != engine.CollectionFile && !strings.HasPrefix(p, "shard-1/") {
			t.Fatalf("shard snapshot holds %s", p)
		}
	}
	if _, err := e.m.CreateShard(ctxb, "s", 3); !errors.Is(err, ErrNoShard) {
		t.Fatalf("shard 3: %v", err)
	}
	var buf strings.Builder
	if m, err := e.m.StreamShard(ctxb, &buf, "s", 2); err != nil || buf.Len() == 0 || m.Shard != 2 {
		t.Fatalf("stream: %v", err)
	}
	if _, err := Extract(strings.NewReader(buf.String()), filepath.Join(e.dir, "x"), noDiskCheck); err != nil {
		t.Fatal(err)
	}
	if err := e.m.DeleteShard("s", 1, d.Name); err != nil {
		t.Fatal(err)
	}
}

// archiveHook runs fn when the archive's temp file is opened: after the
// cut, while the archive streams.
type archiveHook struct {
	vfs.FS
	once sync.Once
	fn   func()
}

func (h *archiveHook) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	if strings.HasSuffix(name, Ext+TempExt) {
		h.once.Do(h.fn)
	}
	return h.FS.OpenFile(name, flag, perm)
}

// TestWritesNotHeldWhileArchiving: a wait=true write made while the archive
// is being written completes (it would deadlock if writes were held), and
// is not in the snapshot.
func TestWritesNotHeldWhileArchiving(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 8, dim)
	want := dump(t, c)
	done := make(chan error, 1)
	e.m.FS = &archiveHook{FS: vfs.OS, fn: func() {
		go func() {
			_, err := c.Upsert(ctxb, points(rand.New(rand.NewPCG(1, 2)), 5000, 1, dim), true)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(20 * time.Second):
			t.Error("a write made while archiving did not complete: writes are held")
		}
	}}
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.Recover(ctxb, "r", filepath.Join(e.m.SnapshotsPath, "c", d.Name), d.Checksum, ""); err != nil {
		t.Fatal(err)
	}
	r, _ := e.st.Collection("r")
	if got := dump(t, r); got != want {
		t.Fatal("snapshot holds a write made after its cut")
	}
}

// TestConcurrentSnapshots: writers (wait=true, each a numbered sequence)
// and searchers run while snapshots are created and the collection is
// sealed; every snapshot restores to a prefix of each writer's sequence,
// containing every write acknowledged before Create began and nothing
// beyond what was acknowledged (or in flight) when it returned; searches
// never fail.
func TestConcurrentSnapshots(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 2)
	const writers, maxWrites, snaps = 3, 400, 4
	var acked [writers]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for i := 0; i < maxWrites; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := engine.PointStruct{ID: point.NumID(uint64(w*100000 + i)), Vector: engine.Vectors{"": randVec(r, dim)},
					Payload: map[string]any{"w": json.Number(itoa(w)), "i": json.Number(itoa(i))}}
				if _, err := c.Upsert(ctxb, []engine.PointStruct{p}, true); err != nil {
					errs <- err
					return
				}
				acked[w].Add(1)
			}
		}()
	}
	var searches atomic.Int64
	for s := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(s), 4))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := c.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: randVec(r, dim)}, Limit: 5}); err != nil {
					errs <- err
					return
				}
				searches.Add(1)
			}
		}()
	}
	type cutRange struct {
		name          string
		before, after [writers]int64
	}
	var cuts []cutRange
	for i := range snaps {
		var cr cutRange
		for w := range writers {
			cr.before[w] = acked[w].Load()
		}
		d, err := e.m.CreateCollection(ctxb, "c")
		if err != nil {
			t.Fatal(err)
		}
		for w := range writers {
			cr.after[w] = acked[w].Load()
		}
		cr.name = d.Name
		cuts = append(cuts, cr)
		if i%2 == 0 {
			if err := c.Flush(); err != nil { // seal while writing, between cuts
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer or searcher failed: %v", err)
	}
	for i, cr := range cuts {
		name := "r" + itoa(i)
		if err := e.m.Recover(ctxb, name, filepath.Join(e.m.SnapshotsPath, "c", cr.name), "", ""); err != nil {
			t.Fatal(err)
		}
		r, _ := e.st.Collection(name)
		res, err := r.Scroll(ctxb, engine.ScrollRequest{Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		var seen [writers][]bool
		for _, p := range res.Points {
			w, _ := p.Payload["w"].(json.Number).Int64()
			n, _ := p.Payload["i"].(json.Number).Int64()
			for int64(len(seen[w])) <= n {
				seen[w] = append(seen[w], false)
			}
			seen[w][n] = true
		}
		for w := range writers {
			k := int64(len(seen[w]))
			for j, ok := range seen[w] {
				if !ok {
					id := point.NumID(uint64(w*100000 + j))
					inSrc, _ := c.Get(ctxb, []point.ID{id}, engine.WithPayload{}, engine.WithVector{})
					inSnap, _ := r.Get(ctxb, []point.ID{id}, engine.WithPayload{}, engine.WithVector{})
					t.Fatalf("snapshot %d writer %d: has write %d but not %d: not a prefix (Get: source %d, restored %d; %d points restored)",
						i, w, k-1, j, len(inSrc), len(inSnap), len(res.Points))
				}
			}
			if k < cr.before[w] || k > cr.after[w]+1 {
				t.Fatalf("snapshot %d writer %d: prefix %d outside [%d, %d]", i, w, k, cr.before[w], cr.after[w]+1)
			}
		}
		t.Logf("snapshot %d: writers' prefixes %d..%d / %d..%d", i, cr.before, cr.after, len(seen[0]), len(seen[1]))
	}
	if searches.Load() == 0 {
		t.Fatal("no search ran")
	}
}

func TestStartupHelpers(t *testing.T) {
	for _, tc := range []struct{ in, path, name string }{
		{"/a/b.snapshot:c", "/a/b.snapshot", "c"},
		{"C:/x:y.snapshot:coll", "C:/x:y.snapshot", "coll"},
	} {
		p, n, err := ParseSnapshotFlag(tc.in)
		if err != nil || p != tc.path || n != tc.name {
			t.Fatalf("%q: %q %q %v", tc.in, p, n, err)
		}
	}
	for _, bad := range []string{"", "nocolon", ":c", "/a:"} {
		if _, _, err := ParseSnapshotFlag(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	e := newEnv(t, nil)
	fill(t, e.create(t, "c", dim, 1), 21, dim)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.m.SnapshotsPath, "c", d.Name)
	if err := e.m.RecoverAtStartup(ctxb, path, "c", false); !errors.Is(err, ErrTargetExists) {
		t.Fatalf("existing target: %v", err)
	}
	if err := e.m.RecoverAtStartup(ctxb, path, "c", true); err != nil {
		t.Fatal(err)
	}
	if err := e.m.RecoverAtStartup(ctxb, path, "new", false); err != nil || !e.st.CollectionExists("new") {
		t.Fatalf("new target: %v", err)
	}
}
