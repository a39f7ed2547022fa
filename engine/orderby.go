package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// OrderBy is Qdrant's scroll order_by: the key to sort by, the direction
// ("asc", the default, or "desc") and an optional first value (inclusive).
// Datetimes are compared, and reported in Record.OrderValue, as
// microseconds since the Unix epoch.
type OrderBy struct {
	Key       string
	Direction string
	StartFrom *float64
}

// UnmarshalJSON reads Qdrant's OrderByInterface: a key, or an object with
// key, direction and start_from (a number or a datetime).
func (o *OrderBy) UnmarshalJSON(b []byte) error {
	*o = OrderBy{}
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &o.Key)
	}
	var raw struct {
		Key       *string         `json:"key"`
		Direction *string         `json:"direction"`
		StartFrom json.RawMessage `json:"start_from"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.Key == nil {
		return fmt.Errorf("order_by.key: missing field")
	}
	o.Key = *raw.Key
	if raw.Direction != nil {
		o.Direction = *raw.Direction
	}
	sf := bytes.TrimSpace(raw.StartFrom)
	if len(sf) == 0 || string(sf) == "null" {
		return nil
	}
	v, ok := orderValue(decodeAny(sf))
	if !ok {
		return fmt.Errorf("order_by.start_from: %s is neither a number nor a datetime", sf)
	}
	o.StartFrom = &v
	return nil
}

func decodeAny(b []byte) any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}

// orderValue is a payload value as an order_by key: a number, or a
// datetime as microseconds since the epoch.
func orderValue(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	case float64:
		return t, true
	case string:
		tm, err := payload.ParseDatetime(t)
		if err != nil {
			return 0, false
		}
		return float64(tm.UnixMicro()), true
	}
	return 0, false
}

// rangeIndexed reports whether schema answers range conditions, which
// Qdrant requires of an order_by key.
func rangeIndexed(s payload.FieldSchema) bool {
	switch s.Type {
	case payload.TypeFloat, payload.TypeDatetime:
		return true
	case payload.TypeInteger:
		return s.RangeIdx == nil || *s.RangeIdx
	}
	return false
}

type ordered struct {
	id    point.ID
	value float64
}

// scrollOrdered answers a scroll with order_by: every matching point with a
// value for the key, sorted by it (ties by id), from StartFrom, up to limit.
func (c *Collection) scrollOrdered(ctx context.Context, req ScrollRequest, limit int, wp WithPayload, wv WithVector) (ScrollResult, error) {
	ob := req.OrderBy
	desc := false
	switch ob.Direction {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return ScrollResult{}, &engineError{ErrBadRequest, fmt.Sprintf("Bad request: order_by.direction: unknown variant `%s`, expected `asc` or `desc`", ob.Direction)}
	}
	if req.Offset != nil {
		return ScrollResult{}, &engineError{ErrBadRequest, "Bad request: Cannot use an `offset` when using `order_by`"}
	}
	s, ok := c.core.indexDefs()[ob.Key]
	if !ok || !rangeIndexed(s) {
		return ScrollResult{}, &engineError{ErrBadRequest, fmt.Sprintf("Bad request: No range index for `order_by` key: `%s`. Please create one to use `order_by`. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions", ob.Key)}
	}
	var all []ordered
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return ScrollResult{}, err
		}
		for _, r := range s.scroll(ctx, nil, req.Filter, math.MaxInt, WithPayload{Enable: true}, WithVector{}) {
			if v, ok := bestValue(r.Payload, ob.Key, desc); ok && inOrderRange(v, ob.StartFrom, desc) {
				all = append(all, ordered{r.ID, v})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return ScrollResult{}, err
	}
	slices.SortFunc(all, func(a, b ordered) int {
		if a.value != b.value {
			if (a.value < b.value) != desc {
				return -1
			}
			return 1
		}
		return point.Compare(a.id, b.id)
	})
	all = all[:min(limit, len(all))]
	ids := make([]point.ID, len(all))
	for i, o := range all {
		ids[i] = o.id
	}
	recs, err := c.Get(ctx, ids, wp, wv)
	if err != nil {
		return ScrollResult{}, err
	}
	values := make(map[point.ID]float64, len(all))
	for _, o := range all {
		values[o.id] = o.value
	}
	for i := range recs {
		if v, found := values[recs[i].ID]; found {
			recs[i].OrderValue = &OrderValue{Value: v, Float: s.Type == payload.TypeFloat}
		}
	}
	return ScrollResult{Points: recs}, nil
}

// OrderValue is the value a scroll with order_by sorted a point by
// (Record.OrderValue), written as Qdrant writes its OrderValue: a float's
// spelling (3.0) for a float index, an integer (3) for an integer or a
// datetime index (microseconds since the epoch).
type OrderValue struct {
	// Value is the value; a datetime's is microseconds since the epoch.
	Value float64
	// Float is set when the key's index is a float index.
	Float bool
}

// MarshalJSON writes v as an integer unless it is a float index's value or
// has a fraction (a float payload value under an integer index), which
// point.AppendJSONFloat writes.
func (v OrderValue) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(make([]byte, 0, 24)), nil
}

// AppendJSON appends what MarshalJSON writes to b.
func (v OrderValue) AppendJSON(b []byte) []byte {
	if !v.Float && v.Value == math.Trunc(v.Value) && math.Abs(v.Value) < 1<<63 {
		return strconv.AppendInt(b, int64(v.Value), 10)
	}
	return point.AppendJSONFloat(b, v.Value, 64)
}

// bestValue is the point's first value in the sort order: the smallest one
// ascending, the largest descending.
func bestValue(p payload.Payload, key string, desc bool) (float64, bool) {
	var best float64
	found := false
	for _, v := range payload.Values(p, key) {
		f, ok := orderValue(v)
		if ok && (!found || (f < best) != desc) {
			best, found = f, true
		}
	}
	return best, found
}

func inOrderRange(v float64, from *float64, desc bool) bool {
	if from == nil {
		return true
	}
	if desc {
		return v <= *from
	}
	return v >= *from
}
