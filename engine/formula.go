package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// formulaEnv is what a formula reads for one point.
type formulaEnv struct {
	f       *Formula
	scores  []map[point.ID]float32      // per prefetch
	matched map[*Expr]map[point.ID]bool // per condition node
	id      point.ID
	pl      payload.Payload
}

// rescoreFormula answers a formula node over its prefetches' results:
// every point of their union scored by the formula (Qdrant's
// FormulaScorer, in float64, the result as a finite float32), best first,
// ties by id, then threshold, paging and selectors. A variable a point
// lacks takes its default; a payload variable without one fails the
// query with Qdrant's message.
func (c *Collection) rescoreFormula(ctx context.Context, f *Formula, lists [][]ScoredPoint, ids []point.ID, base SearchRequest) ([]ScoredPoint, error) {
	if v, ok := f.Defaults["$score"]; ok {
		defs := maps.Clone(f.Defaults)
		defs[defaultKey("$score")] = v
		f = &Formula{Expr: f.Expr, Defaults: defs}
	}
	env := formulaEnv{f: f, scores: make([]map[point.ID]float32, len(lists))}
	for i, l := range lists {
		env.scores[i] = make(map[point.ID]float32, len(l))
		for _, p := range l {
			env.scores[i][p.ID] = p.Score
		}
	}
	env.matched = map[*Expr]map[point.ID]bool{}
	walkExpr(f.Expr, func(e *Expr) {
		if e.Op != opCondition {
			return
		}
		m := map[point.ID]bool{}
		for _, s := range c.shards {
			for _, r := range s.scroll(ctx, nil, idFilter(e.Cond, ids), math.MaxInt, WithPayload{}, WithVector{}) {
				m[r.ID] = true
			}
		}
		env.matched[e] = m
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	recs, err := c.Get(ctx, ids, WithPayload{Enable: true}, WithVector{})
	if err != nil {
		return nil, err
	}
	out := make([]ScoredPoint, 0, len(recs))
	for _, r := range recs {
		env.id, env.pl = r.ID, r.Payload
		v, err := env.eval(f.Expr)
		if err != nil {
			return nil, err
		}
		s := float32(v)
		if math.IsInf(float64(s), 0) || math.IsNaN(float64(s)) {
			return nil, errBadRequest("The expression %s as f32 = %s produced a non-finite number", rs(v), rs(float64(s)))
		}
		out = append(out, ScoredPoint{ID: r.ID, Score: s})
	}
	slices.SortStableFunc(out, func(a, b ScoredPoint) int { return bestFirst(a.Score, a.ID, b.Score, b.ID) })
	out = applyThreshold(out, base.ScoreThreshold)
	return c.withSelectors(ctx, pageOf(out, base.Offset, base.Limit), base)
}

// walkExpr calls fn on e and its descendants, depth first, in order.
func walkExpr(e *Expr, fn func(*Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, a := range e.Args {
		walkExpr(a, fn)
	}
}

// eval computes e for the point.
func (env *formulaEnv) eval(e *Expr) (float64, error) {
	switch e.Op {
	case opConst, opDatetime:
		return e.Value, nil
	case opScore:
		if e.Index < len(env.scores) {
			if s, ok := env.scores[e.Index][env.id]; ok {
				return float64(s), nil
			}
		}
		if v, ok := numberOf(env.f.Defaults[fmt.Sprintf("$score[%d]", e.Index)]); ok {
			return v, nil
		}
		return 0, nil
	case opPayload:
		v, err := env.value(e.Key, "number")
		if err != nil {
			return 0, err
		}
		f, ok := numberOf(v)
		if !ok {
			return 0, variableError(e.Key, "number", "Value is not a number")
		}
		return f, nil
	case opCondition:
		if env.matched[e][env.id] {
			return 1, nil
		}
		return 0, nil
	case opGeoDistance:
		v, err := env.value(e.Key, "geo point")
		if err != nil {
			return 0, err
		}
		g, ok := geoPointOf(v)
		if !ok {
			return 0, variableError(e.Key, "geo point", "Value is not a geo point")
		}
		return payload.Haversine(e.Origin, g), nil
	case opDatetimeKey:
		v, err := env.value(e.Key, "datetime")
		if err != nil {
			return 0, err
		}
		s, ok := v.(string)
		if !ok {
			return 0, variableError(e.Key, "datetime", "Value is not a string")
		}
		t, err := payload.ParseDatetime(s)
		if err != nil {
			return 0, variableError(e.Key, "datetime", err.Error())
		}
		return float64(t.UnixMicro()) / 1e6, nil
	}
	return env.evalNested(e)
}

// evalNested computes the operations over sub-expressions.
func (env *formulaEnv) evalNested(e *Expr) (float64, error) {
	args := make([]float64, 0, len(e.Args))
	switch e.Op {
	case opMult:
		p := 1.0
		for _, a := range e.Args {
			v, err := env.eval(a)
			if err != nil {
				return 0, err
			}
			if v == 0 { // Qdrant's shortcut: the rest is not evaluated
				return 0, nil
			}
			p *= v
		}
		return p, nil
	case opDiv:
		l, err := env.eval(e.Args[0])
		if err != nil {
			return 0, err
		}
		if l == 0 { // Qdrant's shortcut
			return 0, nil
		}
		r, err := env.eval(e.Args[1])
		if err != nil {
			return 0, err
		}
		if r == 0 && e.ByZero != nil {
			return *e.ByZero, nil
		}
		return finite(l/r, fmt.Sprintf("%s/%s = %s", rs(l), rs(r), rs(l/r)))
	}
	for _, a := range e.Args {
		v, err := env.eval(a)
		if err != nil {
			return 0, err
		}
		args = append(args, v)
	}
	switch e.Op {
	case opSum:
		s := 0.0
		for _, v := range args {
			s += v
		}
		return s, nil
	case opNeg:
		return -args[0], nil
	case opAbs:
		return math.Abs(args[0]), nil
	case opSqrt:
		return finite(math.Sqrt(args[0]), fmt.Sprintf("√%s = %s", rs(args[0]), rs(math.Sqrt(args[0]))))
	case opPow:
		p := math.Pow(args[0], args[1])
		return finite(p, fmt.Sprintf("%s^%s = %s", rs(args[0]), rs(args[1]), rs(p)))
	case opExp:
		return finite(math.Exp(args[0]), fmt.Sprintf("exp(%s) = %s", rs(args[0]), rs(math.Exp(args[0]))))
	case opLog10:
		return finite(math.Log10(args[0]), fmt.Sprintf("log10(%s) = %s", rs(args[0]), rs(math.Log10(args[0]))))
	case opLn:
		return finite(math.Log(args[0]), fmt.Sprintf("ln(%s) = %s", rs(args[0]), rs(math.Log(args[0]))))
	case opLinDecay, opExpDecay, opGaussDecay:
		return decay(e.Op, e.Value, args), nil
	}
	return 0, fmt.Errorf("evaluate formula: unknown expression kind %d", e.Op)
}

// decay is Qdrant's decay of x (args[0]) from the target (args[1], 0 when
// absent) with lambda: lin max(0, 1 − λ|x − t|), exp e^(λ|x − t|), gauss
// e^(λ(x − t)²).
func decay(op exprOp, lambda float64, args []float64) float64 {
	target := 0.0
	if len(args) > 1 {
		target = args[1]
	}
	d := args[0] - target
	switch op {
	case opLinDecay:
		return max(0, -lambda*math.Abs(d)+1)
	case opExpDecay:
		return math.Exp(lambda * math.Abs(d))
	}
	return math.Exp(lambda * d * d)
}

// rs spells a float as Rust's Display does in Qdrant's messages: inf,
// -inf, NaN, and the shortest decimal otherwise.
func rs(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// finite passes v on, or fails with Qdrant's message when it is not finite.
func finite(v float64, expr string) (float64, error) {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, errBadRequest("The expression %s produced a non-finite number", expr)
	}
	return v, nil
}

// value is the point's value at key (one value, or the list of several),
// else the formula's default for key.
func (env *formulaEnv) value(key, want string) (any, error) {
	vals := payload.Values(env.pl, key)
	switch len(vals) {
	case 0:
		if v, ok := env.f.Defaults[key]; ok {
			return v, nil
		}
		return nil, variableError(key, want, "No value found in a payload nor defaults")
	case 1:
		return vals[0], nil
	}
	return vals, nil
}

func variableError(key, want, desc string) error {
	return errBadRequest("Expected %s value for %s in the payload and/or in the formula defaults. Error: %s", want, key, desc)
}

// numberOf reads a JSON number (as the payload or the defaults hold it).
func numberOf(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

// geoPointOf reads {"lat": ..., "lon": ...}.
func geoPointOf(v any) (payload.GeoPoint, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return payload.GeoPoint{}, false
	}
	lat, ok1 := numberOf(m["lat"])
	lon, ok2 := numberOf(m["lon"])
	return payload.GeoPoint{Lat: lat, Lon: lon}, ok1 && ok2
}
