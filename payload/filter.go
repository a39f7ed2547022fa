package payload

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/cairn-db/cairn/point"
)

// Filter is a Qdrant filter: every Must condition, at least one Should
// condition, no MustNot condition, and at least MinShould.MinCount of
// MinShould.Conditions. A nil Should is no constraint; an empty non-nil
// Should (JSON "should": []) matches nothing, as in Qdrant (issue #554,
// closed as won't fix). The zero Filter matches every point.
type Filter struct {
	Must      []Condition
	Should    []Condition
	MustNot   []Condition
	MinShould *MinShould
}

// MinShould requires at least MinCount of Conditions to match.
type MinShould struct {
	Conditions []Condition
	MinCount   int
}

// Condition is one filter condition; exactly one field is set.
type Condition struct {
	// Field tests the values at a payload key.
	Field *FieldCondition
	// IsEmpty holds the key of {"is_empty": {"key": k}}: the key is
	// missing, null, or an empty array.
	IsEmpty *string
	// IsNull holds the key of {"is_null": {"key": k}}: the value is null
	// (or an array holding null).
	IsNull *string
	// HasID matches the points whose id is listed.
	HasID *HasID
	// HasVector holds the vector name of {"has_vector": name}.
	HasVector *string
	// Slice selects one of Total deterministic slices of the id space.
	Slice *Slice
	// Nested applies a filter to each object of an array as a whole.
	Nested *Nested
	// Filter is a nested boolean filter.
	Filter *Filter
}

// HasID lists point ids; an empty list matches nothing. IDs must not
// change once the condition has been matched: a list longer than
// hasIDLinear is looked up in a set built on the first match.
type HasID struct {
	IDs []point.ID

	setOnce sync.Once
	set     map[point.ID]struct{}
}

// hasIDLinear is the longest has_id list matched by a linear scan.
const hasIDLinear = 16

// Has reports whether id is listed. A long list is looked up in a set, so
// that testing every point of a head against the list of a rescoring
// query's candidates is linear, not quadratic. Safe for concurrent use.
func (h *HasID) Has(id point.ID) bool {
	if len(h.IDs) <= hasIDLinear {
		for _, x := range h.IDs {
			if x == id {
				return true
			}
		}
		return false
	}
	h.setOnce.Do(func() {
		h.set = make(map[point.ID]struct{}, len(h.IDs))
		for _, x := range h.IDs {
			h.set[x] = struct{}{}
		}
	})
	_, found := h.set[id]
	return found
}

// Slice selects the points with siphash(id) % Total == Index (SipHash-2-4,
// zero key, over 8 little-endian bytes of an integer id or the 16 bytes
// of a UUID).
type Slice struct{ Index, Total uint32 }

// Nested matches when some object in the array at Key (read as "Key[]")
// matches Filter as a whole. has_id and has_vector never match inside it.
type Nested struct {
	Key    string
	Filter *Filter
}

// FieldCondition tests the values at Key. Qdrant allows several tests in
// one condition; the condition matches when any of them does.
type FieldCondition struct {
	Key            string
	Match          *Match
	Range          *Range
	DatetimeRange  *DatetimeRange
	GeoBoundingBox *GeoBoundingBox
	GeoRadius      *GeoRadius
	GeoPolygon     *GeoPolygon
	ValuesCount    *ValuesCount
	// IsEmpty and IsNull are the {"key": k, "is_empty": true} spellings.
	IsEmpty *bool
	IsNull  *bool
}

// MatchKind says which form of "match" a Match is.
type MatchKind uint8

// The forms of "match".
const (
	MatchValue   MatchKind = iota + 1 // {"value": v}: keyword, integer or bool equality
	MatchText                         // {"text": s}: substring, or all tokens with a text index
	MatchTextAny                      // {"text_any": s}: any whitespace-separated word / any token
	MatchPhrase                       // {"phrase": s}: substring, or consecutive tokens with a text index
	MatchPrefix                       // {"prefix": s}: a string value starts with s (byte-wise)
	MatchAny                          // {"any": [...]}: equals one of the values
	MatchExcept                       // {"except": [...]}: some value is not one of them
)

// Match is the "match" of a field condition.
type Match struct {
	Kind MatchKind
	// Value is the MatchValue operand: a string, a bool, or a json.Number
	// holding an integer in [-2^63, 2^64).
	Value any
	// Text is the operand of MatchText, MatchTextAny, MatchPhrase and
	// MatchPrefix.
	Text string
	// Strings or Ints hold the list of MatchAny / MatchExcept; IntList
	// says which (an empty list is a string list).
	Strings []string
	Ints    []json.Number
	IntList bool
}

// Range bounds a numeric value; nil bounds are open. Bounds compare
// exactly against integers of any size.
type Range struct{ Gt, Gte, Lt, Lte *json.Number }

// DatetimeRange bounds an RFC 3339 datetime value (compared at microsecond
// precision, as Qdrant does); nil bounds are open.
type DatetimeRange struct{ Gt, Gte, Lt, Lte *time.Time }

// GeoPoint is a position in degrees.
type GeoPoint struct{ Lat, Lon float64 }

// GeoRadius matches points strictly closer than Radius metres to Center
// (haversine on a sphere of radius 6,371,008.8 m).
type GeoRadius struct {
	Center GeoPoint
	Radius float64
}

// GeoBoundingBox matches points strictly inside the box; TopLeft.Lon >
// BottomRight.Lon means the box crosses the antimeridian.
type GeoBoundingBox struct{ TopLeft, BottomRight GeoPoint }

// GeoPolygon matches points inside Exterior and outside every interior
// ring (even-odd rule, planar in degrees).
type GeoPolygon struct {
	Exterior  []GeoPoint
	Interiors [][]GeoPoint
}

// ValuesCount bounds the number of values at a key (the length of an
// array, 1 for a scalar, 0 when missing); nil bounds are open.
type ValuesCount struct{ Gt, Gte, Lt, Lte *uint64 }
