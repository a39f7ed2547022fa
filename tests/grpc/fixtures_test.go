package grpctests

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// dim is the vector size of the collections the tests create.
const dim = 4

// cities are the "city" payload values, point i having cities[i%3].
var cities = []string{"Oslo", "Bergen", "Tromsø"}

// vec is point i's deterministic vector.
func vec(i int) []float32 {
	r := rand.New(rand.NewPCG(uint64(i), 22))
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(r.Float64()*2 - 1)
	}
	return v
}

// payloadOf is point i's payload: an integer, a double, a keyword, a list
// and a nested object, so every Value kind crosses the wire.
func payloadOf(i int) map[string]any {
	return map[string]any{
		"i": int64(i), "price": float64(i) + 0.5, "city": cities[i%3],
		"tags": []any{"t" + string(rune('a'+i%5)), int64(i % 2)}, "meta": map[string]any{"even": i%2 == 0},
	}
}

// createCollection creates a dim-sized Dot collection through gRPC.
func (c *cairn) createCollection(name string) {
	c.t.Helper()
	err := c.client.CreateCollection(ctx(c.t), &qdrant.CreateCollection{
		CollectionName: name,
		VectorsConfig:  qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: qdrant.Distance_Dot}),
	})
	if err != nil {
		c.t.Fatalf("create collection %s: %v", name, err)
	}
}

// points returns points [from, to) with their vectors and payloads.
func points(from, to int) []*qdrant.PointStruct {
	pts := make([]*qdrant.PointStruct, 0, to-from)
	for i := from; i < to; i++ {
		pts = append(pts, &qdrant.PointStruct{
			Id:      qdrant.NewIDNum(uint64(i)),
			Vectors: qdrant.NewVectorsDense(vec(i)),
			Payload: qdrant.NewValueMap(payloadOf(i)),
		})
	}
	return pts
}

// upsert writes points [from, to) through gRPC with wait=true.
func (c *cairn) upsert(name string, from, to int) {
	c.t.Helper()
	res, err := c.client.Upsert(ctx(c.t), &qdrant.UpsertPoints{CollectionName: name, Wait: qdrant.PtrOf(true), Points: points(from, to)})
	if err != nil {
		c.t.Fatalf("upsert %d..%d into %s: %v", from, to, name, err)
	}
	if res.GetStatus() != qdrant.UpdateStatus_Completed {
		c.t.Fatalf("upsert with wait=true answered status %v, want Completed", res.GetStatus())
	}
}

// count is the exact number of points matching filter (nil: all).
func (c *cairn) count(name string, filter *qdrant.Filter) uint64 {
	c.t.Helper()
	n, err := c.client.Count(ctx(c.t), &qdrant.CountPoints{CollectionName: name, Filter: filter, Exact: qdrant.PtrOf(true)})
	if err != nil {
		c.t.Fatalf("count %s: %v", name, err)
	}
	return n
}

// wantCode fails unless err carries the gRPC code want and its message
// contains every one of texts.
func wantCode(t *testing.T, what string, err error, want codes.Code, texts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %v", what, want)
		return
	}
	st, ok := statusOf(err)
	if !ok {
		t.Errorf("%s: %v is not a gRPC status, want %v", what, err, want)
		return
	}
	if st.Code() != want {
		t.Errorf("%s: code %v (%q), want %v", what, st.Code(), st.Message(), want)
		return
	}
	for _, s := range texts {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("%s: message %q does not say %q", what, st.Message(), s)
		}
	}
	if strings.Contains(st.Message(), "not implemented") {
		t.Errorf("%s: answered by a generated Unimplemented stub: %q", what, st.Message())
	}
}

// statusOf returns the gRPC status of err, under the client's
// QdrantError wrapper (whose own text would otherwise be the message).
func statusOf(err error) (*status.Status, bool) {
	var qe *qdrant.QdrantError
	if errors.As(err, &qe) {
		err = qe.Unwrap()
	}
	return status.FromError(err)
}

// ids returns the numeric ids of retrieved or scored points.
func ids[P interface{ GetId() *qdrant.PointId }](pts []P) []uint64 {
	out := make([]uint64, len(pts))
	for i, p := range pts {
		out[i] = p.GetId().GetNum()
	}
	return out
}
