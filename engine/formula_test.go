package engine

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// formulaFixture is a Dot collection of three points: 1 and 2 with a
// price, a tag, a location and a datetime, 3 with a tag only; a query
// nearest [1, 0] scores them 1, 0.6 and 0.
func formulaFixture(t *testing.T) *Collection {
	st, _ := queryFixture(t, Options{})
	c := mustCreate(t, st, "f", simpleReq(2, point.Dot))
	mustUpsert(t, c,
		PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 0}}, Payload: pl(t, `{"price":10,"tag":"a","loc":{"lat":52.52,"lon":13.405},"at":"2024-01-01T00:00:00Z"}`)},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"": {0.6, 0.8}}, Payload: pl(t, `{"price":4,"tag":"b","loc":{"lat":48.8566,"lon":2.3522},"at":"2024-01-02T00:00:00Z"}`)},
		PointStruct{ID: point.NumID(3), Vector: Vectors{"": {0, 1}}, Payload: pl(t, `{"tag":"a"}`)})
	return c
}

func formulaQuery(t *testing.T, c *Collection, expr, defaults string, ids ...uint64) (map[uint64]float64, error) {
	t.Helper()
	var e Expr
	if err := json.Unmarshal([]byte(expr), &e); err != nil {
		t.Fatalf("decode %s: %v", expr, err)
	}
	f := &Formula{Expr: &e}
	if defaults != "" {
		f.Defaults = map[string]any{}
		if err := json.Unmarshal([]byte(defaults), &f.Defaults); err != nil {
			t.Fatal(err)
		}
	}
	pre := QueryRequest{Query: nearest(1, 0)}
	if ids != nil {
		var pids []point.ID
		for _, id := range ids {
			pids = append(pids, point.NumID(id))
		}
		pre.Filter = idFilter(nil, pids)
	}
	pts, err := c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{pre}, Query: &QueryExpr{Kind: QueryFormula, Formula: f}})
	if err != nil {
		return nil, err
	}
	out := map[uint64]float64{}
	for i, p := range pts {
		if i > 0 && p.Score > pts[i-1].Score {
			t.Fatalf("%s: not best first: %v", expr, pts)
		}
		out[p.ID.Num()] = float64(p.Score)
	}
	return out, nil
}

// TestFormulaExpressions checks every expression kind against values
// computed by hand.
func TestFormulaExpressions(t *testing.T) {
	c := formulaFixture(t)
	const R = 6371008.8
	rad := math.Pi / 180
	h := math.Sin((48.8566-52.52)*rad/2)*math.Sin((48.8566-52.52)*rad/2) +
		math.Cos(52.52*rad)*math.Cos(48.8566*rad)*math.Sin((2.3522-13.405)*rad/2)*math.Sin((2.3522-13.405)*rad/2)
	berlinParis := 2 * R * math.Asin(math.Sqrt(h))
	s06 := float64(float32(0.6)) // the score of point 2, a float32
	for _, tc := range []struct {
		expr string
		want map[uint64]float64
	}{
		{`{"sum":["$score",{"mult":[2,"price"]}]}`, map[uint64]float64{1: 21, 2: s06 + 8}},
		{`{"div":{"left":"price","right":{"sum":["$score",-1]},"by_zero_default":7}}`, map[uint64]float64{1: 7, 2: 4 / (s06 - 1)}},
		{`{"abs":{"neg":"price"}}`, map[uint64]float64{1: 10, 2: 4}},
		{`{"neg":"price"}`, map[uint64]float64{1: -10, 2: -4}},
		{`{"pow":{"base":{"sqrt":"price"},"exponent":3}}`, map[uint64]float64{1: math.Pow(10, 1.5), 2: 8}},
		{`{"sum":[{"log10":"price"},{"ln":"price"},{"exp":"$score"}]}`, map[uint64]float64{1: 1 + math.Log(10) + math.E, 2: math.Log10(4) + math.Log(4) + math.Exp(s06)}},
		{`{"mult":[{"key":"tag","match":{"value":"a"}},5]}`, map[uint64]float64{1: 5, 2: 0, 3: 5}},
		{`{"geo_distance":{"origin":{"lat":52.52,"lon":13.405},"to":"loc"}}`, map[uint64]float64{1: 0, 2: berlinParis}},
		{`{"sum":[{"datetime_key":"at"},{"neg":{"datetime":"2024-01-01T00:00:00Z"}}]}`, map[uint64]float64{1: 0, 2: 86400}},
		{`{"lin_decay":{"x":"price","target":8,"scale":4}}`, map[uint64]float64{1: 0.75, 2: 0.5}},
		{`{"exp_decay":{"x":"price","target":8,"scale":4}}`, map[uint64]float64{1: math.Sqrt(0.5), 2: 0.5}},
		{`{"gauss_decay":{"x":"price","target":8,"scale":4}}`, map[uint64]float64{1: math.Pow(0.5, 0.25), 2: 0.5}},
		{`{"lin_decay":{"x":"price","midpoint":0.2,"scale":20}}`, map[uint64]float64{1: 1 - 0.04*10, 2: 1 - 0.04*4}},
		{`{"mult":[0,{"ln":0}]}`, map[uint64]float64{1: 0, 2: 0}},
		{`3.5`, map[uint64]float64{1: 3.5, 2: 3.5}},
	} {
		// Point 3 has no price: a formula reading it fails there.
		got, err := formulaQuery(t, c, tc.expr, "", 1, 2, 3)
		if _, all := tc.want[3]; !all {
			if err == nil && len(got) == 3 && tc.expr != `3.5` && tc.expr != `{"mult":[0,{"ln":0}]}` {
				t.Fatalf("%s: point 3 has no price, yet %v", tc.expr, got)
			}
			got, err = formulaQuery(t, c, tc.expr, "", 1, 2)
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %v, want %v", tc.expr, got, tc.want)
		}
		for id, w := range tc.want {
			if math.Abs(got[id]-w) > 1e-4*max(1, math.Abs(w)) {
				t.Fatalf("%s: point %d scored %v, want %v", tc.expr, id, got[id], w)
			}
		}
	}
}

// TestFormulaMissingValues checks missing payload values: Qdrant's error
// without a default, the default otherwise; a missing prefetch score
// reads its default or 0; non-finite results and a formula without
// prefetches are refused.
func TestFormulaMissingValues(t *testing.T) {
	c := formulaFixture(t)
	_, err := formulaQuery(t, c, `{"mult":[2,"price"]}`, "")
	wantErr(t, "no default", err, ErrBadRequest, "Wrong input: Expected number value for price in the payload and/or in the formula defaults. Error: No value found in a payload nor defaults")
	got, err := formulaQuery(t, c, `{"mult":[2,"price"]}`, `{"price":1.5}`)
	if err != nil || got[1] != 20 || got[2] != 8 || got[3] != 3 {
		t.Fatalf("default price: %v %v", got, err)
	}
	_, err = formulaQuery(t, c, `"tag"`, "")
	wantErr(t, "not a number", err, ErrBadRequest, "Expected number value for tag in the payload and/or in the formula defaults. Error: Value is not a number")
	_, err = formulaQuery(t, c, `{"geo_distance":{"origin":{"lat":0,"lon":0},"to":"loc"}}`, "")
	wantErr(t, "no geo point", err, ErrBadRequest, "Expected geo point value for loc in the payload and/or in the formula defaults")
	_, err = formulaQuery(t, c, `{"datetime_key":"at"}`, "", 3)
	wantErr(t, "no datetime", err, ErrBadRequest, "Expected datetime value for at in the payload and/or in the formula defaults")
	got, err = formulaQuery(t, c, `{"datetime_key":"at"}`, `{"at":"2024-01-01T00:00:10Z"}`, 3)
	if err != nil || got[3] != float64(float32(1704067210)) {
		t.Fatalf("default datetime: %v %v", got, err)
	}
	// $score[1]: there is one prefetch, so every point takes the default.
	got, err = formulaQuery(t, c, `{"sum":["$score[1]","$score"]}`, `{"$score[1]":0.25}`)
	if err != nil || got[1] != 1.25 || got[3] != 0.25 {
		t.Fatalf("score default: %v %v", got, err)
	}
	got, err = formulaQuery(t, c, `"$score[1]"`, "")
	if err != nil || got[1] != 0 {
		t.Fatalf("score without default: %v %v", got, err)
	}
	_, err = formulaQuery(t, c, `{"div":{"left":1,"right":{"mult":[0,"$score"]}}}`, "", 1)
	wantErr(t, "by zero", err, ErrBadRequest, "The expression 1/0 = inf produced a non-finite number")
	_, err = formulaQuery(t, c, `{"ln":{"neg":"$score"}}`, "", 1)
	wantErr(t, "ln", err, ErrBadRequest, "The expression ln(-1) = NaN produced a non-finite number")
	_, err = c.Query(ctxb, QueryRequest{Query: &QueryExpr{Kind: QueryFormula, Formula: &Formula{Expr: &Expr{Op: opConst}}}})
	wantErr(t, "no prefetch", err, ErrBadRequest, "cannot apply Formula without prefetches")
	for _, bad := range []string{`"$nope"`, `"$score.x"`, `{"lin_decay":{"x":1,"midpoint":1}}`, `{"exp_decay":{"x":1,"scale":0}}`, `{"div":{"left":1}}`, `{"unknown":1}`} {
		var e Expr
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			t.Fatalf("%s decoded", bad)
		}
	}
}

// TestFormulaInChain checks a formula as a prefetch of a fusion, over two
// prefetches ($score[1] reads the second), and in a batch.
func TestFormulaInChain(t *testing.T) {
	c := formulaFixture(t)
	var e Expr
	if err := json.Unmarshal([]byte(`{"sum":["$score[0]",{"mult":[2,"$score[1]"]}]}`), &e); err != nil {
		t.Fatal(err)
	}
	// Prefetch 0: nearest [1, 0] scores 1: 1, 2: 0.6, 3: 0; prefetch 1:
	// nearest [0, 1], limit 1, scores 3: 1. Formula: 1: 1, 2: 0.6, 3: 0 + 2 = 2.
	formula := QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0)}, {Query: nearest(0, 1), Limit: intp(1)}},
		Query: &QueryExpr{Kind: QueryFormula, Formula: &Formula{Expr: &e}}, Limit: intp(2)}
	pts, err := c.Query(ctxb, formula)
	wantIDs(t, "two prefetches", pts, err, 3, 1)
	if pts[0].Score != 2 || pts[1].Score != 1 {
		t.Fatalf("scores: %+v", pts)
	}
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{formula}, Query: &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}})
	wantIDs(t, "formula prefetch", pts, err, 3, 1)
	res, err := c.QueryBatch(ctxb, []QueryRequest{formula, formula})
	if err != nil || len(res) != 2 || jsonOf(idsOf(res[1])) != "[3,1]" {
		t.Fatalf("batch: %v %v", res, err)
	}
}
