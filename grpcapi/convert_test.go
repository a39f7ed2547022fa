package grpcapi

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// wantStatus fails unless err is a status with code c whose message
// contains sub.
func wantStatus(t *testing.T, err error, c codes.Code, sub string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != c || !strings.Contains(st.Message(), sub) {
		t.Fatalf("got %v, want %v containing %q", err, c, sub)
	}
}

func TestPayloadRoundTripKeepsIntegersAndDoubles(t *testing.T) {
	in := map[string]*qdrant.Value{
		"int":    qdrant.NewValueInt(7),
		"neg":    qdrant.NewValueInt(math.MinInt64),
		"double": qdrant.NewValueDouble(1), // a whole double stays a double
		"frac":   qdrant.NewValueDouble(-2.5),
		"big":    qdrant.NewValueDouble(1e300),
		"str":    qdrant.NewValueString("Oslo"),
		"bool":   qdrant.NewValueBool(true),
		"null":   qdrant.NewValueNull(),
		"list":   qdrant.NewValueFromList(qdrant.NewValueInt(1), qdrant.NewValueDouble(2), qdrant.NewValueNull()),
		"obj":    qdrant.NewValueStruct(&qdrant.Struct{Fields: map[string]*qdrant.Value{"a": qdrant.NewValueInt(1), "b": qdrant.NewValueFromList()}}),
	}
	p, err := payloadFromProto(in)
	if err != nil {
		t.Fatal(err)
	}
	// What is stored is what REST would store for the same JSON.
	js := `{"int":7,"neg":-9223372036854775808,"double":1.0,"frac":-2.5,"big":1e+300,"str":"Oslo","bool":true,"null":null,
		"list":[1,2.0,null],"obj":{"a":1,"b":[]}}`
	want, err := payload.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("stored %#v\nwant %#v", p, want)
	}
	back := payloadToProto(p)
	for k, v := range in {
		if !reflectProtoEqual(back[k], v) {
			t.Errorf("%s: round trip gave %v, want %v", k, back[k], v)
		}
	}
}

func reflectProtoEqual(a, b *qdrant.Value) bool { return a.String() == b.String() }

func TestPayloadToProtoNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"18446744073709551615": "double_value:1.8446744073709552e+19", // beyond int64: a double, as Qdrant
		"-3":                   "integer_value:-3",
		"3.0":                  "double_value:3",
		"1e2":                  "double_value:100",
	} {
		got := strings.ReplaceAll(valueToProto(json.Number(in)).String(), " ", "")
		if got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestPayloadFromProtoRefusesNaNAndDepth(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := payloadFromProto(map[string]*qdrant.Value{"x": qdrant.NewValueDouble(f)})
		wantStatus(t, err, codes.InvalidArgument, "JSON number")
	}
	v := qdrant.NewValueInt(1)
	for range payload.MaxDepth {
		v = qdrant.NewValueFromList(v)
	}
	_, err := payloadFromProto(map[string]*qdrant.Value{"deep": v})
	wantStatus(t, err, codes.InvalidArgument, "nested deeper")
	if p, err := payloadFromProto(nil); err != nil || len(p) != 0 {
		t.Fatalf("nil payload: %v %v", p, err)
	}
}

func TestIDConversions(t *testing.T) {
	u := "8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f"
	for _, id := range []*qdrant.PointId{qdrant.NewIDNum(0), qdrant.NewIDNum(math.MaxUint64), qdrant.NewID(u)} {
		p, err := idFromProto(id)
		if err != nil {
			t.Fatal(err)
		}
		if back := idToProto(p); back.String() != id.String() {
			t.Errorf("round trip %v gave %v", id, back)
		}
	}
	p, err := idFromProto(qdrant.NewID(strings.ToUpper(u)))
	if err != nil || idToProto(p).GetUuid() != u {
		t.Fatalf("upper-case uuid: %v %v", p, err)
	}
	_, err = idFromProto(qdrant.NewID("not-a-uuid"))
	wantStatus(t, err, codes.InvalidArgument, "Unable to parse UUID: not-a-uuid")
	_, err = idFromProto(&qdrant.PointId{})
	wantStatus(t, err, codes.InvalidArgument, "No ID options provided")
	_, err = idsFromProto([]*qdrant.PointId{qdrant.NewIDNum(1), nil})
	wantStatus(t, err, codes.InvalidArgument, "No ID options provided")
}

// TestFilterMatchesREST converts every condition kind the engine serves
// and compares the result with what REST's JSON parser makes of the same
// filter.
func TestFilterMatchesREST(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 0, 0, 500000000, time.UTC)
	gt, lte := 1.5, 10.0
	one, three := uint64(1), uint64(3)
	f := &qdrant.Filter{
		Must: []*qdrant.Condition{
			qdrant.NewMatchKeyword("city", "Oslo"),
			qdrant.NewMatchInt("n", -4),
			qdrant.NewMatchBool("ok", true),
			qdrant.NewMatchText("t", "hello"),
			qdrant.NewMatchTextAny("t", "a b"),
			qdrant.NewMatchPhrase("t", "a b"),
			qdrant.NewMatchKeywords("k", "x", "y"),
			qdrant.NewMatchInts("i", 1, 2),
			qdrant.NewMatchExcept("k", "z"),
			qdrant.NewMatchExceptInts("i", 3),
			qdrant.NewRange("r", &qdrant.Range{Gt: &gt, Lte: &lte}),
			qdrant.NewDatetimeRange("d", &qdrant.DatetimeRange{Gte: timestamppb.New(ts)}),
			qdrant.NewGeoBoundingBox("g", 50, 10, 40, 20),
			qdrant.NewGeoRadius("g", 45, 15, 1000),
			qdrant.NewGeoPolygon("g", &qdrant.GeoLineString{Points: []*qdrant.GeoPoint{{Lat: 0, Lon: 0}, {Lat: 0, Lon: 1}, {Lat: 1, Lon: 1}, {Lat: 0, Lon: 0}}}),
			qdrant.NewValuesCount("v", &qdrant.ValuesCount{Gte: &one, Lt: &three}),
			qdrant.NewIsEmpty("e"),
			qdrant.NewIsNull("nl"),
			qdrant.NewHasID(qdrant.NewIDNum(5), qdrant.NewID("8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f")),
			qdrant.NewHasVector("img"),
			qdrant.NewNestedFilter("arr", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("x", "y")}}),
			qdrant.NewFilterAsCondition(&qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewMatchInt("n", 1)}}),
		},
		Should:    []*qdrant.Condition{qdrant.NewMatchKeyword("a", "b")},
		MustNot:   []*qdrant.Condition{qdrant.NewMatchBool("bad", true)},
		MinShould: &qdrant.MinShould{MinCount: 1, Conditions: []*qdrant.Condition{qdrant.NewMatchKeyword("c", "d")}},
	}
	got, err := filterFromProto(f)
	if err != nil {
		t.Fatal(err)
	}
	js := `{"must":[
		{"key":"city","match":{"value":"Oslo"}},
		{"key":"n","match":{"value":-4}},
		{"key":"ok","match":{"value":true}},
		{"key":"t","match":{"text":"hello"}},
		{"key":"t","match":{"text_any":"a b"}},
		{"key":"t","match":{"phrase":"a b"}},
		{"key":"k","match":{"any":["x","y"]}},
		{"key":"i","match":{"any":[1,2]}},
		{"key":"k","match":{"except":["z"]}},
		{"key":"i","match":{"except":[3]}},
		{"key":"r","range":{"gt":1.5,"lte":10}},
		{"key":"d","range":{"gte":"2024-03-01T12:00:00.5Z"}},
		{"key":"g","geo_bounding_box":{"top_left":{"lat":50,"lon":10},"bottom_right":{"lat":40,"lon":20}}},
		{"key":"g","geo_radius":{"center":{"lat":45,"lon":15},"radius":1000}},
		{"key":"g","geo_polygon":{"exterior":{"points":[{"lat":0,"lon":0},{"lat":0,"lon":1},{"lat":1,"lon":1},{"lat":0,"lon":0}]}}},
		{"key":"v","values_count":{"gte":1,"lt":3}},
		{"is_empty":{"key":"e"}},
		{"is_null":{"key":"nl"}},
		{"has_id":[5,"8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f"]},
		{"has_vector":"img"},
		{"nested":{"key":"arr","filter":{"must":[{"key":"x","match":{"value":"y"}}]}}},
		{"must_not":[{"key":"n","match":{"value":1}}]}
	],
	"should":[{"key":"a","match":{"value":"b"}}],
	"must_not":[{"key":"bad","match":{"value":true}}],
	"min_should":{"min_count":1,"conditions":[{"key":"c","match":{"value":"d"}}]}}`
	want, err := payload.ParseFilter([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("converted %s\nREST parses %s", gj, wj)
	}
}

func TestFilterEdgeCases(t *testing.T) {
	if f, err := filterFromProto(nil); f != nil || err != nil {
		t.Fatalf("nil filter: %v %v", f, err)
	}
	f, err := filterFromProto(&qdrant.Filter{})
	if err != nil || f == nil || f.Must != nil || f.Should != nil || f.MustNot != nil {
		t.Fatalf("empty filter: %#v %v", f, err) // matches every point, as Qdrant's
	}
	_, err = filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{{}}})
	wantStatus(t, err, codes.InvalidArgument, "no condition kind")
	_, err = filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewID("x"))}})
	wantStatus(t, err, codes.InvalidArgument, "Unable to parse UUID")
	nan := math.NaN()
	_, err = filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("r", &qdrant.Range{Gt: &nan})}})
	wantStatus(t, err, codes.InvalidArgument, "not a finite number")
	_, err = filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{{ConditionOneOf: &qdrant.Condition_Field{Field: &qdrant.FieldCondition{Key: "k"}}}}})
	wantStatus(t, err, codes.InvalidArgument, "sets no condition")
	for what, c := range map[string]*qdrant.FieldCondition{
		"Malformed GeoBoundingBox": {Key: "g", GeoBoundingBox: &qdrant.GeoBoundingBox{TopLeft: &qdrant.GeoPoint{Lat: 1, Lon: 1}}},
		"Malformed GeoRadius":      {Key: "g", GeoRadius: &qdrant.GeoRadius{Radius: 5}},
		"Malformed GeoPolygon":     {Key: "g", GeoPolygon: &qdrant.GeoPolygon{}},
	} {
		_, err = filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{{ConditionOneOf: &qdrant.Condition_Field{Field: c}}}})
		wantStatus(t, err, codes.InvalidArgument, what)
	}
	_, err = filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{{ConditionOneOf: &qdrant.Condition_Nested{Nested: &qdrant.NestedCondition{Key: "a"}}}}})
	wantStatus(t, err, codes.InvalidArgument, "has no filter")
	deep := &qdrant.Filter{}
	for range maxFilterDepth + 2 {
		deep = &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewFilterAsCondition(deep)}}
	}
	_, err = filterFromProto(deep)
	wantStatus(t, err, codes.InvalidArgument, "nested too deeply")
}

func TestVectorConversions(t *testing.T) {
	d, err := denseFromProto(qdrant.NewVectorDense([]float32{1, 2}))
	if err != nil || !reflect.DeepEqual(d, []float32{1, 2}) {
		t.Fatalf("dense: %v %v", d, err)
	}
	d, err = denseFromProto(&qdrant.Vector{Data: []float32{3}}) // the deprecated field
	if err != nil || !reflect.DeepEqual(d, []float32{3}) {
		t.Fatalf("data: %v %v", d, err)
	}
	two := uint32(2)
	for name, v := range map[string]*qdrant.Vector{
		"multi-vectors":  qdrant.NewVectorMulti([][]float32{{1}, {2}}),
		"document":       qdrant.NewVectorDocument(&qdrant.Document{Text: "x"}),
		"image":          qdrant.NewVectorImage(&qdrant.Image{}),
		"object":         qdrant.NewVectorObject(&qdrant.InferenceObject{}),
		"multi-vectors ": {Data: []float32{1, 2}, VectorsCount: &two},
	} {
		_, err := denseFromProto(v)
		wantStatus(t, err, codes.Unimplemented, strings.TrimSpace(name))
	}
	for _, v := range []*qdrant.Vector{qdrant.NewVectorSparse([]uint32{1}, []float32{1}), {Data: []float32{1}, Indices: &qdrant.SparseIndices{Data: []uint32{1}}}} {
		if _, err := denseFromProto(v); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("sparse where dense is needed: %v", err)
		}
	}
	named, sparse, err := vectorsFromProto(qdrant.NewVectorsMap(map[string]*qdrant.Vector{"a": qdrant.NewVector(1), "b": qdrant.NewVector(2, 3),
		"s": qdrant.NewVectorSparse([]uint32{3, 1}, []float32{0.5, 2}), "old": {Data: []float32{7}, Indices: &qdrant.SparseIndices{Data: []uint32{9}}}}), "vectors")
	if err != nil || !reflect.DeepEqual(named, engine.Vectors{"a": {1}, "b": {2, 3}}) ||
		!reflect.DeepEqual(sparse, engine.SparseVectors{"s": {Indices: []uint32{3, 1}, Values: []float32{0.5, 2}}, "old": {Indices: []uint32{9}, Values: []float32{7}}}) {
		t.Fatalf("named: %v %v %v", named, sparse, err)
	}
	out := vectorsToProto(engine.Vectors{"": {1}}, sparse)
	if got := out.GetVectors().GetVectors()["s"].GetSparseVector(); !reflect.DeepEqual(got.GetIndices(), []uint32{3, 1}) || len(out.GetVectors().GetVectors()) != 3 {
		t.Fatalf("sparse out: %v", out)
	}
	_, _, err = vectorsFromProto(nil, "points[0].vectors")
	wantStatus(t, err, codes.InvalidArgument, "points[0].vectors: missing field")
	out = vectorsToProto(engine.Vectors{"": {1, 2}}, nil)
	if got := out.GetVector().GetDenseVector().GetData(); !reflect.DeepEqual(got, []float32{1, 2}) {
		t.Fatalf("unnamed out: %v", out)
	}
	out = vectorsToProto(engine.Vectors{"a": {1}}, nil)
	if got := out.GetVectors().GetVectors()["a"].GetDenseVector().GetData(); !reflect.DeepEqual(got, []float32{1}) {
		t.Fatalf("named out: %v", out)
	}
	if vectorsToProto(nil, nil) != nil {
		t.Fatal("nil vectors must stay absent")
	}
}

func TestQueryConversions(t *testing.T) {
	budget := 10
	q, err := queryFromProto(&qdrant.QueryPoints{
		Query:  qdrant.NewQueryFusion(qdrant.Fusion_DBSF),
		Limit:  qdrant.PtrOf(uint64(3)),
		Offset: qdrant.PtrOf(uint64(1)),
		Prefetch: []*qdrant.PrefetchQuery{
			{Query: qdrant.NewQueryDense([]float32{1, 0}), Using: qdrant.PtrOf("a"), Limit: qdrant.PtrOf(uint64(5))},
			{Query: qdrant.NewQueryRecommend(&qdrant.RecommendInput{Positive: []*qdrant.VectorInput{qdrant.NewVectorInputID(qdrant.NewIDNum(1))}}),
				LookupFrom: &qdrant.LookupLocation{CollectionName: "other", VectorName: qdrant.PtrOf("v")}},
		},
		WithPayload: qdrant.NewWithPayloadInclude("city"),
		WithVectors: qdrant.NewWithVectors(true),
		Params:      &qdrant.SearchParams{HnswEf: qdrant.PtrOf(uint64(64)), Exact: qdrant.PtrOf(true)},
	}, &budget)
	if err != nil {
		t.Fatal(err)
	}
	ef := 64
	one := point.NumID(1)
	want := engine.QueryRequest{
		Query:  &engine.QueryExpr{Kind: engine.QueryFusion, Fusion: engine.FusionDBSF},
		Limit:  qdrant.PtrOf(3),
		Offset: qdrant.PtrOf(1),
		Prefetch: []engine.QueryRequest{
			{Query: &engine.QueryExpr{Kind: engine.QueryNearest, Nearest: engine.VectorInput{Vector: []float32{1, 0}}}, Using: "a", Limit: qdrant.PtrOf(5)},
			{Query: &engine.QueryExpr{Kind: engine.QueryRecommend, Recommend: engine.RecommendInput{Positive: []engine.VectorInput{{ID: &one}}}},
				LookupFrom: &engine.LookupLocation{Collection: "other", Vector: "v"}},
		},
		WithPayload: &engine.WithPayload{Enable: true, Include: []string{"city"}},
		WithVector:  &engine.WithVector{Enable: true},
		Params:      &engine.SearchParams{HnswEf: &ef, Exact: true},
	}
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("got %+v\nwant %+v", q, want)
	}
	if budget != 8 {
		t.Fatalf("budget %d, want 8", budget)
	}
	for name, qq := range map[string]*qdrant.Query{
		"multi-vectors": qdrant.NewQueryMulti([][]float32{{1}}),
	} {
		b := 10
		_, err := queryFromProto(&qdrant.QueryPoints{Query: qq}, &b)
		wantStatus(t, err, codes.Unimplemented, name)
	}
	b := 10
	q, err = queryFromProto(&qdrant.QueryPoints{Query: qdrant.NewQueryRRF(&qdrant.Rrf{})}, &b)
	if err != nil || q.Query.Fusion != engine.FusionRRF {
		t.Fatalf("rrf with default k: %+v %v", q.Query, err)
	}
	_, err = queryFromProto(&qdrant.QueryPoints{ShardKeySelector: &qdrant.ShardKeySelector{ShardKeys: []*qdrant.ShardKey{qdrant.NewShardKey("a")}}}, &b)
	wantStatus(t, err, codes.InvalidArgument, "shard_key")
}

func TestFieldSchemaMatchesREST(t *testing.T) {
	ft := func(t qdrant.FieldType) *qdrant.FieldType { return &t }
	cases := []struct {
		t      *qdrant.FieldType
		params *qdrant.PayloadIndexParams
		json   string
	}{
		{ft(qdrant.FieldType_FieldTypeKeyword), nil, `"keyword"`},
		{ft(qdrant.FieldType_FieldTypeUuid), nil, `"uuid"`},
		{ft(qdrant.FieldType_FieldTypeKeyword), qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)}), `{"type":"keyword","is_tenant":true}`},
		{ft(qdrant.FieldType_FieldTypeInteger), qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(false), Range: qdrant.PtrOf(true)}), `{"type":"integer","lookup":false,"range":true}`},
		{ft(qdrant.FieldType_FieldTypeText), qdrant.NewPayloadIndexParamsText(&qdrant.TextIndexParams{Tokenizer: qdrant.TokenizerType_Whitespace, MinTokenLen: qdrant.PtrOf(uint64(2)), Lowercase: qdrant.PtrOf(false)}),
			`{"type":"text","tokenizer":"whitespace","min_token_len":2,"lowercase":false}`},
	}
	for _, c := range cases {
		got, err := fieldSchemaFromProto(c.t, c.params)
		if err != nil {
			t.Fatal(err)
		}
		want, err := payload.ParseFieldSchema([]byte(c.json))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", c.json, got, want)
		}
	}
	_, err := fieldSchemaFromProto(nil, nil)
	wantStatus(t, err, codes.InvalidArgument, "field_type: missing field")
	_, err = fieldSchemaFromProto(ft(qdrant.FieldType_FieldTypeFloat), qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{}))
	wantStatus(t, err, codes.InvalidArgument, "keyword parameters for a float index")
	_, err = fieldSchemaFromProto(ft(qdrant.FieldType_FieldTypeText), qdrant.NewPayloadIndexParamsText(&qdrant.TextIndexParams{Stopwords: &qdrant.StopwordsSet{Languages: []string{"english"}}}))
	wantStatus(t, err, codes.Unimplemented, "stop word languages")
}

func TestOrderByConversion(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   *qdrant.StartFrom
		want float64
	}{
		{qdrant.NewStartFromFloat(1.5), 1.5},
		{qdrant.NewStartFromInt(-3), -3},
		{qdrant.NewStartFromTimestamp(ts.Unix(), 0), float64(ts.UnixMicro())},
		{qdrant.NewStartFromDatetime("2024-01-02T03:04:05Z"), float64(ts.UnixMicro())},
	} {
		o, err := orderByFromProto(&qdrant.OrderBy{Key: "k", Direction: qdrant.Direction_Desc.Enum(), StartFrom: c.in})
		if err != nil || o.Direction != "desc" || *o.StartFrom != c.want {
			t.Errorf("%v: %+v %v", c.in, o, err)
		}
	}
	_, err := orderByFromProto(&qdrant.OrderBy{Key: "k", StartFrom: qdrant.NewStartFromDatetime("yesterday")})
	wantStatus(t, err, codes.InvalidArgument, "not a datetime")
	_, err = orderByFromProto(&qdrant.OrderBy{Key: "k", StartFrom: qdrant.NewStartFromFloat(math.NaN())})
	wantStatus(t, err, codes.InvalidArgument, "finite")
}

// TestPayloadDepthIsValidates: a scalar inside the deepest list
// payload.Validate allows is accepted, one more list level is not.
func TestPayloadDepthIsValidates(t *testing.T) {
	v := qdrant.NewValueInt(1)
	for range payload.MaxDepth - 1 { // lists at depths 2..MaxDepth
		v = qdrant.NewValueFromList(v)
	}
	if _, err := payloadFromProto(map[string]*qdrant.Value{"a": v}); err != nil {
		t.Fatalf("deepest allowed payload refused: %v", err)
	}
	_, err := payloadFromProto(map[string]*qdrant.Value{"a": qdrant.NewValueFromList(v)})
	wantStatus(t, err, codes.InvalidArgument, "nested deeper")
}

// TestPrefetchChainConverts: the conversion bounds a prefetch chain by
// the budget only; the engine refuses one deeper than
// engine.MaxPrefetchDepth, as it does REST's (TestPointsPrefetchBounds).
func TestPrefetchChainConverts(t *testing.T) {
	p := &qdrant.PrefetchQuery{}
	for range 200 {
		p = &qdrant.PrefetchQuery{Prefetch: []*qdrant.PrefetchQuery{p}}
	}
	budget := 1000
	q, err := queryFromProto(&qdrant.QueryPoints{Prefetch: []*qdrant.PrefetchQuery{p}}, &budget)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := &q; len(r.Prefetch) > 0; r = &r.Prefetch[0] {
		n++
	}
	if n != 201 || budget != 1000-201 {
		t.Fatalf("depth %d, budget %d", n, budget)
	}
}
