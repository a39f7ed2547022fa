package grpcapi

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/payload"
)

// Payload conversions: Qdrant's qdrant.Value (a protobuf Struct whose
// numbers are either integer_value or double_value) and the payload
// documents the engine stores (payload.Payload, numbers as json.Number).
// An integer stays an integer and a double a double both ways, as
// Qdrant's json conversions keep them: a double is written with a
// fraction or exponent ("1.0", "1e+21") so the engine reads it back as a
// float, and a number stored as an integer in int64's range comes back as
// integer_value; any other number (a fraction, or an integer beyond
// int64) comes back as double_value.

// payloadFromProto converts a request's payload map. A nil or empty map
// is an empty payload. NaN and infinite doubles, which JSON cannot hold,
// are refused as Qdrant refuses them, and so is nesting deeper than
// payload.MaxDepth.
func payloadFromProto(m map[string]*qdrant.Value) (payload.Payload, error) {
	out := make(payload.Payload, len(m))
	for k, v := range m {
		x, err := valueFromProto(v, 2)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	if err := payload.Validate(out); err != nil {
		return nil, invalidArg("Unable to convert payload: %v", err)
	}
	return out, nil
}

// valueFromProto converts one value at nesting depth (the payload object
// is depth 1, its values depth 2).
func valueFromProto(v *qdrant.Value, depth int) (any, error) {
	switch k := v.GetKind().(type) {
	case nil, *qdrant.Value_NullValue:
		return nil, nil
	case *qdrant.Value_BoolValue:
		return k.BoolValue, nil
	case *qdrant.Value_StringValue:
		return k.StringValue, nil
	case *qdrant.Value_IntegerValue:
		return json.Number(strconv.FormatInt(k.IntegerValue, 10)), nil
	case *qdrant.Value_DoubleValue:
		return doubleNumber(k.DoubleValue)
	case *qdrant.Value_ListValue:
		if depth > payload.MaxDepth {
			return nil, tooDeep()
		}
		vals := k.ListValue.GetValues()
		out := make([]any, len(vals))
		for i, e := range vals {
			x, err := valueFromProto(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case *qdrant.Value_StructValue:
		if depth > payload.MaxDepth {
			return nil, tooDeep()
		}
		fields := k.StructValue.GetFields()
		out := make(map[string]any, len(fields))
		for name, e := range fields {
			x, err := valueFromProto(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[name] = x
		}
		return out, nil
	}
	return nil, invalidArg("Unable to convert payload: unknown value kind %T", v.GetKind())
}

// tooDeep refuses a list or object nested deeper than payload.MaxDepth
// (the bound payload.Validate applies to REST's payloads), before the
// conversion recurses further.
func tooDeep() error {
	return invalidArg("Unable to convert payload: nested deeper than %d levels", payload.MaxDepth)
}

// doubleNumber writes a double so that it reads back as a float: with a
// fraction or an exponent.
func doubleNumber(f float64) (json.Number, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", invalidArg("Unable to convert payload: cannot convert %v to a JSON number", f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s), nil
}

// payloadToProto converts a stored payload for an answer; nil gives nil
// (no payload requested).
func payloadToProto(p payload.Payload) map[string]*qdrant.Value {
	if p == nil {
		return nil
	}
	out := make(map[string]*qdrant.Value, len(p))
	for k, v := range p {
		out[k] = valueToProto(v)
	}
	return out
}

// valueToProto converts one stored value.
func valueToProto(v any) *qdrant.Value {
	switch t := v.(type) {
	case nil:
		return &qdrant.Value{Kind: &qdrant.Value_NullValue{}}
	case bool:
		return &qdrant.Value{Kind: &qdrant.Value_BoolValue{BoolValue: t}}
	case string:
		return &qdrant.Value{Kind: &qdrant.Value_StringValue{StringValue: t}}
	case json.Number:
		return numberToProto(string(t))
	case float64:
		return &qdrant.Value{Kind: &qdrant.Value_DoubleValue{DoubleValue: t}}
	case int64:
		return &qdrant.Value{Kind: &qdrant.Value_IntegerValue{IntegerValue: t}}
	case int:
		return &qdrant.Value{Kind: &qdrant.Value_IntegerValue{IntegerValue: int64(t)}}
	case []any:
		vals := make([]*qdrant.Value, len(t))
		for i, e := range t {
			vals[i] = valueToProto(e)
		}
		return &qdrant.Value{Kind: &qdrant.Value_ListValue{ListValue: &qdrant.ListValue{Values: vals}}}
	case map[string]any:
		return &qdrant.Value{Kind: &qdrant.Value_StructValue{StructValue: &qdrant.Struct{Fields: payloadToProto(t)}}}
	}
	return &qdrant.Value{Kind: &qdrant.Value_NullValue{}}
}

// numberToProto is Qdrant's json-to-proto number rule: an integer that
// fits int64 is integer_value, anything else double_value.
func numberToProto(s string) *qdrant.Value {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return &qdrant.Value{Kind: &qdrant.Value_IntegerValue{IntegerValue: i}}
		}
	}
	f, _ := strconv.ParseFloat(s, 64) // stored numbers were checked to parse
	return &qdrant.Value{Kind: &qdrant.Value_DoubleValue{DoubleValue: f}}
}
