package grpcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// restCopy makes collection "r" hold what pointsEnv put in "c", through
// REST, so a gRPC write on "c" can be compared with the same REST write
// on "r".
func (e *pointsEnv) restCopy(t *testing.T) {
	t.Helper()
	e.mustCreate(t, "r")
	var pts []string
	for i := 1; i <= 6; i++ {
		f := float64(i)
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":[1,%g,%g,%g],"payload":{"city":%q,"n":%d,"w":%.1f}}`,
			i, f, f*f, 7-f, cities[i-1], i, f/2))
	}
	e.rest(t, "PUT", "/collections/r/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
}

// sameAsREST fails unless "c" and "r" hold the same points.
func (e *pointsEnv) sameAsREST(t *testing.T, what string) {
	t.Helper()
	body := `{"limit":100,"with_payload":true,"with_vector":true}`
	var c, r json.RawMessage = e.rest(t, "POST", "/collections/c/points/scroll", body), e.rest(t, "POST", "/collections/r/points/scroll", body)
	if string(c) != string(r) {
		t.Fatalf("%s: gRPC wrote\n%s\nREST wrote\n%s", what, c, r)
	}
}

func TestConditionalUpsertMatchesREST(t *testing.T) {
	e := newPointsEnv(t)
	e.restCopy(t)
	ctx := context.Background()
	oslo := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("city", "Oslo")}}
	ps := func(id uint64, x float32) *qdrant.PointStruct {
		return &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectors(x, 1, 1, 1),
			Payload: qdrant.NewValueMap(map[string]any{"v": int64(id)})}
	}
	steps := []struct {
		what string
		req  *qdrant.UpsertPoints
		rest string
	}{
		{"insert_only", &qdrant.UpsertPoints{UpdateMode: qdrant.UpdateMode_InsertOnly.Enum(), Points: []*qdrant.PointStruct{ps(1, 2), ps(7, 2)}},
			`{"update_mode":"insert_only","points":[{"id":1,"vector":[2,1,1,1],"payload":{"v":1}},{"id":7,"vector":[2,1,1,1],"payload":{"v":7}}]}`},
		{"update_only", &qdrant.UpsertPoints{UpdateMode: qdrant.UpdateMode_UpdateOnly.Enum(), Points: []*qdrant.PointStruct{ps(2, 3), ps(8, 3)}},
			`{"update_mode":"update_only","points":[{"id":2,"vector":[3,1,1,1],"payload":{"v":2}},{"id":8,"vector":[3,1,1,1],"payload":{"v":8}}]}`},
		{"update_filter", &qdrant.UpsertPoints{UpdateFilter: oslo, Points: []*qdrant.PointStruct{ps(3, 4), ps(4, 4), ps(9, 4)}},
			`{"update_filter":{"must":[{"key":"city","match":{"value":"Oslo"}}]},"points":[{"id":3,"vector":[4,1,1,1],"payload":{"v":3}},{"id":4,"vector":[4,1,1,1],"payload":{"v":4}},{"id":9,"vector":[4,1,1,1],"payload":{"v":9}}]}`},
		{"upsert mode", &qdrant.UpsertPoints{UpdateMode: qdrant.UpdateMode_Upsert.Enum(), Points: []*qdrant.PointStruct{ps(5, 5)}},
			`{"update_mode":"upsert","points":[{"id":5,"vector":[5,1,1,1],"payload":{"v":5}}]}`},
	}
	for _, s := range steps {
		s.req.CollectionName, s.req.Wait = "c", qdrant.PtrOf(true)
		if _, err := e.cl.Upsert(ctx, s.req); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		e.rest(t, "PUT", "/collections/r/points?wait=true", s.rest)
		e.sameAsREST(t, s.what)
	}
	// The same through UpdateBatch.
	if _, err := e.pc.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Operations: []*qdrant.PointsUpdateOperation{{
		Operation: &qdrant.PointsUpdateOperation_Upsert{Upsert: &qdrant.PointsUpdateOperation_PointStructList{
			UpdateMode: qdrant.UpdateMode_InsertOnly.Enum(), Points: []*qdrant.PointStruct{ps(6, 6), ps(10, 6)}}}}}}); err != nil {
		t.Fatal(err)
	}
	e.rest(t, "POST", "/collections/r/points/batch?wait=true", `{"operations":[{"upsert":{"update_mode":"insert_only","points":[{"id":6,"vector":[6,1,1,1],"payload":{"v":6}},{"id":10,"vector":[6,1,1,1],"payload":{"v":10}}]}}]}`)
	e.sameAsREST(t, "batch insert_only")

	_, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "c", UpdateMode: qdrant.UpdateMode(9).Enum(), Points: []*qdrant.PointStruct{ps(11, 1)}})
	wantCode(t, "unknown mode", err, codes.InvalidArgument, "update_mode: unknown variant")
	e.sameAsREST(t, "refused mode")
}

func TestConditionalUpdateVectorsMatchesREST(t *testing.T) {
	e := newPointsEnv(t)
	e.restCopy(t)
	ctx := context.Background()
	bergen := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("city", "Bergen")}}
	pv := func(id uint64) *qdrant.PointVectors {
		return &qdrant.PointVectors{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectors(9, 0, 0, 1)}
	}
	if _, err := e.cl.UpdateVectors(ctx, &qdrant.UpdatePointVectors{CollectionName: "c", Wait: qdrant.PtrOf(true), UpdateFilter: bergen,
		Points: []*qdrant.PointVectors{pv(1), pv(2)}}); err != nil {
		t.Fatal(err)
	}
	e.rest(t, "PUT", "/collections/r/points/vectors?wait=true", `{"update_filter":{"must":[{"key":"city","match":{"value":"Bergen"}}]},"points":[{"id":1,"vector":[9,0,0,1]},{"id":2,"vector":[9,0,0,1]}]}`)
	e.sameAsREST(t, "update_filter")
	if _, err := e.pc.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Operations: []*qdrant.PointsUpdateOperation{{
		Operation: &qdrant.PointsUpdateOperation_UpdateVectors_{UpdateVectors: &qdrant.PointsUpdateOperation_UpdateVectors{
			UpdateFilter: bergen, Points: []*qdrant.PointVectors{pv(3), pv(5)}}}}}}); err != nil {
		t.Fatal(err)
	}
	e.rest(t, "POST", "/collections/r/points/batch?wait=true", `{"operations":[{"update_vectors":{"update_filter":{"must":[{"key":"city","match":{"value":"Bergen"}}]},"points":[{"id":3,"vector":[9,0,0,1]},{"id":5,"vector":[9,0,0,1]}]}}]}`)
	e.sameAsREST(t, "batch update_filter")
}
