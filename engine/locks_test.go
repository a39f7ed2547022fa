package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// lockFixture is a two-shard collection with sealed, indexed segments (HNSW
// graphs) and points in the heads, so that every read path is exercised.
func lockFixture(t *testing.T, fs vfs.FS) (*Storage, *Collection) {
	t.Helper()
	st := openTest(t, t.TempDir(), fs)
	t.Cleanup(func() {
		// Closing waits for the locks: a storage whose locks leaked is
		// left open rather than hanging the failed test.
		if _, leaked := leakedLocks.Load(st); !leaked {
			_ = st.Close()
		}
	})
	req := simpleReq(4, point.Cosine)
	req.ShardNumber = intp(2)
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(1)}
	c := mustCreate(t, st, "locks", req)
	r := rand.New(rand.NewPCG(21, 1))
	upsertRange := func(from, to int) {
		var pts []PointStruct
		for i := from; i < to; i++ {
			pts = append(pts, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": randVec(r, 4)},
				Payload: pl(t, fmt.Sprintf(`{"n":%d}`, i))})
		}
		mustUpsert(t, c, pts...)
	}
	upsertRange(1, 401)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	upsertRange(401, 431)
	return st, c
}

// leakedLocks holds the storages whose locks assertLocksFree found held.
var leakedLocks sync.Map

// assertLocksFree fails the test at once when a lock of c or of st is
// held: every shard's mu, commitMu, sealMu, optMu and errMu, the
// collection core's mu and the storage's mu. The background worker is off,
// so nothing else holds them.
func assertLocksFree(t *testing.T, st *Storage, c *Collection) {
	t.Helper()
	held := []string{}
	try := func(name string, ok bool, unlock func()) {
		if !ok {
			held = append(held, name)
			return
		}
		unlock()
	}
	for _, s := range c.shards {
		try(fmt.Sprintf("shard %d mu", s.id), s.mu.TryLock(), s.mu.Unlock)
		try(fmt.Sprintf("shard %d commitMu", s.id), s.commitMu.TryLock(), s.commitMu.Unlock)
		try(fmt.Sprintf("shard %d sealMu", s.id), s.sealMu.TryLock(), s.sealMu.Unlock)
		try(fmt.Sprintf("shard %d optMu", s.id), s.optMu.TryLock(), s.optMu.Unlock)
		try(fmt.Sprintf("shard %d errMu", s.id), s.errMu.TryLock(), s.errMu.Unlock)
	}
	try("collection core mu", c.core.mu.TryLock(), c.core.mu.Unlock)
	try("storage mu", st.mu.TryLock(), st.mu.Unlock)
	if len(held) > 0 {
		leakedLocks.Store(st, true)
		t.Fatalf("locks still held: %s", strings.Join(held, ", "))
	}
}

// writeAndRead checks that the collection still takes a write and answers
// a read, a search and its info.
func writeAndRead(t *testing.T, c *Collection) {
	t.Helper()
	id := point.NumID(10_000)
	mustUpsert(t, c, PointStruct{ID: id, Vector: Vectors{"": {1, 0, 0, 0}}})
	recs, err := c.Get(ctxb, []point.ID{id}, WithPayload{}, WithVector{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("get after the request: %v %v", recs, err)
	}
	if _, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 0, 0, 0}}, Limit: 3}); err != nil {
		t.Fatalf("search after the request: %v", err)
	}
	if info := c.Info(); info.PointsCount != 431 {
		t.Fatalf("info after the request: %d points", info.PointsCount)
	}
}

// protect runs fn, turning a panic into an error.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// TestEntryPointsExtremeIntegers drives every exported read and
// filter-taking entry point with extreme integers and hand-built invalid
// filters: none may panic, each answers or refuses with a caller error,
// no lock stays held, and the collection then takes a write and a read.
func TestEntryPointsExtremeIntegers(t *testing.T) {
	st, c := lockFixture(t, nil)
	q := NamedVector{Vector: []float32{0.5, 0.1, -0.2, 0.3}}
	badSlice := &payload.Filter{Must: []payload.Condition{{Slice: &payload.Slice{Index: 0, Total: 0}}}}
	empty := &payload.Filter{Should: []payload.Condition{{}}}
	srch := func(limit, offset int, ef *int, f *payload.Filter) func() (int, error) {
		return func() (int, error) {
			res, err := c.Search(ctxb, SearchRequest{Vector: q, Limit: limit, Offset: offset, Filter: f,
				Params: &SearchParams{HnswEf: ef}, WithPayload: &WithPayload{Enable: true}})
			return len(res), err
		}
	}
	exact := func(limit, offset int) func() (int, error) {
		return func() (int, error) {
			res, err := c.Search(ctxb, SearchRequest{Vector: q, Limit: limit, Offset: offset, Params: &SearchParams{Exact: true}})
			return len(res), err
		}
	}
	scroll := func(limit int, f *payload.Filter, ob *OrderBy) func() (int, error) {
		return func() (int, error) {
			res, err := c.Scroll(ctxb, ScrollRequest{Limit: limit, Filter: f, OrderBy: ob})
			return len(res.Points), err
		}
	}
	write := func(fn func() (UpdateResult, error)) func() (int, error) {
		return func() (int, error) { _, err := fn(); return 0, err }
	}
	sel := PointsSelector{Filter: badSlice}
	const all = 430
	for name, tc := range map[string]struct {
		run  func() (int, error)
		want error // nil: success with n results
		n    int
	}{
		"search limit max offset 1":       {run: srch(math.MaxInt64, 1, nil, nil), n: all - 1},
		"search limit max-1 offset max":   {run: srch(math.MaxInt64-1, math.MaxInt64, nil, nil), n: 0},
		"search limit max offset max-1":   {run: srch(math.MaxInt64, math.MaxInt64-1, nil, nil), n: 0},
		"search ef max":                   {run: srch(5, 0, intp(math.MaxInt64), nil), n: 5},
		"search ef 0":                     {run: srch(5, 0, intp(0), nil), want: ErrBadRequest},
		"search ef -1":                    {run: srch(5, 0, intp(-1), nil), want: ErrBadRequest},
		"search ef min int":               {run: srch(5, 0, intp(math.MinInt64), nil), want: ErrBadRequest},
		"search limit 0":                  {run: srch(0, 0, nil, nil), want: ErrInvalid},
		"search limit -1":                 {run: srch(-1, 0, nil, nil), want: ErrInvalid},
		"search limit min int":            {run: srch(math.MinInt64, 0, nil, nil), want: ErrInvalid},
		"search offset -1":                {run: srch(1, -1, nil, nil), want: ErrInvalid},
		"search offset min int":           {run: srch(1, math.MinInt64, nil, nil), want: ErrInvalid},
		"search slice total 0":            {run: srch(5, 0, nil, badSlice), want: ErrBadRequest},
		"search empty condition":          {run: srch(5, 0, nil, empty), want: ErrBadRequest},
		"exact search limit max offset 1": {run: exact(math.MaxInt64, 1), n: all - 1},
		"search nan threshold": {run: func() (int, error) {
			nan := float32(math.NaN())
			res, err := c.Search(ctxb, SearchRequest{Vector: q, Limit: 3, ScoreThreshold: &nan})
			return len(res), err
		}, want: ErrBadRequest},
		"scroll limit max":          {run: scroll(math.MaxInt64, nil, nil), n: all},
		"scroll limit max-1":        {run: scroll(math.MaxInt64-1, nil, nil), n: all},
		"scroll limit -1":           {run: scroll(-1, nil, nil), want: ErrInvalid},
		"scroll limit min int":      {run: scroll(math.MinInt64, nil, nil), want: ErrInvalid},
		"scroll slice total 0":      {run: scroll(10, badSlice, nil), want: ErrBadRequest},
		"scroll ordered bad filter": {run: scroll(math.MaxInt64, badSlice, &OrderBy{Key: "n"}), want: ErrBadRequest},
		"count slice total 0": {run: func() (int, error) {
			return c.Count(ctxb, CountRequest{Filter: badSlice})
		}, want: ErrBadRequest},
		"count empty condition": {run: func() (int, error) {
			return c.Count(ctxb, CountRequest{Filter: empty})
		}, want: ErrBadRequest},
		"get": {run: func() (int, error) {
			recs, err := c.Get(ctxb, []point.ID{point.NumID(math.MaxUint64), point.NumID(0), point.NumID(1)}, WithPayload{Enable: true}, WithVector{Enable: true})
			return len(recs), err
		}, n: 1},
		"delete by bad filter": {run: write(func() (UpdateResult, error) { return c.Delete(ctxb, sel, true) }), want: ErrBadRequest},
		"set payload by bad filter": {run: write(func() (UpdateResult, error) {
			return c.SetPayload(ctxb, SetPayload{Payload: pl(t, `{"a":1}`), Filter: badSlice}, true)
		}), want: ErrBadRequest},
		"overwrite payload by bad filter": {run: write(func() (UpdateResult, error) {
			return c.OverwritePayload(ctxb, SetPayload{Payload: pl(t, `{"a":1}`), Filter: badSlice}, true)
		}), want: ErrBadRequest},
		"delete payload by bad filter": {run: write(func() (UpdateResult, error) {
			return c.DeletePayload(ctxb, DeletePayload{Keys: []string{"n"}, Filter: badSlice}, true)
		}), want: ErrBadRequest},
		"clear payload by bad filter": {run: write(func() (UpdateResult, error) { return c.ClearPayload(ctxb, sel, true) }), want: ErrBadRequest},
		"delete vectors by bad filter": {run: write(func() (UpdateResult, error) {
			return c.DeleteVectors(ctxb, DeleteVectors{Vector: []string{""}, Filter: empty}, true)
		}), want: ErrBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			var n int
			err := protect(func() (err error) { n, err = tc.run(); return err })
			switch {
			case err != nil && strings.HasPrefix(err.Error(), "panic: "):
				t.Errorf("%v", err)
			case tc.want == nil && (err != nil || n != tc.n):
				t.Errorf("got %d results, %v; want %d", n, err, tc.n)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("got %v, want %v", err, tc.want)
			}
			assertLocksFree(t, st, c)
		})
	}
	writeAndRead(t, c)
}

// TestPanicUnderEachLockReleasesIt makes a function invoked under each of
// the engine's locks panic (a filesystem operation, a shard write, a
// filter evaluated in a read section), recovers it, and checks that every
// lock is free and that the collection then takes a write and a read.
func TestPanicUnderEachLockReleasesIt(t *testing.T) {
	const boom = "boom"
	bad := &payload.Filter{Must: []payload.Condition{{Slice: &payload.Slice{Total: 0}}}}
	type env struct {
		st *Storage
		c  *Collection
		fs *vfs.Faulty
	}
	// panicOn makes the next filesystem operation on a path ending in
	// "/"+name panic once (on the caller's goroutine: the file writes of
	// collection files, manifests and aliases happen there).
	panicOn := func(fs *vfs.Faulty, op vfs.Op, name string) {
		fired := false
		fs.FailWhen(func(o vfs.Op, path string) bool {
			if !fired && o == op && strings.HasSuffix(path, "/"+name) {
				fired = true
				panic(boom)
			}
			return false
		})
	}
	for name, run := range map[string]func(e env) error{
		// The collection core's write lock: storing the collection file.
		"core mu: create index": func(e env) error {
			panicOn(e.fs, vfs.OpOpen, CollectionFile+".tmp")
			_, err := e.c.CreateFieldIndex(ctxb, "n", payload.FieldSchema{Type: payload.TypeInteger}, false)
			return err
		},
		"core mu: delete index": func(e env) error {
			if _, err := e.c.CreateFieldIndex(ctxb, "n", payload.FieldSchema{Type: payload.TypeInteger}, false); err != nil {
				return err
			}
			panicOn(e.fs, vfs.OpOpen, CollectionFile+".tmp")
			_, err := e.c.DeleteFieldIndex(ctxb, "n", false)
			return err
		},
		"core mu: update collection": func(e env) error {
			panicOn(e.fs, vfs.OpOpen, CollectionFile+".tmp")
			return e.st.UpdateCollection("locks", CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{FlushIntervalSec: intp(9)}})
		},
		// sealMu and commitMu: the seal's manifest commit.
		"seal commit": func(e env) error {
			panicOn(e.fs, vfs.OpRename, ManifestFile)
			return e.c.Flush()
		},
		// optMu and commitMu: an optimization's manifest commit.
		"optimize commit": func(e env) error {
			if _, err := e.c.CreateFieldIndex(ctxb, "n", payload.FieldSchema{Type: payload.TypeInteger}, false); err != nil {
				return err
			}
			panicOn(e.fs, vfs.OpRename, ManifestFile)
			_, err := e.c.CreateFieldIndex(ctxb, "n", payload.FieldSchema{Type: payload.TypeFloat}, true)
			return err
		},
		// The storage lock: storing the alias table.
		"storage mu: aliases": func(e env) error {
			panicOn(e.fs, vfs.OpOpen, AliasesFile+".tmp")
			return e.st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "locks", AliasName: "a"}}})
		},
		// Every shard's write lock: a write built under it.
		"shard mu: write": func(e env) error {
			_, err := e.c.writeAll(ctxb, true, func(*shard) shardWrite {
				return func(*shard) (*op, error) { panic(boom) }
			})
			return err
		},
		"shard mu: write by filter": func(e env) error {
			_, err := e.c.writeAll(ctxb, true, func(*shard) shardWrite {
				return func(s *shard) (*op, error) {
					_, err := s.selectLocked(e.c, PointsSelector{Filter: bad}, false)
					return nil, err
				}
			})
			return err
		},
		// A shard's read lock: filters evaluated over the heads.
		"shard rlock: search": func(e env) error {
			p := searchPlan{ctx: ctxb, name: "", dist: point.Cosine, q: []float32{1, 0, 0, 0}, k: 3, ef: 8,
				filter: bad, threshold: float32(math.Inf(-1))}
			sc := getScratch()
			defer func() { releaseView(sc.views); sc.views = nil }()
			for _, s := range e.c.shards {
				s.search(&p, sc)
			}
			return nil
		},
		"shard rlock: scroll": func(e env) error {
			for _, s := range e.c.shards {
				s.scroll(ctxb, nil, bad, 10, WithPayload{}, WithVector{})
			}
			return nil
		},
		"shard rlock: count": func(e env) error {
			for _, s := range e.c.shards {
				s.count(ctxb, bad)
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			fs := vfs.NewFaulty(vfs.OS)
			st, c := lockFixture(t, fs)
			err := protect(func() error { return run(env{st: st, c: c, fs: fs}) })
			fs.FailWhen(nil)
			if err == nil || !strings.Contains(err.Error(), "panic") {
				t.Fatalf("the hook did not panic: %v", err)
			}
			assertLocksFree(t, st, c)
			writeAndRead(t, c)
		})
	}
}

// TestSearchStopsOnDoneContext checks that a cancelled or expired context
// stops a search, a scroll, a count and a get with its error instead of a
// partial answer.
func TestSearchStopsOnDoneContext(t *testing.T) {
	st, c := lockFixture(t, nil)
	ctx, cancel := context.WithCancel(ctxb)
	cancel()
	q := NamedVector{Vector: []float32{1, 0, 0, 0}}
	if _, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("search: %v", err)
	}
	if _, err := c.Scroll(ctx, ScrollRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("scroll: %v", err)
	}
	if _, err := c.Count(ctx, CountRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("count: %v", err)
	}
	if _, err := c.Get(ctx, []point.ID{point.NumID(1)}, WithPayload{}, WithVector{}); !errors.Is(err, context.Canceled) {
		t.Errorf("get: %v", err)
	}
	// Cancelled in the middle: the scan loops see it and the search
	// returns the error, not the candidates found so far.
	p := searchPlan{ctx: ctx, dist: point.Cosine, q: []float32{1, 0, 0, 0}, k: 1000, ef: 1000,
		threshold: float32(math.Inf(-1))}
	sc := getScratch()
	for _, s := range c.shards {
		s.search(&p, sc)
	}
	releaseView(sc.views)
	if len(sc.cands) != 0 {
		t.Errorf("a cancelled scan still collected %d candidates", len(sc.cands))
	}
	assertLocksFree(t, st, c)
}
