package grpcapi

import (
	"encoding/json"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// A formula arrives as a tree of proto Expressions. It is written as the
// JSON expression REST receives and decoded by the engine's own decoder
// (which checks names, decay parameters and datetimes as for REST). A
// condition node is written as a placeholder condition; once decoded, the
// placeholders are replaced, in the same depth-first order, by the
// conditions filterFromProto converted.

// placeholderCondition decodes as a condition node of the engine's tree.
var placeholderCondition = map[string]any{"is_empty": map[string]any{"key": "cairn_grpc_condition"}}

// maxFormulaDepth bounds the recursion over a client's expression tree.
const maxFormulaDepth = 64

// formulaFromProto converts a Formula query.
func formulaFromProto(f *qdrant.Formula) (*engine.Formula, error) {
	if f.GetExpression() == nil {
		return nil, invalidArg("query.formula: missing field `expression`")
	}
	var conds []*payload.Filter
	tree, err := exprJSON(f.GetExpression(), &conds, 0)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, invalidArg("query.formula: %v", err)
	}
	out := &engine.Formula{Expr: &engine.Expr{}}
	if err := json.Unmarshal(raw, out.Expr); err != nil {
		return nil, invalidArg("Format error in JSON body: query.formula: %v", err)
	}
	next := 0
	fillConditions(out.Expr, conds, &next)
	if len(f.GetDefaults()) > 0 {
		raw, err := json.Marshal(valuesJSON(f.GetDefaults()))
		if err != nil {
			return nil, invalidArg("query.defaults: %v", err)
		}
		if err := json.Unmarshal(raw, &out.Defaults); err != nil {
			return nil, invalidArg("query.defaults: %v", err)
		}
	}
	return out, nil
}

// fillConditions replaces the placeholder conditions of e, depth first.
func fillConditions(e *engine.Expr, conds []*payload.Filter, next *int) {
	if e == nil {
		return
	}
	if e.Cond != nil && *next < len(conds) {
		e.Cond = conds[*next]
		*next++
	}
	for _, a := range e.Args {
		fillConditions(a, conds, next)
	}
}

// exprJSON writes one expression as REST's JSON; children are written in
// the order the engine keeps them as arguments.
func exprJSON(e *qdrant.Expression, conds *[]*payload.Filter, depth int) (any, error) {
	if depth > maxFormulaDepth {
		return nil, invalidArg("query.formula: expression nested deeper than %d levels", maxFormulaDepth)
	}
	sub := func(x *qdrant.Expression) (any, error) {
		if x == nil {
			return nil, invalidArg("query.formula: missing expression")
		}
		return exprJSON(x, conds, depth+1)
	}
	unary := func(name string, x *qdrant.Expression) (any, error) {
		a, err := sub(x)
		return map[string]any{name: a}, err
	}
	switch v := e.GetVariant().(type) {
	case *qdrant.Expression_Constant:
		return v.Constant, nil
	case *qdrant.Expression_Variable:
		return v.Variable, nil
	case *qdrant.Expression_Condition:
		f, err := filterFromProto(&qdrant.Filter{Must: []*qdrant.Condition{v.Condition}})
		if err != nil {
			return nil, err
		}
		*conds = append(*conds, f)
		return placeholderCondition, nil
	case *qdrant.Expression_GeoDistance:
		o := v.GeoDistance.GetOrigin()
		if o == nil {
			return nil, invalidArg("query.formula: geo_distance: missing field `origin`")
		}
		return map[string]any{"geo_distance": map[string]any{"origin": map[string]any{"lat": o.GetLat(), "lon": o.GetLon()}, "to": v.GeoDistance.GetTo()}}, nil
	case *qdrant.Expression_Datetime:
		return map[string]any{"datetime": v.Datetime}, nil
	case *qdrant.Expression_DatetimeKey:
		return map[string]any{"datetime_key": v.DatetimeKey}, nil
	case *qdrant.Expression_Mult:
		return listJSON("mult", v.Mult.GetMult(), sub)
	case *qdrant.Expression_Sum:
		return listJSON("sum", v.Sum.GetSum(), sub)
	case *qdrant.Expression_Div:
		d, err := pairJSON("left", v.Div.GetLeft(), "right", v.Div.GetRight(), sub)
		if err == nil && v.Div.ByZeroDefault != nil {
			d["by_zero_default"] = *v.Div.ByZeroDefault
		}
		return map[string]any{"div": d}, err
	case *qdrant.Expression_Neg:
		return unary("neg", v.Neg)
	case *qdrant.Expression_Abs:
		return unary("abs", v.Abs)
	case *qdrant.Expression_Sqrt:
		return unary("sqrt", v.Sqrt)
	case *qdrant.Expression_Exp:
		return unary("exp", v.Exp)
	case *qdrant.Expression_Log10:
		return unary("log10", v.Log10)
	case *qdrant.Expression_Ln:
		return unary("ln", v.Ln)
	case *qdrant.Expression_Pow:
		p, err := pairJSON("base", v.Pow.GetBase(), "exponent", v.Pow.GetExponent(), sub)
		return map[string]any{"pow": p}, err
	case *qdrant.Expression_ExpDecay:
		return decayJSON("exp_decay", v.ExpDecay, sub)
	case *qdrant.Expression_GaussDecay:
		return decayJSON("gauss_decay", v.GaussDecay, sub)
	case *qdrant.Expression_LinDecay:
		return decayJSON("lin_decay", v.LinDecay, sub)
	}
	return nil, invalidArg("query.formula: expression is empty")
}

// pairJSON writes two operands, a first (the engine's first argument).
func pairJSON(a string, x *qdrant.Expression, b string, y *qdrant.Expression, sub func(*qdrant.Expression) (any, error)) (map[string]any, error) {
	l, err := sub(x)
	if err != nil {
		return nil, err
	}
	r, err := sub(y)
	if err != nil {
		return nil, err
	}
	return map[string]any{a: l, b: r}, nil
}

func listJSON(name string, xs []*qdrant.Expression, sub func(*qdrant.Expression) (any, error)) (any, error) {
	out := make([]any, len(xs))
	for i, x := range xs {
		a, err := sub(x)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return map[string]any{name: out}, nil
}

// decayJSON writes a decay; x is the first argument, target the second.
func decayJSON(name string, d *qdrant.DecayParamsExpression, sub func(*qdrant.Expression) (any, error)) (any, error) {
	x, err := sub(d.GetX())
	if err != nil {
		return nil, err
	}
	p := map[string]any{"x": x}
	if d.Target != nil {
		if p["target"], err = sub(d.Target); err != nil {
			return nil, err
		}
	}
	if d.Scale != nil {
		p["scale"] = *d.Scale
	}
	if d.Midpoint != nil {
		p["midpoint"] = *d.Midpoint
	}
	return map[string]any{name: p}, nil
}
