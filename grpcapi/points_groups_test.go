package grpcapi

import (
	"context"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// sameGroups fails unless gRPC's groups are the engine's.
func sameGroups(t *testing.T, what string, got *qdrant.GroupsResult, want engine.GroupsResult) {
	t.Helper()
	if exp := groupsToProto(want); got.String() != exp.String() || len(want.Groups) == 0 {
		t.Fatalf("%s: got %v\nengine %v", what, got, exp)
	}
}

// TestPointsGroupsMatchEngine: search, recommend and query groups answer
// over gRPC what the engine's group functions (REST's routes) answer,
// with_lookup included; bad grouping is refused as REST refuses it.
func TestPointsGroupsMatchEngine(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	q := []float32{1, 3, 9, 4}
	lookup := &qdrant.WithLookup{Collection: "c", WithPayload: qdrant.NewWithPayloadInclude("n")}
	elookup := &engine.WithLookup{Collection: "c", WithPayload: &engine.WithPayload{Enable: true, Include: []string{"n"}}}
	sg, err := e.pc.SearchGroups(ctx, &qdrant.SearchPointGroups{CollectionName: "c", Vector: q, GroupBy: "city", GroupSize: 2, Limit: 3, WithLookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	g := engine.GroupRequest{GroupBy: "city", GroupSize: 2, Limit: 3, WithLookup: elookup}
	want, err := e.col.SearchGroups(ctx, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}}, g)
	if err != nil {
		t.Fatal(err)
	}
	sameGroups(t, "search groups", sg.GetResult(), want)

	rg, err := e.pc.RecommendGroups(ctx, &qdrant.RecommendPointGroups{CollectionName: "c", Positive: []*qdrant.PointId{qdrant.NewIDNum(1)},
		GroupBy: "n", GroupSize: 1, Limit: 4, Strategy: qdrant.RecommendStrategy_BestScore.Enum()})
	if err != nil {
		t.Fatal(err)
	}
	one := point.NumID(1)
	want, err = e.col.RecommendGroups(ctx, engine.RecommendRequest{Positive: []engine.VectorInput{{ID: &one}}, Strategy: "best_score"},
		engine.GroupRequest{GroupBy: "n", GroupSize: 1, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	sameGroups(t, "recommend groups", rg.GetResult(), want)
	if id := rg.GetResult().GetGroups()[0].GetId(); id.GetUnsignedValue() == 0 {
		t.Fatalf("integer group id %v", id)
	}

	qg, err := e.cl.QueryGroups(ctx, &qdrant.QueryPointGroups{CollectionName: "c", Query: qdrant.NewQueryDense(q), GroupBy: "n", WithLookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	want, err = e.col.QueryGroups(ctx, engine.QueryRequest{Query: &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: engine.VectorInput{Vector: q}}},
		engine.GroupRequest{GroupBy: "n", GroupSize: engine.DefaultGroupSize, Limit: engine.DefaultGroupLimit, WithLookup: elookup})
	if err != nil {
		t.Fatal(err)
	}
	sameGroups(t, "query groups", &qdrant.GroupsResult{Groups: qg}, want)
	if len(qg) != 6 || qg[0].GetLookup().GetPayload()["n"] == nil || len(qg[0].GetLookup().GetPayload()) != 1 {
		t.Fatalf("query groups: %v", qg)
	}

	_, err = e.pc.QueryGroups(ctx, &qdrant.QueryPointGroups{CollectionName: "c"})
	wantCode(t, "no group_by", err, codes.InvalidArgument, "group_by: value must not be empty")
	_, err = e.pc.SearchGroups(ctx, &qdrant.SearchPointGroups{CollectionName: "c", Vector: q, GroupBy: "city", Limit: 3})
	wantCode(t, "group_size 0", err, codes.InvalidArgument, "group_size")
}

// TestPointsDiscoverFacetMatrixMatchEngine: discover (+ batch), facet and
// the distance matrix answer over gRPC what the engine answers.
func TestPointsDiscoverFacetMatrixMatchEngine(t *testing.T) {
	e := newPointsEnv(t)
	ctx := context.Background()
	ex := func(n uint64) *qdrant.VectorExample {
		return &qdrant.VectorExample{Example: &qdrant.VectorExample_Id{Id: qdrant.NewIDNum(n)}}
	}
	d := &qdrant.DiscoverPoints{CollectionName: "c", Target: &qdrant.TargetVector{Target: &qdrant.TargetVector_Single{Single: ex(2)}},
		Context: []*qdrant.ContextExamplePair{{Positive: ex(3), Negative: &qdrant.VectorExample{Example: &qdrant.VectorExample_Vector{Vector: qdrant.NewVector(1, 6, 36, 1)}}}},
		Limit:   3}
	got, err := e.pc.Discover(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	two, three, limit := point.NumID(2), point.NumID(3), 3
	dr := engine.DiscoverRequest{Target: &engine.VectorInput{ID: &two}, Limit: &limit,
		Context: []engine.ContextPair{{Positive: engine.VectorInput{ID: &three}, Negative: engine.VectorInput{Vector: []float32{1, 6, 36, 1}}}}}
	want, err := e.col.Discover(ctx, dr)
	if err != nil {
		t.Fatal(err)
	}
	sameScored(t, "discover", got.GetResult(), want)
	db, err := e.pc.DiscoverBatch(ctx, &qdrant.DiscoverBatchPoints{CollectionName: "c", DiscoverPoints: []*qdrant.DiscoverPoints{d, d}})
	if err != nil || len(db.GetResult()) != 2 {
		t.Fatalf("discover batch: %v %v", db, err)
	}
	sameScored(t, "discover batch", db.GetResult()[1].GetResult(), want)
	_, err = e.pc.Discover(ctx, &qdrant.DiscoverPoints{CollectionName: "c", Limit: 3})
	wantCode(t, "discover without target or context", err, codes.InvalidArgument, "target and/or context_pairs must be specified")

	if _, err := e.cl.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "c", FieldName: "city",
		FieldType: qdrant.FieldType_FieldTypeKeyword.Enum(), Wait: qdrant.PtrOf(true)}); err != nil {
		t.Fatal(err)
	}
	fr, err := e.cl.Facet(ctx, &qdrant.FacetCounts{CollectionName: "c", Key: "city", Limit: qdrant.PtrOf(uint64(2))})
	if err != nil {
		t.Fatal(err)
	}
	two2 := 2
	wf, err := e.col.Facet(ctx, engine.FacetRequest{Key: "city", Limit: &two2})
	if err != nil {
		t.Fatal(err)
	}
	if len(fr) != 2 || len(wf.Hits) != 2 || fr[0].GetValue().GetStringValue() != "Oslo" || fr[0].GetCount() != 3 ||
		fr[1].GetValue().GetStringValue() != wf.Hits[1].Value || int(fr[1].GetCount()) != wf.Hits[1].Count {
		t.Fatalf("facet: %v, engine %v", fr, wf)
	}
	_, err = e.cl.Facet(ctx, &qdrant.FacetCounts{CollectionName: "c", Key: "n"})
	if _, werr := e.col.Facet(ctx, engine.FacetRequest{Key: "n"}); werr == nil {
		t.Fatal("facet without an index: engine accepts")
	} else {
		wantCode(t, "facet without an index", err, codes.InvalidArgument, werr.Error())
	}

	sample, mlimit := 6, 2
	mp, err := e.cl.SearchMatrixPairs(ctx, &qdrant.SearchMatrixPoints{CollectionName: "c", Sample: qdrant.PtrOf(uint64(6)), Limit: qdrant.PtrOf(uint64(2))})
	if err != nil {
		t.Fatal(err)
	}
	wp, err := e.col.SearchMatrixPairs(ctx, engine.MatrixRequest{Sample: &sample, Limit: &mlimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(mp.GetPairs()) != len(wp.Pairs) || len(wp.Pairs) != 12 {
		t.Fatalf("matrix pairs: %v, engine %v", mp, wp)
	}
	for i, pr := range wp.Pairs {
		if g := mp.GetPairs()[i]; g.GetA().GetNum() != pr.A.Num() || g.GetB().GetNum() != pr.B.Num() || g.GetScore() != pr.Score {
			t.Fatalf("matrix pair %d: %v, engine %v", i, g, pr)
		}
	}
	mo, err := e.cl.SearchMatrixOffsets(ctx, &qdrant.SearchMatrixPoints{CollectionName: "c", Sample: qdrant.PtrOf(uint64(6)), Limit: qdrant.PtrOf(uint64(2))})
	if err != nil {
		t.Fatal(err)
	}
	wo, err := e.col.SearchMatrixOffsets(ctx, engine.MatrixRequest{Sample: &sample, Limit: &mlimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(mo.GetIds()) != 6 || len(mo.GetScores()) != len(wo.Scores) || mo.GetOffsetsRow()[3] != wo.OffsetsRow[3] || mo.GetIds()[0].GetNum() != wo.IDs[0].Num() {
		t.Fatalf("matrix offsets: %v, engine %+v", mo, wo)
	}
	_, err = e.cl.SearchMatrixPairs(ctx, &qdrant.SearchMatrixPoints{CollectionName: "c", Sample: qdrant.PtrOf(uint64(1))})
	wantCode(t, "sample 1", err, codes.InvalidArgument, "sample")
}
