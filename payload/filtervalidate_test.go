package payload

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestValidateAcceptsParsed checks that Validate accepts every filter the
// random generator builds and every filter ParseFilter accepts.
func TestValidateAcceptsParsed(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for i := range 500 {
		f := randFilter(r, 0)
		if err := f.Validate(); err != nil {
			t.Fatalf("filter %d: %v", i, err)
		}
	}
	for _, s := range []string{
		`{"must":[{"key":"geo","geo_polygon":{"exterior":{"points":[{"lat":1,"lon":1},{"lat":2,"lon":1},{"lat":2,"lon":2},{"lat":1,"lon":1}]}}}]}`,
		`{"must":[{"key":"dt","range":{"gte":"2024-01-01T00:00:00+02:00"}},{"slice":{"index":0,"total":2}}]}`,
		`{"min_should":{"conditions":[{"has_id":[1]}],"min_count":1}}`,
		`{"must":[{"nested":{"key":"obj","filter":{"must":[{"key":"kw","match":{"any":[1,2]}}]}}}]}`,
		`{"should":[{"key":"a","match":{"except":[]}},{"is_null":{"key":"b"}},{"has_vector":""}]}`,
	} {
		f, err := ParseFilter([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Validate(); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestValidateRefusesHandBuilt checks filters only Go code can build: each
// would divide by zero, match nonsense or recurse without end.
func TestValidateRefusesHandBuilt(t *testing.T) {
	deep := &Filter{}
	for range maxDepth + 2 {
		deep = &Filter{Must: []Condition{{Filter: deep}}}
	}
	ring := []GeoPoint{{1, 1}, {2, 1}, {2, 2}}
	for name, tc := range map[string]struct {
		f    Filter
		want string
	}{
		"slice total 0":    {Filter{Must: []Condition{{Slice: &Slice{Index: 0, Total: 0}}}}, "slice.total"},
		"slice index":      {Filter{Must: []Condition{{Slice: &Slice{Index: 3, Total: 3}}}}, "slice.index"},
		"empty condition":  {Filter{Should: []Condition{{}}}, "exactly one kind"},
		"two kinds":        {Filter{MustNot: []Condition{{HasVector: new(string), Slice: &Slice{Total: 1}}}}, "exactly one kind"},
		"min_count 0":      {Filter{MinShould: &MinShould{MinCount: 0}}, "min_count"},
		"no test":          {Filter{Must: []Condition{{Field: &FieldCondition{Key: "a"}}}}, "At least one field condition"},
		"bad key":          {Filter{Must: []Condition{{Field: &FieldCondition{Key: "", IsNull: new(bool)}}}}, "key"},
		"bad match kind":   {Filter{Must: []Condition{{Field: &FieldCondition{Key: "a", Match: &Match{Kind: 99}}}}}, "match kind"},
		"float value":      {Filter{Must: []Condition{{Field: &FieldCondition{Key: "a", Match: &Match{Kind: MatchValue, Value: 1.5}}}}}, "match.value"},
		"nested nil":       {Filter{Must: []Condition{{Nested: &Nested{Key: "a"}}}}, "nested.filter"},
		"nan radius":       {Filter{Must: []Condition{{Field: &FieldCondition{Key: "g", GeoRadius: &GeoRadius{Radius: math.NaN()}}}}}, "radius"},
		"nan latitude":     {Filter{Must: []Condition{{Field: &FieldCondition{Key: "g", GeoBoundingBox: &GeoBoundingBox{TopLeft: GeoPoint{Lat: math.NaN()}}}}}}, "lat"},
		"open ring":        {Filter{Must: []Condition{{Field: &FieldCondition{Key: "g", GeoPolygon: &GeoPolygon{Exterior: ring}}}}}, "ring"},
		"bad range number": {Filter{Must: []Condition{{Field: &FieldCondition{Key: "n", Range: &Range{Gt: numPtr("x")}}}}}, "range.gt"},
		"too deep":         {*deep, "nested too deeply"},
		"deep in should":   {Filter{Should: []Condition{{Filter: deep}}}, "nested too deeply"},
		"in min_should":    {Filter{MinShould: &MinShould{MinCount: 1, Conditions: []Condition{{Slice: &Slice{}}}}}, "min_should.conditions[0].slice.total"},
	} {
		err := tc.f.Validate()
		if !errors.Is(err, ErrBadFilter) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrBadFilter naming %q", name, err, tc.want)
		}
	}
	var nilFilter *Filter
	if err := nilFilter.Validate(); err != nil {
		t.Fatal(err)
	}
}

func numPtr(s string) *json.Number { n := json.Number(s); return &n }
