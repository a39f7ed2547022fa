package grpctests

import (
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"
)

// n is the number of points the Points tests load.
const n = 30

// dot is the Dot score of a and b, as float32 sums.
func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// nearest returns the ids of the k best Dot scores of q among ids, best first.
func nearest(q []float32, among []int, k int) []uint64 {
	s := slices.Clone(among)
	sort.SliceStable(s, func(a, b int) bool { return dot(q, vec(s[a])) > dot(q, vec(s[b])) })
	out := make([]uint64, 0, k)
	for _, i := range s[:min(k, len(s))] {
		out = append(out, uint64(i))
	}
	return out
}

// where returns the ids in [0, n) for which keep holds.
func where(keep func(i int) bool) []int {
	var out []int
	for i := range n {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

func inCity(city string) func(int) bool { return func(i int) bool { return cities[i%3] == city } }

func cityFilter(city string) *qdrant.Filter {
	return &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatch("city", city)}}
}

// TestUpsertGetDelete: upsert with wait true (Completed) and false
// (Acknowledged, then visible), get with payload and vectors, delete by
// ids and by filter.
func TestUpsertGetDelete(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, n/2)
	res, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(false), Points: points(n/2, n)})
	if err != nil {
		t.Fatalf("upsert wait=false: %v", err)
	}
	if res.GetStatus() != qdrant.UpdateStatus_Acknowledged {
		t.Errorf("upsert wait=false answered %v, want Acknowledged", res.GetStatus())
	}
	// A bound on the background apply, checked on the count.
	deadline := time.Now().Add(requestBound)
	for c.count("c", nil) != n {
		if time.Now().After(deadline) {
			t.Fatalf("the wait=false upsert did not become visible within %v", requestBound)
		}
		time.Sleep(10 * time.Millisecond)
	}

	got, err := cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "c", Ids: []*qdrant.PointId{qdrant.NewIDNum(3), qdrant.NewIDNum(20), qdrant.NewIDNum(999)},
		WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true)})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if !slices.Equal(ids(got), []uint64{3, 20}) {
		t.Fatalf("get 3, 20, 999 returned ids %v, want [3 20]", ids(got))
	}
	for _, p := range got {
		i := int(p.GetId().GetNum())
		checkPayload(t, "get", i, p.GetPayload(), payloadOf(i))
		if v := p.GetVectors().GetVector().GetDenseVector().GetData(); !slices.Equal(v, vec(i)) {
			t.Errorf("get %d: vector %v, want %v", i, v, vec(i))
		}
	}

	_, err = cl.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: "c", Wait: qdrant.PtrOf(true),
		Points: qdrant.NewPointsSelector(qdrant.NewIDNum(0), qdrant.NewIDNum(1))})
	if err != nil {
		t.Fatalf("delete ids: %v", err)
	}
	if got := c.count("c", nil); got != n-2 {
		t.Errorf("count after deleting 2 ids = %d, want %d", got, n-2)
	}
	_, err = cl.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: "c", Wait: qdrant.PtrOf(true),
		Points: qdrant.NewPointsSelectorFilter(cityFilter("Bergen"))})
	if err != nil {
		t.Fatalf("delete by filter: %v", err)
	}
	left := where(func(i int) bool { return i > 1 && !inCity("Bergen")(i) })
	if got := c.count("c", nil); got != uint64(len(left)) {
		t.Errorf("count after deleting Bergen = %d, want %d", got, len(left))
	}
	if got := c.count("c", cityFilter("Bergen")); got != 0 {
		t.Errorf("%d Bergen points left after deleting them by filter", got)
	}
}

// checkPayload compares a payload read through gRPC with the one written,
// integers as integers and doubles as doubles.
func checkPayload(t *testing.T, what string, i int, got map[string]*qdrant.Value, want map[string]any) {
	t.Helper()
	w := qdrant.NewValueMap(want)
	if len(got) != len(w) {
		t.Errorf("%s %d: payload has %d keys, want %d: %v", what, i, len(got), len(w), got)
	}
	for k, wv := range w {
		if gv, ok := got[k]; !ok || !proto.Equal(gv, wv) {
			t.Errorf("%s %d: payload[%q] = %v, want %v", what, i, k, gv, wv)
		}
	}
}

// TestScrollAndCount: scroll with a filter in pages of 4 through
// next_page_offset, and exact counts with and without a filter.
func TestScrollAndCount(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, n)
	var seen []uint64
	var offset *qdrant.PointId
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatalf("scroll did not end after %d pages", pages)
		}
		pts, next, err := c.client.ScrollAndOffset(ctx(t), &qdrant.ScrollPoints{CollectionName: "c", Filter: cityFilter("Oslo"),
			Limit: qdrant.PtrOf(uint32(4)), Offset: offset, WithPayload: qdrant.NewWithPayloadInclude("city")})
		if err != nil {
			t.Fatalf("scroll: %v", err)
		}
		if len(pts) > 4 {
			t.Fatalf("scroll page of %d points, limit 4", len(pts))
		}
		for _, p := range pts {
			if city := p.GetPayload()["city"].GetStringValue(); city != "Oslo" || len(p.GetPayload()) != 1 {
				t.Errorf("scroll returned point %d with payload %v, want only city Oslo", p.GetId().GetNum(), p.GetPayload())
			}
		}
		seen = append(seen, ids(pts)...)
		if next == nil {
			break
		}
		offset = next
	}
	var want []uint64
	for _, i := range where(inCity("Oslo")) {
		want = append(want, uint64(i))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("scrolled ids %v, want %v (in id order)", seen, want)
	}
	if got := c.count("c", nil); got != n {
		t.Errorf("count = %d, want %d", got, n)
	}
	if got := c.count("c", cityFilter("Oslo")); got != uint64(len(want)) {
		t.Errorf("count Oslo = %d, want %d", got, len(want))
	}
	rng := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("i", &qdrant.Range{Gte: qdrant.PtrOf(10.0), Lt: qdrant.PtrOf(20.0)})}}
	if got := c.count("c", rng); got != 10 {
		t.Errorf("count 10 <= i < 20 = %d, want 10", got)
	}
}

// TestSearchAndQuery: Search and Query with a filter against the exact
// answer, and Query with two prefetches fused by RRF against REST's
// answer to the same query.
func TestSearchAndQuery(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, n)
	q := vec(1000)
	want := nearest(q, where(inCity("Tromsø")), 5)

	sr, err := c.client.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: q, Limit: 5,
		Filter: cityFilter("Tromsø"), WithPayload: qdrant.NewWithPayload(true)})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	checkScored(t, "search", sr.GetResult(), q, want)
	for _, p := range sr.GetResult() {
		checkPayload(t, "search", int(p.GetId().GetNum()), p.GetPayload(), payloadOf(int(p.GetId().GetNum())))
	}

	qr, err := c.client.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryDense(q), Limit: qdrant.PtrOf(uint64(5)),
		Filter: cityFilter("Tromsø"), Params: &qdrant.SearchParams{HnswEf: qdrant.PtrOf(uint64(64))}})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	checkScored(t, "query", qr, q, want)

	// Prefetch + fusion, compared with REST's answer.
	fused, err := c.client.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint64(6)),
		Prefetch: []*qdrant.PrefetchQuery{
			{Query: qdrant.NewQueryDense(q), Filter: cityFilter("Oslo"), Limit: qdrant.PtrOf(uint64(8))},
			{Query: qdrant.NewQueryDense(vec(2000)), Limit: qdrant.PtrOf(uint64(8))},
		},
		Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
	if err != nil {
		t.Fatalf("query with prefetch and fusion: %v", err)
	}
	var rest struct {
		Points []restHit `json:"points"`
	}
	c.mustREST("POST", "/collections/c/points/query", map[string]any{
		"limit": 6, "query": map[string]any{"fusion": "rrf"},
		"prefetch": []any{
			map[string]any{"query": q, "filter": map[string]any{"must": []any{map[string]any{"key": "city", "match": map[string]any{"value": "Oslo"}}}}, "limit": 8},
			map[string]any{"query": vec(2000), "limit": 8},
		},
	}).Result(t, &rest)
	sameHits(t, "prefetch+RRF", fused, rest.Points)
	if len(fused) != 6 {
		t.Errorf("prefetch+RRF returned %d points, want 6", len(fused))
	}
}

// checkScored compares scored points with the exact ids and Dot scores.
func checkScored(t *testing.T, what string, got []*qdrant.ScoredPoint, q []float32, want []uint64) {
	t.Helper()
	if !slices.Equal(ids(got), want) {
		t.Errorf("%s: ids %v, want %v", what, ids(got), want)
		return
	}
	for _, p := range got {
		exact := dot(q, vec(int(p.GetId().GetNum())))
		if d := p.GetScore() - exact; d > 1e-5 || d < -1e-5 {
			t.Errorf("%s: point %d score %v, exact %v", what, p.GetId().GetNum(), p.GetScore(), exact)
		}
	}
}

// TestRecommend: Recommend by positive and negative ids answers what REST
// answers for the same request.
func TestRecommend(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	c.upsert("c", 0, n)
	res, err := c.client.GetPointsClient().Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: "c",
		Positive: []*qdrant.PointId{qdrant.NewIDNum(1), qdrant.NewIDNum(4)}, Negative: []*qdrant.PointId{qdrant.NewIDNum(7)},
		Limit: 5, Filter: &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewMatch("city", "Bergen")}}})
	if err != nil {
		t.Fatalf("recommend: %v", err)
	}
	var rest []restHit
	c.mustREST("POST", "/collections/c/points/recommend", map[string]any{"positive": []int{1, 4}, "negative": []int{7}, "limit": 5,
		"filter": map[string]any{"must_not": []any{map[string]any{"key": "city", "match": map[string]any{"value": "Bergen"}}}}}).Result(t, &rest)
	sameHits(t, "recommend", res.GetResult(), rest)
	if len(res.GetResult()) != 5 {
		t.Errorf("recommend returned %d points, want 5", len(res.GetResult()))
	}
	for _, p := range res.GetResult() {
		if id := p.GetId().GetNum(); id == 1 || id == 4 || id == 7 || inCity("Bergen")(int(id)) {
			t.Errorf("recommend returned point %d (an example or a Bergen point)", id)
		}
	}
}

// TestPayloadOps: set, overwrite, delete keys and clear, by ids and by
// filter, each read back.
func TestPayloadOps(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, 6)
	payloadOfPoint := func(i int) map[string]*qdrant.Value {
		t.Helper()
		got, err := cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "c", Ids: []*qdrant.PointId{qdrant.NewIDNum(uint64(i))}, WithPayload: qdrant.NewWithPayload(true)})
		if err != nil || len(got) != 1 {
			t.Fatalf("get %d: %v, %d points", i, err, len(got))
		}
		return got[0].GetPayload()
	}
	wait := qdrant.PtrOf(true)
	if _, err := cl.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "c", Wait: wait,
		Payload: qdrant.NewValueMap(map[string]any{"new": "yes", "i": 100}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}); err != nil {
		t.Fatalf("set payload: %v", err)
	}
	want := payloadOf(1)
	want["new"], want["i"] = "yes", int64(100)
	checkPayload(t, "after set", 1, payloadOfPoint(1), want)

	if _, err := cl.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "c", Wait: wait,
		Payload: qdrant.NewValueMap(map[string]any{"flag": true}), PointsSelector: qdrant.NewPointsSelectorFilter(cityFilter("Bergen"))}); err != nil {
		t.Fatalf("set payload by filter: %v", err)
	}
	if got := c.count("c", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchBool("flag", true)}}); got != 2 {
		t.Errorf("%d points flagged by the filtered set, want 2 (Bergen)", got)
	}

	if _, err := cl.OverwritePayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "c", Wait: wait,
		Payload: qdrant.NewValueMap(map[string]any{"only": 1.25}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(2))}); err != nil {
		t.Fatalf("overwrite payload: %v", err)
	}
	checkPayload(t, "after overwrite", 2, payloadOfPoint(2), map[string]any{"only": 1.25})

	if _, err := cl.DeletePayload(ctx(t), &qdrant.DeletePayloadPoints{CollectionName: "c", Wait: wait, Keys: []string{"price", "meta"},
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(3))}); err != nil {
		t.Fatalf("delete payload keys: %v", err)
	}
	want = payloadOf(3)
	delete(want, "price")
	delete(want, "meta")
	checkPayload(t, "after delete keys", 3, payloadOfPoint(3), want)

	if _, err := cl.ClearPayload(ctx(t), &qdrant.ClearPayloadPoints{CollectionName: "c", Wait: wait,
		Points: qdrant.NewPointsSelector(qdrant.NewIDNum(4))}); err != nil {
		t.Fatalf("clear payload: %v", err)
	}
	if p := payloadOfPoint(4); len(p) != 0 {
		t.Errorf("payload after clear = %v, want empty", p)
	}
	checkPayload(t, "untouched", 5, payloadOfPoint(5), payloadOf(5))
}

// TestFieldIndex: create a keyword and an integer index (in the
// collection's payload schema, filters still answer), delete one.
func TestFieldIndex(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, n)
	for field, typ := range map[string]qdrant.FieldType{"city": qdrant.FieldType_FieldTypeKeyword, "i": qdrant.FieldType_FieldTypeInteger} {
		res, err := cl.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: "c", Wait: qdrant.PtrOf(true), FieldName: field, FieldType: qdrant.PtrOf(typ)})
		if err != nil {
			t.Fatalf("create index on %s: %v", field, err)
		}
		if res.GetStatus() != qdrant.UpdateStatus_Completed {
			t.Errorf("create index on %s with wait: status %v", field, res.GetStatus())
		}
	}
	info, err := cl.GetCollectionInfo(ctx(t), "c")
	if err != nil {
		t.Fatal(err)
	}
	schema := info.GetPayloadSchema()
	if schema["city"].GetDataType() != qdrant.PayloadSchemaType_Keyword || schema["i"].GetDataType() != qdrant.PayloadSchemaType_Integer {
		t.Errorf("payload schema = %v, want city keyword and i integer", schema)
	}
	if got, want := c.count("c", cityFilter("Oslo")), uint64(len(where(inCity("Oslo")))); got != want {
		t.Errorf("count Oslo over the index = %d, want %d", got, want)
	}
	if _, err := cl.DeleteFieldIndex(ctx(t), &qdrant.DeleteFieldIndexCollection{CollectionName: "c", Wait: qdrant.PtrOf(true), FieldName: "city"}); err != nil {
		t.Fatalf("delete index: %v", err)
	}
	info, err = cl.GetCollectionInfo(ctx(t), "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.GetPayloadSchema()["city"]; ok || len(info.GetPayloadSchema()) != 1 {
		t.Errorf("payload schema after deleting city's index = %v, want only i", info.GetPayloadSchema())
	}
}

// TestUpdateBatch: upsert, set payload, delete payload and delete points
// in one UpdateBatch, applied in order.
func TestUpdateBatch(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, 4)
	ops := []*qdrant.PointsUpdateOperation{
		qdrant.NewPointsUpdateUpsert(&qdrant.PointsUpdateOperation_PointStructList{Points: points(10, 13)}),
		qdrant.NewPointsUpdateSetPayload(&qdrant.PointsUpdateOperation_SetPayload{
			Payload: qdrant.NewValueMap(map[string]any{"batch": "set"}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(10), qdrant.NewIDNum(0))}),
		qdrant.NewPointsUpdateDeletePayload(&qdrant.PointsUpdateOperation_DeletePayload{Keys: []string{"city"}, PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(10))}),
		qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1), qdrant.NewIDNum(12))}),
	}
	res, err := cl.UpdateBatch(ctx(t), &qdrant.UpdateBatchPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Operations: ops})
	if err != nil {
		t.Fatalf("update batch: %v", err)
	}
	if len(res) != len(ops) {
		t.Fatalf("update batch answered %d results for %d operations", len(res), len(ops))
	}
	for i, r := range res {
		if r.GetStatus() != qdrant.UpdateStatus_Completed {
			t.Errorf("operation %d: status %v, want Completed", i, r.GetStatus())
		}
	}
	pts, err := cl.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint32(100)), WithPayload: qdrant.NewWithPayload(true)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(pts), []uint64{0, 2, 3, 10, 11}) {
		t.Errorf("ids after the batch = %v, want [0 2 3 10 11]", ids(pts))
	}
	for _, p := range pts {
		i := int(p.GetId().GetNum())
		want := payloadOf(i)
		switch i {
		case 0:
			want["batch"] = "set"
		case 10:
			want["batch"] = "set"
			delete(want, "city")
		}
		checkPayload(t, "after the batch", i, p.GetPayload(), want)
	}
}

// TestConcurrentClients: writers, readers and a snapshot at once over one
// server's gRPC port, each client on its own connections: every call
// answers, and every written point is counted.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.createCollection("c")
	const writers, batches, per = 4, 10, 50
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for w := range writers {
		cl := c.dial(apiKey) // dialled here: dial may fail the test
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				from := (w*batches + b) * per
				if _, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: points(from, from+per)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for r := range 2 {
		cl := c.dial(readOnlyKey)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				if _, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryDense(vec(r*100 + i)), Filter: cityFilter("Oslo")}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	snap := c.dial(apiKey)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := snap.CreateSnapshot(ctx(t), "c"); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	if got := c.count("c", nil); got != writers*batches*per {
		t.Errorf("count = %d, want %d", got, writers*batches*per)
	}
}
