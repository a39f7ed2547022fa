package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cairn-db/cairn/payload"
)

// exprOp is the kind of a formula expression node.
type exprOp uint8

// The expression kinds of Qdrant's Expression.
const (
	opConst       exprOp = iota + 1
	opScore              // $score[Index]
	opPayload            // the number at payload path Key
	opCondition          // 1 if the point matches Cond, else 0
	opGeoDistance        // metres from Origin to the geo point at Key
	opDatetime           // the datetime constant Value, in seconds
	opDatetimeKey        // the datetime at payload path Key, in seconds
	opMult
	opSum
	opDiv // Args[0] / Args[1], ByZero when Args[1] is 0 and ByZero is set
	opNeg
	opAbs
	opSqrt
	opPow // Args[0] ^ Args[1]
	opExp
	opLog10
	opLn
	opLinDecay   // Args[0] is x, Args[1] (optional) the target
	opExpDecay   // same
	opGaussDecay // same
)

// Expr is one node of a formula (Qdrant's Expression), decoded by
// UnmarshalJSON: a number, "$score" / "$score[i]", a payload path, a
// filter condition, or an object naming an operation.
type Expr struct {
	Op     exprOp
	Value  float64 // opConst, opDatetime; the decay's lambda
	Index  int     // opScore
	Key    string  // opPayload, opGeoDistance, opDatetimeKey
	Cond   *payload.Filter
	Origin payload.GeoPoint
	ByZero *float64
	Args   []*Expr
}

// Formula is a formula query: the expression and the defaults of its
// variables ("$score[i]" or payload paths) for points that lack them.
type Formula struct {
	Expr     *Expr
	Defaults map[string]any
}

// formulaKeyword reads a variable name: ("$score[i]") a prefetch's score,
// or a payload path, as Qdrant's VariableId does.
func formulaVariable(s string) (*Expr, error) {
	if rest, ok := strings.CutPrefix(s, "$"); ok {
		if rest == "score" {
			return &Expr{Op: opScore}, nil
		}
		if idx, ok := strings.CutPrefix(rest, "score["); ok && strings.HasSuffix(idx, "]") {
			n, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err == nil && n >= 0 {
				return &Expr{Op: opScore, Index: n}, nil
			}
		}
		if strings.HasPrefix(rest, "score") {
			return nil, fmt.Errorf("Invalid reserved variable: %s", s)
		}
		return nil, fmt.Errorf("Invalid reserved word: %s", s)
	}
	if err := payload.ValidateKey(s); err != nil || s == "" {
		return nil, fmt.Errorf("Invalid payload variable: %s", s)
	}
	return &Expr{Op: opPayload, Key: s}, nil
}

// defaultKey is the canonical name of a defaults key: "$score" is
// "$score[0]".
func defaultKey(s string) string {
	if s == "$score" {
		return "$score[0]"
	}
	return s
}

var unaryOps = map[string]exprOp{"neg": opNeg, "abs": opAbs, "sqrt": opSqrt, "exp": opExp, "log10": opLog10, "ln": opLn}
var decayOps = map[string]exprOp{"lin_decay": opLinDecay, "exp_decay": opExpDecay, "gauss_decay": opGaussDecay}

// MaxFormulaNesting bounds how deeply a formula's JSON text nests (its
// objects and arrays). Qdrant's JSON decoder refuses any body nested
// deeper than 128 levels; here each expression level is decoded on its
// own, so an unbounded chain would cost time quadratic in its length.
const MaxFormulaNesting = 120

// jsonNesting reports whether the JSON text b nests its objects and
// arrays more than limit levels deep, in one linear pass (malformed text
// is left to the decoder).
func jsonNesting(b []byte, limit int) bool {
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

// UnmarshalJSON reads one expression.
func (e *Expr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if jsonNesting(b, MaxFormulaNesting) {
		return fmt.Errorf("recursion limit exceeded: a formula nests at most %d levels of objects and arrays", MaxFormulaNesting)
	}
	switch {
	case len(b) == 0:
		return fmt.Errorf("empty expression")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := formulaVariable(s)
		if err != nil {
			return err
		}
		*e = *v
		return nil
	case b[0] != '{':
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("expression: expected a number, a string or an object")
		}
		*e = Expr{Op: opConst, Value: f}
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) == 1 {
		for k, v := range m {
			if handled, err := e.decodeOp(k, v); handled {
				return err
			}
		}
	}
	f, err := payload.ParseFilter([]byte(`{"must":[` + string(b) + `]}`))
	if err != nil {
		return fmt.Errorf("expression: not an operation nor a condition: %w", err)
	}
	*e = Expr{Op: opCondition, Cond: f}
	return nil
}

// decodeOp reads the operation k of {k: v}; handled is false when k names
// no operation (the object is then read as a condition).
func (e *Expr) decodeOp(k string, v json.RawMessage) (handled bool, err error) {
	if op, ok := unaryOps[k]; ok {
		var a Expr
		err := json.Unmarshal(v, &a)
		*e = Expr{Op: op, Args: []*Expr{&a}}
		return true, err
	}
	if op, ok := decayOps[k]; ok {
		return true, e.decodeDecay(op, v)
	}
	switch k {
	case "sum", "mult":
		var args []*Expr
		err := json.Unmarshal(v, &args)
		*e = Expr{Op: map[string]exprOp{"sum": opSum, "mult": opMult}[k], Args: args}
		return true, err
	case "div":
		var p struct {
			Left, Right *Expr
			ByZero      *float32 `json:"by_zero_default"`
		}
		if err := json.Unmarshal(v, &p); err != nil {
			return true, err
		}
		if p.Left == nil || p.Right == nil {
			return true, fmt.Errorf("div: missing field `left` or `right`")
		}
		*e = Expr{Op: opDiv, Args: []*Expr{p.Left, p.Right}}
		if p.ByZero != nil {
			d := float64(*p.ByZero)
			e.ByZero = &d
		}
		return true, nil
	case "pow":
		var p struct{ Base, Exponent *Expr }
		if err := json.Unmarshal(v, &p); err != nil {
			return true, err
		}
		if p.Base == nil || p.Exponent == nil {
			return true, fmt.Errorf("pow: missing field `base` or `exponent`")
		}
		*e = Expr{Op: opPow, Args: []*Expr{p.Base, p.Exponent}}
		return true, nil
	case "geo_distance":
		var p struct {
			Origin *struct{ Lat, Lon *float64 }
			To     string
		}
		if err := json.Unmarshal(v, &p); err != nil {
			return true, err
		}
		if p.Origin == nil || p.Origin.Lat == nil || p.Origin.Lon == nil || p.To == "" {
			return true, fmt.Errorf("geo_distance: missing field `origin` or `to`")
		}
		*e = Expr{Op: opGeoDistance, Key: p.To, Origin: payload.GeoPoint{Lat: *p.Origin.Lat, Lon: *p.Origin.Lon}}
		return true, nil
	case "datetime":
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return true, err
		}
		t, err := payload.ParseDatetime(s)
		if err != nil {
			return true, fmt.Errorf("datetime: %q is not a datetime", s)
		}
		*e = Expr{Op: opDatetime, Value: float64(t.UnixMicro()) / 1e6}
		return true, nil
	case "datetime_key":
		var s string
		err := json.Unmarshal(v, &s)
		*e = Expr{Op: opDatetimeKey, Key: s}
		return true, err
	}
	return false, nil
}

// decodeDecay reads {x, target, scale, midpoint} and computes Qdrant's
// lambda: lin (1 − midpoint) / scale, exp ln(midpoint) / scale, gauss
// ln(midpoint) / scale², midpoint in (0, 1) (default 0.5), scale > 0
// (default 1).
func (e *Expr) decodeDecay(op exprOp, v json.RawMessage) error {
	var p struct {
		X, Target       *Expr
		Scale, Midpoint *float32
	}
	if err := json.Unmarshal(v, &p); err != nil {
		return err
	}
	if p.X == nil {
		return fmt.Errorf("decay: missing field `x`")
	}
	mid, scale := 0.5, 1.0
	if p.Midpoint != nil {
		mid = float64(*p.Midpoint)
	}
	if p.Scale != nil {
		scale = float64(*p.Scale)
	}
	if mid <= 0 || mid >= 1 {
		return errInvalid("midpoint", "Decay midpoint should be between 0.0 and 1.0 (exclusive), got %v.", mid)
	}
	if scale <= 0 {
		return errInvalid("scale", "Decay scale should be non-zero positive, got %v.", scale)
	}
	lambda := (1 - mid) / scale
	switch op {
	case opExpDecay:
		lambda = math.Log(mid) / scale
	case opGaussDecay:
		lambda = math.Log(mid) / (scale * scale)
	}
	*e = Expr{Op: op, Value: lambda, Args: []*Expr{p.X}}
	if p.Target != nil {
		e.Args = append(e.Args, p.Target)
	}
	return nil
}
