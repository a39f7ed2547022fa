package grpcapi

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

func TestPointsPayloadAndVectorWrites(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	sel := qdrant.NewPointsSelector(qdrant.NewIDNum(1))
	res, err := e.cl.SetPayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "c", PointsSelector: sel,
		Payload: qdrant.NewValueMap(map[string]any{"tag": "x", "deep": map[string]any{"a": 1}})})
	if err != nil || res.GetStatus() != qdrant.UpdateStatus_Acknowledged {
		t.Fatalf("set payload without wait: %v %v", res, err)
	}
	if _, err := e.cl.SetPayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "c", PointsSelector: sel, Key: qdrant.PtrOf("deep"),
		Payload: qdrant.NewValueMap(map[string]any{"b": 2.0})}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cl.DeletePayload(ctx, &qdrant.DeletePayloadPoints{CollectionName: "c", PointsSelector: sel, Keys: []string{"w"}}); err != nil {
		t.Fatal(err)
	}
	// REST reads what gRPC wrote; the double 2.0 stays a double.
	if got := string(e.rest(t, "GET", "/collections/c/points/1", "")); !strings.Contains(got, `"payload":{"city":"Oslo","deep":{"a":1,"b":2.0},"n":1,"tag":"x"}`) {
		t.Fatalf("REST reads %s", got)
	}
	if _, err := e.cl.OverwritePayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "c", Wait: qdrant.PtrOf(true),
		PointsSelector: qdrant.NewPointsSelectorFilter(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("city", "Bergen")}}),
		Payload:        qdrant.NewValueMap(map[string]any{"only": true})}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cl.ClearPayload(ctx, &qdrant.ClearPayloadPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(3))}); err != nil {
		t.Fatal(err)
	}
	recs, _ := e.col.Get(ctx, []point.ID{point.NumID(2), point.NumID(3)}, engine.WithPayload{Enable: true}, engine.WithVector{})
	if len(recs) != 2 || !reflect.DeepEqual(recs[0].Payload, map[string]any{"only": true}) || len(recs[1].Payload) != 0 {
		t.Fatalf("after overwrite and clear: %+v", recs)
	}

	if _, err := e.cl.UpdateVectors(ctx, &qdrant.UpdatePointVectors{CollectionName: "c", Wait: qdrant.PtrOf(true),
		Points: []*qdrant.PointVectors{{Id: qdrant.NewIDNum(4), Vectors: qdrant.NewVectors(0, 0, 0, 1)}}}); err != nil {
		t.Fatal(err)
	}
	recs, _ = e.col.Get(ctx, []point.ID{point.NumID(4)}, engine.WithPayload{}, engine.WithVector{Enable: true})
	if v := recs[0].Vector[""]; v[3] != 1 || v[0] != 0 {
		t.Fatalf("vector after update: %v", v)
	}
	if _, err := e.cl.DeleteVectors(ctx, &qdrant.DeletePointVectors{CollectionName: "c", Wait: qdrant.PtrOf(true),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(4)), Vectors: &qdrant.VectorsSelector{Names: []string{""}}}); err != nil {
		t.Fatal(err)
	}
	recs, _ = e.col.Get(ctx, []point.ID{point.NumID(4)}, engine.WithPayload{}, engine.WithVector{Enable: true})
	if len(recs[0].Vector) != 0 {
		t.Fatalf("vector after delete: %v", recs[0].Vector)
	}

	if _, err := e.cl.Delete(ctx, &qdrant.DeletePoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(5)),
		Ordering: &qdrant.WriteOrdering{Type: qdrant.WriteOrderingType_Strong}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.cl.Count(ctx, &qdrant.CountPoints{CollectionName: "c", ReadConsistency: qdrant.NewReadConsistencyType(qdrant.ReadConsistencyType_Majority)}); err != nil || n != 5 {
		t.Fatalf("count with majority: %d %v", n, err)
	}
	if n, _ := e.col.Count(ctx, engine.CountRequest{}); n != 5 {
		t.Fatalf("count after delete: %d", n)
	}
}

func TestPointsUpdateBatch(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	res, err := e.cl.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{CollectionName: "c", Wait: qdrant.PtrOf(true), Operations: []*qdrant.PointsUpdateOperation{
		qdrant.NewPointsUpdateUpsert(&qdrant.PointsUpdateOperation_PointStructList{Points: []*qdrant.PointStruct{
			{Id: qdrant.NewID("8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f"), Vectors: qdrant.NewVectors(1, 2, 3, 4)}}}),
		qdrant.NewPointsUpdateSetPayload(&qdrant.PointsUpdateOperation_SetPayload{PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1)),
			Payload: qdrant.NewValueMap(map[string]any{"b": 1})}),
		qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewIDNum(6))}),
	}})
	if err != nil || len(res) != 3 {
		t.Fatalf("batch: %v %v", res, err)
	}
	for _, r := range res {
		if r.GetStatus() != qdrant.UpdateStatus_Completed {
			t.Fatalf("batch result %v", r)
		}
	}
	if n, _ := e.col.Count(ctx, engine.CountRequest{}); n != 6 {
		t.Fatalf("count after batch: %d", n)
	}
	// A malformed operation is refused, naming it, before any is applied.
	_, err = e.cl.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{CollectionName: "c", Operations: []*qdrant.PointsUpdateOperation{
		qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}),
		qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewID("bad"))}),
	}})
	wantCode(t, "bad batch", err, codes.InvalidArgument, "operations[1]: Unable to parse UUID: bad")
	if n, _ := e.col.Count(ctx, engine.CountRequest{}); n != 6 {
		t.Fatalf("a refused batch changed the collection: %d points", n)
	}
	// An operation the engine refuses names its index; earlier ones stay applied, as REST.
	_, err = e.cl.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{CollectionName: "c", Operations: []*qdrant.PointsUpdateOperation{
		qdrant.NewPointsUpdateDeletePoints(&qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}),
		qdrant.NewPointsUpdateUpsert(&qdrant.PointsUpdateOperation_PointStructList{Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(9), Vectors: qdrant.NewVectors(1)}}}),
	}})
	wantCode(t, "wrong dimension in batch", err, codes.InvalidArgument, "operations[1]: ", "dimension")
}

func TestPointsBadInput(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	nan := float32(math.NaN())
	for _, c := range []struct {
		what string
		call func() error
		code codes.Code
		frag string
	}{
		{"unknown collection", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "nope", Vector: []float32{1, 2, 3, 4}, Limit: 1})
			return err
		}, codes.NotFound, "Collection `nope` doesn't exist!"},
		{"unknown collection (write)", func() error {
			_, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "nope", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectors(1, 2, 3, 4)}}})
			return err
		}, codes.NotFound, "doesn't exist"},
		{"wrong vector size", func() error {
			_, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "c", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectors(1, 2)}}})
			return err
		}, codes.InvalidArgument, "dimension"},
		{"wrong query size", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1, 2}, Limit: 1})
			return err
		}, codes.InvalidArgument, "dimension"},
		{"NaN vector", func() error {
			_, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "c", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectors(1, nan, 3, 4)}}})
			return err
		}, codes.InvalidArgument, ""},
		{"NaN query", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1, nan, 3, 4}, Limit: 1})
			return err
		}, codes.InvalidArgument, ""},
		{"bad filter", func() error {
			_, err := e.cl.Count(ctx, &qdrant.CountPoints{CollectionName: "c", Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewGeoRadius("g", 100, 0, 10)}}})
			return err
		}, codes.InvalidArgument, "lat"},
		{"bad min_should", func() error {
			_, err := e.cl.Count(ctx, &qdrant.CountPoints{CollectionName: "c", Filter: &qdrant.Filter{MinShould: &qdrant.MinShould{MinCount: 0}}})
			return err
		}, codes.InvalidArgument, "min_count"},
		{"bad id", func() error {
			_, err := e.cl.Get(ctx, &qdrant.GetPoints{CollectionName: "c", Ids: []*qdrant.PointId{qdrant.NewID("12-ab")}})
			return err
		}, codes.InvalidArgument, "Unable to parse UUID: 12-ab"},
		{"missing id", func() error {
			_, err := e.cl.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "c", Points: []*qdrant.PointStruct{{Vectors: qdrant.NewVectors(1, 2, 3, 4)}}})
			return err
		}, codes.InvalidArgument, "points[0].id: missing field"},
		{"limit 0", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1, 2, 3, 4}, Limit: 0})
			return err
		}, codes.InvalidArgument, "limit: value 0 invalid, must be 1 or more"},
		{"query limit 0", func() error {
			_, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Limit: qdrant.PtrOf(uint64(0))})
			return err
		}, codes.InvalidArgument, "limit"},
		{"hnsw_ef 0", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1, 2, 3, 4}, Limit: 1, Params: &qdrant.SearchParams{HnswEf: qdrant.PtrOf(uint64(0))}})
			return err
		}, codes.InvalidArgument, "hnsw_ef"},
		{"timeout 0", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1, 2, 3, 4}, Limit: 1, Timeout: qdrant.PtrOf(uint64(0))})
			return err
		}, codes.InvalidArgument, "timeout"},
		{"sparse query", func() error {
			_, err := e.pc.Search(ctx, &qdrant.SearchPoints{CollectionName: "c", Vector: []float32{1}, SparseIndices: &qdrant.SparseIndices{Data: []uint32{1}}, Limit: 1})
			return err
		}, codes.InvalidArgument, "Conversion between sparse and regular vectors failed"},
		{"recommend without positives", func() error {
			_, err := e.pc.Recommend(ctx, &qdrant.RecommendPoints{CollectionName: "c", Negative: []*qdrant.PointId{qdrant.NewIDNum(1)}, Limit: 1})
			return err
		}, codes.InvalidArgument, "Bad request: At least one positive vector ID required with this strategy"},
		{"query recommend without positives", func() error {
			_, err := e.cl.Query(ctx, &qdrant.QueryPoints{CollectionName: "c", Query: qdrant.NewQueryRecommend(&qdrant.RecommendInput{
				Negative: []*qdrant.VectorInput{qdrant.NewVectorInputID(qdrant.NewIDNum(1))}})})
			return err
		}, codes.InvalidArgument, "Wrong input: Validation failed: Positive vectors should not be empty with `average` strategy"},
		{"shard key", func() error {
			_, err := e.cl.Delete(ctx, &qdrant.DeletePoints{CollectionName: "c", Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1)),
				ShardKeySelector: &qdrant.ShardKeySelector{ShardKeys: []*qdrant.ShardKey{qdrant.NewShardKeyNum(1)}}})
			return err
		}, codes.InvalidArgument, "shard_key"},
		{"no selector", func() error {
			_, err := e.cl.Delete(ctx, &qdrant.DeletePoints{CollectionName: "c"})
			return err
		}, codes.InvalidArgument, "points: missing field"},
		{"unknown ordering", func() error {
			_, err := e.cl.Delete(ctx, &qdrant.DeletePoints{CollectionName: "c", Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1)),
				Ordering: &qdrant.WriteOrdering{Type: qdrant.WriteOrderingType(7)}})
			return err
		}, codes.InvalidArgument, "ordering: unknown variant"},
		{"unknown read consistency", func() error {
			_, err := e.cl.Count(ctx, &qdrant.CountPoints{CollectionName: "c", ReadConsistency: qdrant.NewReadConsistencyType(qdrant.ReadConsistencyType(9))})
			return err
		}, codes.InvalidArgument, "read_consistency"},
		{"index without type", func() error {
			_, err := e.cl.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "c", FieldName: "x"})
			return err
		}, codes.InvalidArgument, "field_type"},
	} {
		wantCode(t, c.what, c.call(), c.code, c.frag)
	}
	// Nothing that failed changed what is stored.
	if n, _ := e.col.Count(ctx, engine.CountRequest{}); n != 6 {
		t.Fatalf("failed requests changed the collection: %d points", n)
	}
	recs, _ := e.col.Get(ctx, []point.ID{point.NumID(1)}, engine.WithPayload{}, engine.WithVector{Enable: true})
	if v := recs[0].Vector[""]; len(v) != 4 {
		t.Fatalf("point 1 changed: %v", v)
	}
}
