package grpctests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// restError sends a REST request with the full key and returns its HTTP
// status and the envelope's status.error.
func (c *cairn) restError(method, path string, body any) (int, string) {
	c.t.Helper()
	j, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(method, c.rest.base+path, bytes.NewReader(j))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api-key", apiKey)
	res, err := c.rest.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var env struct {
		Status struct {
			Error string `json:"error"`
		} `json:"status"`
	}
	_ = json.NewDecoder(res.Body).Decode(&env)
	return res.StatusCode, env.Status.Error
}

// sameMessage fails unless the gRPC error's message is REST's for the same mistake.
func sameMessage(t *testing.T, what string, err error, restMsg string) {
	t.Helper()
	if st, ok := statusOf(err); ok && st.Message() != restMsg {
		t.Errorf("%s: gRPC says %q, REST says %q", what, st.Message(), restMsg)
	}
}

// TestBadInput: an unknown collection is NotFound, a vector of the wrong
// size and a malformed filter are InvalidArgument, with REST's message
// for the same mistake, and a refused upsert stores none of its points.
func TestBadInput(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl, pc := c.client, c.client.GetPointsClient()
	c.createCollection("c")
	c.upsert("c", 0, 10)

	unknown := []call{
		{"GetCollectionInfo", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.GetCollectionInfo(ctx(t), "nope")
			return err
		}},
		{"Upsert", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "nope", Wait: qdrant.PtrOf(true), Points: points(0, 1)})
			return err
		}},
		{"Get", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.Get(ctx(t), &qdrant.GetPoints{CollectionName: "nope", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}})
			return err
		}},
		{"Search", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: "nope", Vector: vec(1), Limit: 3})
			return err
		}},
		{"Query", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "nope", Query: qdrant.NewQueryDense(vec(1))})
			return err
		}},
		{"Count", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.Count(ctx(t), &qdrant.CountPoints{CollectionName: "nope"})
			return err
		}},
		{"Scroll", func(t *testing.T, cl *qdrant.Client) error {
			_, err := cl.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "nope"})
			return err
		}},
		{"ListSnapshots", func(t *testing.T, cl *qdrant.Client) error { _, err := cl.ListSnapshots(ctx(t), "nope"); return err }},
	}
	for _, u := range unknown {
		wantCode(t, "unknown collection: "+u.name, u.do(t, cl), codes.NotFound, "nope")
	}
	_, err := cl.Count(ctx(t), &qdrant.CountPoints{CollectionName: "nope"})
	_, restMsg := c.restError(http.MethodPost, "/collections/nope/points/count", map[string]any{})
	sameMessage(t, "unknown collection", err, restMsg)

	// Deleting an unknown collection is no error: result false, as REST's.
	del, err := cl.GetCollectionsClient().Delete(ctx(t), &qdrant.DeleteCollection{CollectionName: "nope"})
	if err != nil || del.GetResult() {
		t.Errorf("delete an unknown collection = %v, %v; want result false", del, err)
	}
	var restDel bool
	c.mustREST(http.MethodDelete, "/collections/nope", nil).Result(t, &restDel)
	if restDel {
		t.Errorf("REST deleted an unknown collection")
	}

	// Wrong dimension: the whole batch is refused.
	bad := append(points(20, 22), &qdrant.PointStruct{Id: qdrant.NewIDNum(22), Vectors: qdrant.NewVectorsDense([]float32{1, 2, 3})})
	_, err = cl.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: bad})
	wantCode(t, "upsert of a 3-d vector", err, codes.InvalidArgument, "dimension", "4", "3")
	code, restMsg := c.restError(http.MethodPut, "/collections/c/points?wait=true", map[string]any{"points": []any{
		map[string]any{"id": 22, "vector": []float32{1, 2, 3}}}})
	if code != http.StatusBadRequest {
		t.Errorf("REST upsert of a 3-d vector answered %d", code)
	}
	sameMessage(t, "upsert of a 3-d vector", err, restMsg)
	if got := c.count("c", nil); got != 10 {
		t.Errorf("count after the refused upsert = %d, want 10", got)
	}
	_, err = pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1, 2}, Limit: 3})
	wantCode(t, "search with a 2-d vector", err, codes.InvalidArgument, "dimension")
	_, err = cl.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryDense([]float32{1, 2, 3, 4, 5})})
	wantCode(t, "query with a 5-d vector", err, codes.InvalidArgument, "dimension")

	// Malformed filters.
	for _, f := range []struct {
		name   string
		filter *qdrant.Filter
	}{
		{"a condition of no kind", &qdrant.Filter{Must: []*qdrant.Condition{{}}}},
		{"a field condition with no match, range or other test", &qdrant.Filter{Must: []*qdrant.Condition{{
			ConditionOneOf: &qdrant.Condition_Field{Field: &qdrant.FieldCondition{Key: "city"}}}}}},
	} {
		_, err := pc.Search(ctx(t), &qdrant.SearchPoints{CollectionName: "c", Vector: vec(1), Limit: 3, Filter: f.filter})
		wantCode(t, "search with "+f.name, err, codes.InvalidArgument)
		_, err = cl.Count(ctx(t), &qdrant.CountPoints{CollectionName: "c", Filter: f.filter})
		wantCode(t, "count with "+f.name, err, codes.InvalidArgument)
		_, err = cl.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelectorFilter(f.filter)})
		wantCode(t, "delete with "+f.name, err, codes.InvalidArgument)
	}
	if got := c.count("c", nil); got != 10 {
		t.Errorf("count after the refused deletes = %d, want 10", got)
	}

	// A bad collection name and a zero vector size.
	err = cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "a/b",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot})})
	wantCode(t, "create a/b", err, codes.InvalidArgument)
	err = cl.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "zero",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 0, Distance: qdrant.Distance_Dot})})
	wantCode(t, "create with size 0", err, codes.InvalidArgument)
	if ok, _ := cl.CollectionExists(ctx(t), "zero"); ok {
		t.Errorf("a refused create left collection zero")
	}
}
