package snapshot

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// byID returns every point of c as JSON keyed by its id, with the shard
// (of shards) each is routed to.
func byID(t *testing.T, c *engine.Collection, shards uint64) map[string]struct {
	shard uint64
	js    string
} {
	t.Helper()
	res, err := c.Scroll(ctxb, engine.ScrollRequest{Limit: 1 << 20, WithVector: &engine.WithVector{Enable: true}, WithPayload: &engine.WithPayload{Enable: true}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]struct {
		shard uint64
		js    string
	}{}
	for _, r := range res.Points {
		b, _ := json.Marshal(r)
		out[r.ID.String()] = struct {
			shard uint64
			js    string
		}{r.ID.Hash() % shards, string(b)}
	}
	return out
}

// TestShardRecoverRoundTrip: snapshot shard 1, change every shard, recover
// shard 1: it holds exactly the snapshot's points, the other shards keep
// their changes.
func TestShardRecoverRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "s", dim, 3)
	fill(t, c, 7, dim)
	d, err := e.m.CreateShard(ctxb, "s", 1)
	if err != nil {
		t.Fatal(err)
	}
	before := byID(t, c, 3)
	upsert(t, c, points(seeded(3), 1000, 60, dim))
	upsert(t, c, points(seeded(4), 0, 20, dim)) // overwrite old points
	if _, err := c.Delete(ctxb, engine.PointsSelector{Points: []point.ID{point.NumID(30), point.NumID(31), point.NumID(32)}}, true); err != nil {
		t.Fatal(err)
	}
	after := byID(t, c, 3)
	want := map[string]string{}
	for id, r := range before {
		if r.shard == 1 {
			want[id] = r.js
		}
	}
	changedOthers := 0
	for id, r := range after {
		if r.shard != 1 {
			want[id] = r.js
			if before[id].js != r.js {
				changedOthers++
			}
		}
	}
	if changedOthers == 0 {
		t.Fatal("the test changed no point outside shard 1")
	}
	path := filepath.Join(e.m.SnapshotsPath, "s", "shards", "1", d.Name)
	if err := e.m.RecoverShard(ctxb, "s", 1, path, d.Checksum, PrioritySnapshot); err != nil {
		t.Fatal(err)
	}
	c2, err := e.st.Collection("s")
	if err != nil {
		t.Fatal(err)
	}
	got := byID(t, c2, 3)
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for id, js := range want {
		if got[id].js != js {
			t.Fatalf("point %s: %s, want %s", id, got[id].js, js)
		}
	}
	// The recovered collection takes writes and searches.
	upsert(t, c2, points(seeded(5), 5000, 3, dim))
	if _, err := c2.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: randVec(seeded(6), dim)}, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestShardRecoverRejects: every bad request fails with its error and
// leaves the shard as it was.
func TestShardRecoverRejects(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "s", dim, 2)
	fill(t, c, 8, dim)
	other := e.create(t, "o", dim/2, 2)
	upsert(t, other, points(seeded(2), 0, 10, dim/2))
	d, err := e.m.CreateShard(ctxb, "s", 0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.m.SnapshotsPath, "s", "shards", "0", d.Name)
	od, err := e.m.CreateShard(ctxb, "o", 0)
	if err != nil {
		t.Fatal(err)
	}
	opath := filepath.Join(e.m.SnapshotsPath, "o", "shards", "0", od.Name)
	cd, err := e.m.CreateCollection(ctxb, "s")
	if err != nil {
		t.Fatal(err)
	}
	cpath := filepath.Join(e.m.SnapshotsPath, "s", cd.Name)
	upsert(t, c, points(seeded(9), 0, 40, dim)) // the state every refusal must keep
	want := dump(t, c)
	cases := []struct {
		what string
		err  error
		want error
	}{
		{"no shard", e.m.RecoverShard(ctxb, "s", 2, path, "", ""), ErrNoShard},
		{"no collection", e.m.RecoverShard(ctxb, "nope", 0, path, "", ""), engine.ErrNotFound},
		{"bad collection name", e.m.RecoverShard(ctxb, "../s", 0, path, "", ""), engine.ErrNotFound},
		{"mismatch", e.m.RecoverShard(ctxb, "s", 0, path, strings.Repeat("0", 64), ""), ErrChecksumMismatch},
		{"malformed", e.m.RecoverShard(ctxb, "s", 0, path, "xyz", ""), ErrMalformedChecksum},
		{"bad priority", e.m.RecoverShard(ctxb, "s", 0, path, "", "later"), ErrBadPriority},
		{"collection snapshot", e.m.RecoverShard(ctxb, "s", 0, cpath, "", ""), ErrWrongKind},
		{"other vectors", e.m.RecoverShard(ctxb, "s", 0, opath, "", ""), engine.ErrBadRequest},
		{"other shard id", e.m.RecoverShard(ctxb, "s", 1, path, "", ""), engine.ErrBadRequest},
		{"outside file", e.m.RecoverShardFromLocation(ctxb, "s", 0, "file:///etc/passwd", "", "", ""), ErrForbiddenLocation},
		{"escaping name", e.m.RecoverShardFromLocation(ctxb, "s", 0, "../"+d.Name, "", "", ""), ErrInvalidName},
		{"missing name", e.m.RecoverShardFromLocation(ctxb, "s", 0, "nope.snapshot", "", "", ""), ErrNotFound},
		{"ftp", e.m.RecoverShardFromLocation(ctxb, "s", 0, "ftp://h/x.snapshot", "", "", ""), ErrBadLocation},
		{"location no shard", e.m.RecoverShardFromLocation(ctxb, "s", 5, "file://"+path, "", "", ""), ErrNoShard},
	}
	for _, tc := range cases {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, tc.err, tc.want)
		}
	}
	cur, _ := e.st.Collection("s")
	if got := dump(t, cur); got != want {
		t.Fatal("a refused recover changed the collection")
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestShardRecoverLocations: a file:// URL, the plain name of one of the
// shard's snapshots and an http URL (with its api key) all recover.
func TestShardRecoverLocations(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "s", dim, 2)
	fill(t, c, 10, dim)
	d, err := e.m.CreateShard(ctxb, "s", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, c)
	path := filepath.Join(e.m.SnapshotsPath, "s", "shards", "1", d.Name)
	var gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("api-key")
		http.ServeFile(w, r, path)
	}))
	defer srv.Close()
	for _, loc := range []string{"file://" + path, d.Name, srv.URL + "/x.snapshot"} {
		cur, _ := e.st.Collection("s")
		upsert(t, cur, points(seeded(11), 0, 30, dim)) // changes both shards
		if err := e.m.RecoverShardFromLocation(ctxb, "s", 1, loc, d.Checksum, PriorityReplica, "k"); err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		cur, _ = e.st.Collection("s")
		for id, r := range byID(t, cur, 2) {
			if r.shard == 1 && !strings.Contains(want, r.js) {
				t.Fatalf("%s: point %s of shard 1 not from the snapshot", loc, id)
			}
		}
	}
	if gotKey != "k" {
		t.Fatalf("api-key %q", gotKey)
	}
	assertNoTemps(t, e.m.TempPath)
}
