package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// strictPoints returns n points with ids from start, dim 4, a "city".
func strictPoints(start, n int) []PointStruct {
	pts := make([]PointStruct, n)
	for i := range pts {
		id := start + i
		pts[i] = PointStruct{ID: point.NumID(uint64(id)), Vector: Vectors{"": {float32(id), 1, 2, 3}},
			Payload: payload.Payload{"city": "Berlin"}}
	}
	return pts
}

// strictCollection creates collection "c" with the strict mode sm and
// 5 points.
func strictCollection(t *testing.T, sm *StrictModeConfig, now func() time.Time) (*Storage, *Collection) {
	t.Helper()
	st, err := Open(Options{Dir: t.TempDir(), Logger: quietLogger(), DisableBackground: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := mustCreate(t, st, "c", simpleReq(4, point.Cosine))
	mustUpsert(t, c, strictPoints(1, 5)...)
	if sm != nil {
		if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: sm}); err != nil {
			t.Fatalf("set strict mode: %v", err)
		}
	}
	return st, c
}

// wantStrict checks err is a 400 refusal whose message holds want.
func wantStrict(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: err %v, want ErrBadRequest containing %q", what, err, want)
	}
}

func TestStrictModeStoredMergedAndReopened(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	req := simpleReq(4, point.Dot)
	req.StrictModeConfig = &StrictModeConfig{Enabled: boolp(true), MaxQueryLimit: intp(10)}
	mustCreate(t, st, "c", req)
	// A PATCH sets what it sets; null (absent) keeps the stored value.
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{WriteRateLimit: intp(7)}}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{MaxQueryLimit: intp(0)}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("max_query_limit 0: %v, want ErrInvalid", err)
	}
	st.Close()
	st = openTest(t, dir, nil)
	defer st.Close()
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	got := jsonOf(c.Info().Config.StrictModeConfig)
	if want := `{"enabled":true,"max_query_limit":10,"write_rate_limit":7}`; got != want {
		t.Fatalf("strict_mode_config %s, want %s", got, want)
	}
	b, _ := json.Marshal(c.Info())
	if !strings.Contains(string(b), `"strict_mode_config":{"enabled":true,"max_query_limit":10,"write_rate_limit":7}`) {
		t.Fatalf("info lacks strict_mode_config: %s", b)
	}
}

func TestStrictModeSettingsTable(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"strict_mode_config":{"enabled":true,"max_query_limit":3,"read_rate_limit":5,"search_max_oversampling":1.5}}`, true},
		{`{"strict_mode_config":{"sparse_config":null,"multivector_config":null}}`, true},
		{`{"strict_mode_config":{"sparse_config":{"text":{"max_length":3}}}}`, true},
		{`{"strict_mode_config":{"multivector_config":{"v":{"max_vectors":3}}}}`, false},
		{`{"strict_mode_config":{"max_collection_payload_size_bytes":100}}`, true},
		{`{"strict_mode_config":{"max_resident_memory_percent":80}}`, true},
	} {
		err := CheckCollectionUpdate([]byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", tc.body, err, tc.ok)
		}
	}
}

func TestStrictModeReadChecks(t *testing.T) {
	sm := &StrictModeConfig{Enabled: boolp(true), MaxQueryLimit: intp(4), SearchMaxHnswEf: intp(5),
		SearchAllowExact: boolp(false), SearchMaxOversampling: new(float64), FilterMaxConditions: intp(2),
		ConditionMaxSize: intp(2), UnindexedFilteringRetrieve: boolp(false), MaxTimeout: intp(2), SearchMaxBatchsize: intp(2)}
	*sm.SearchMaxOversampling = 1.5
	st, c := strictCollection(t, sm, nil)
	q := NamedVector{Vector: []float32{1, 1, 1, 1}}
	search := func(r SearchRequest) error {
		r.Vector = q
		_, err := c.Search(ctxb, r)
		return err
	}
	if err := search(SearchRequest{Limit: 4}); err != nil {
		t.Fatalf("limit 4: %v", err)
	}
	wantStrict(t, "limit 5", search(SearchRequest{Limit: 5}), `Bad request: Limit exceeded 5 > 4 for "limit". Help: Reduce the "limit" parameter to or below 4.`)
	wantStrict(t, "exact", search(SearchRequest{Limit: 1, Params: &SearchParams{Exact: true}}), "Exact search disabled!. Help: Set exact=false.")
	wantStrict(t, "hnsw_ef", search(SearchRequest{Limit: 1, Params: &SearchParams{HnswEf: intp(6)}}), `for "hnsw_ef"`)
	over := 2.0
	wantStrict(t, "oversampling", search(SearchRequest{Limit: 1, Params: &SearchParams{Quantization: &QuantizationSearchParams{Oversampling: &over}}}), `Limit exceeded 2 > 1.5 for "oversampling"`)
	wantStrict(t, "conditions", search(SearchRequest{Limit: 1, Filter: filter(t, `{"must":[{"key":"a","match":{"value":1}},{"key":"b","match":{"value":1}},{"nested":{"key":"n","filter":{"must":[{"key":"x","match":{"value":1}}]}}}]}`)}),
		"Filter condition limit reached (3 > 2). Help: Reduce the amount of conditions of your filter.")
	wantStrict(t, "condition size", search(SearchRequest{Limit: 1, Filter: filter(t, `{"must":[{"key":"city","match":{"any":["a","b","c"]}}]}`)}),
		"Condition size limit reached (3 > 2)")
	berlin := filter(t, `{"must":[{"key":"city","match":{"value":"Berlin"}}]}`)
	wantStrict(t, "unindexed", search(SearchRequest{Limit: 1, Filter: berlin}),
		`Index required but not found for "city" of one of the following types: [keyword, uuid]. Help: Create an index for this key or use a different filter.`)
	_, err := c.Scroll(ctxb, ScrollRequest{Limit: 3, Filter: berlin})
	wantStrict(t, "unindexed scroll", err, `"city"`)
	// The default scroll limit (10) is above max_query_limit, as in Qdrant.
	_, err = c.Scroll(ctxb, ScrollRequest{})
	wantStrict(t, "scroll default limit", err, `Limit exceeded 10 > 4`)
	if _, err := c.CreateFieldIndex(ctxb, "city", payload.FieldSchema{Type: payload.TypeKeyword}, true); err != nil {
		t.Fatal(err)
	}
	if err := search(SearchRequest{Limit: 1, Filter: berlin}); err != nil {
		t.Fatalf("indexed filter: %v", err)
	}
	tctx, _, cancel := WithTimeout(ctxb, "Search", 3)
	defer cancel()
	_, err = c.Search(tctx, SearchRequest{Vector: q, Limit: 1})
	wantStrict(t, "timeout", err, `Limit exceeded 3 > 2 for "timeout"`)
	_, err = c.SearchBatch(ctxb, []SearchRequest{{Vector: q, Limit: 1}, {Vector: q, Limit: 1}, {Vector: q, Limit: 1}})
	wantStrict(t, "batch", err, `for "search batch size"`)
	_, err = c.RecommendBatch(ctxb, make([]RecommendRequest, 3))
	wantStrict(t, "recommend batch", err, `for "search batch size"`)
	_, err = c.DiscoverBatch(ctxb, make([]DiscoverRequest, 3))
	wantStrict(t, "discover batch", err, `for "search batch size"`)
	_, err = c.SearchBatch(ctxb, []SearchRequest{{Vector: q, Limit: 1}, {Vector: q, Limit: 9}})
	wantStrict(t, "batch member limit", err, `Limit exceeded 9 > 4`)
	_, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Limit: intp(9)}}, Query: &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}, Limit: intp(1)})
	wantStrict(t, "prefetch limit", err, `Limit exceeded 9 > 4`)
	_, err = c.SearchMatrixPairs(ctxb, MatrixRequest{Sample: intp(3), Limit: intp(2)})
	wantStrict(t, "matrix", err, `Limit exceeded 6 > 4`)
	// Disabled: nothing is checked, the limits are kept.
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{Enabled: boolp(false)}}); err != nil {
		t.Fatal(err)
	}
	if err := search(SearchRequest{Limit: 9, Params: &SearchParams{Exact: true}}); err != nil {
		t.Fatalf("disabled: %v", err)
	}
	if got := *c.Config().StrictModeConfig.MaxQueryLimit; got != 4 {
		t.Fatalf("max_query_limit %d after disabling, want 4 kept", got)
	}
}

func TestStrictModeWriteChecks(t *testing.T) {
	sm := &StrictModeConfig{Enabled: boolp(true), UpsertMaxBatchsize: intp(3), MaxPointsCount: intp(7),
		UnindexedFilteringUpdate: boolp(false), MaxPayloadIndexCount: intp(1)}
	st, c := strictCollection(t, sm, nil)
	_, err := c.Upsert(ctxb, strictPoints(10, 4), true)
	wantStrict(t, "upsert batch", err, `Limit exceeded 4 > 3 for "upsert limit"`)
	_, err = c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(1), Vector: Vectors{"": {1, 1, 1, 1}}},
		{ID: point.NumID(2), Vector: Vectors{"": {1, 1, 1, 1}}}, {ID: point.NumID(3), Vector: Vectors{"": {1, 1, 1, 1}}},
		{ID: point.NumID(4), Vector: Vectors{"": {1, 1, 1, 1}}}}, true)
	wantStrict(t, "update vectors batch", err, `for "update limit"`)
	mustUpsert(t, c, strictPoints(10, 3)...) // 8 points now
	_, err = c.Upsert(ctxb, strictPoints(20, 1), true)
	wantStrict(t, "points count", err, "Bad request: Max points count limit of 7 reached!")
	if n := mustCount(t, c, nil); n != 8 {
		t.Fatalf("%d points after refusals, want 8", n)
	}
	berlin := filter(t, `{"must":[{"key":"city","match":{"value":"Berlin"}}]}`)
	_, err = c.Delete(ctxb, PointsSelector{Filter: berlin}, true)
	wantStrict(t, "unindexed delete", err, `"city"`)
	_, err = c.SetPayload(ctxb, SetPayload{Payload: payload.Payload{"x": "y"}, Filter: berlin}, true)
	wantStrict(t, "unindexed set payload", err, `"city"`)
	if n := mustCount(t, c, berlin); n != 8 {
		t.Fatalf("%d Berlin points after refusals, want 8", n)
	}
	if _, err := c.CreateFieldIndex(ctxb, "city", payload.FieldSchema{Type: payload.TypeKeyword}, true); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateFieldIndex(ctxb, "other", payload.FieldSchema{Type: payload.TypeKeyword}, true)
	wantStrict(t, "index count", err, "Collection already has the maximum number of payload indices (1)")
	if _, err := c.Delete(ctxb, PointsSelector{Filter: berlin}, true); err != nil {
		t.Fatalf("indexed delete: %v", err)
	}
	// max_collection_vector_size_bytes: 16 bytes a point.
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{MaxCollectionVectorSizeBytes: intp(32)}}); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, strictPoints(1, 2)...)
	_, err = c.Upsert(ctxb, strictPoints(3, 1), true)
	wantStrict(t, "vector size", err, "Bad request: Max vector storage size limit of 0.000030517578MB reached!")
}

func TestStrictModeRateLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sm := &StrictModeConfig{Enabled: boolp(true), WriteRateLimit: intp(10), ReadRateLimit: intp(2)}
	_, c := strictCollection(t, sm, clock)
	_, err := c.Upsert(ctxb, strictPoints(1, 11), true)
	if !errors.Is(err, ErrRateLimited) || err.Error() != "Rate limiting exceeded: Write rate limit exceeded, request larger than rate limiter capacity, please try to split your request" {
		t.Fatalf("over capacity: %v", err)
	}
	if _, ok := RetryAfter(err); ok {
		t.Fatal("over capacity has a Retry-After")
	}
	if _, err := c.Upsert(ctxb, strictPoints(1, 10), true); err != nil {
		t.Fatalf("10 points: %v", err)
	}
	_, err = c.Upsert(ctxb, strictPoints(1, 10), true)
	if !errors.Is(err, ErrRateLimited) || err.Error() != "Rate limiting exceeded: Write rate limit exceeded: Operation requires 10 tokens but only 0.0 were available. Retry after 60s" {
		t.Fatalf("empty bucket: %v", err)
	}
	if d, ok := RetryAfter(err); !ok || d != time.Minute {
		t.Fatalf("Retry-After %v %v, want 1m", d, ok)
	}
	now = now.Add(30 * time.Second) // 5 tokens back
	if _, err := c.Upsert(ctxb, strictPoints(1, 5), true); err != nil {
		t.Fatalf("after 30s: %v", err)
	}
	q := SearchRequest{Vector: NamedVector{Vector: []float32{1, 1, 1, 1}}, Limit: 1}
	for i := range 2 {
		if _, err := c.Search(ctxb, q); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	_, err = c.Search(ctxb, q)
	if !errors.Is(err, ErrRateLimited) || !strings.HasPrefix(err.Error(), "Rate limiting exceeded: Read rate limit exceeded: Operation requires 1 tokens") {
		t.Fatalf("third read: %v", err)
	}
	// A recommend is charged once, not once per search it runs.
	now = now.Add(time.Minute)
	if _, err := c.SearchBatch(ctxb, []SearchRequest{q, q}); err != nil {
		t.Fatalf("batch of 2: %v", err)
	}
	_, err = c.Count(context.Background(), CountRequest{})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("count after batch: %v", err)
	}
}

func TestStrictModeCollectionFileVersion(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	mustCreate(t, st, "plain", simpleReq(4, point.Dot))
	req := simpleReq(4, point.Dot)
	req.StrictModeConfig = &StrictModeConfig{Enabled: boolp(true)}
	mustCreate(t, st, "strict", req)
	st.Close()
	for name, want := range map[string]uint32{"plain": collectionVersion, "strict": collectionVersionStrict} {
		b, err := os.ReadFile(filepath.Join(dir, "collections", name, CollectionFile))
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.LittleEndian.Uint32(b[8:]); v != want {
			t.Errorf("%s: version %d, want %d", name, v, want)
		}
	}
	st = openTest(t, dir, nil)
	defer st.Close()
	c, err := st.Collection("strict")
	if err != nil || !c.Config().StrictModeConfig.on() {
		t.Fatalf("strict collection reopened: %v %+v", err, c)
	}
}

func TestPeerIDKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	id := st.PeerID()
	st.Close()
	if id == 0 {
		t.Fatal("peer id 0")
	}
	st = openTest(t, dir, nil)
	defer st.Close()
	if got := st.PeerID(); got != id {
		t.Fatalf("peer id %d after restart, want %d", got, id)
	}
}
