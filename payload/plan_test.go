package payload

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cairn-db/cairn/point"
)

var testSchemas = map[string]FieldSchema{
	"kw":   {Type: TypeKeyword},
	"n":    {Type: TypeInteger},
	"f":    {Type: TypeFloat},
	"flag": {Type: TypeBool},
	"dt":   {Type: TypeDatetime},
	"uid":  {Type: TypeUUID},
	"geo":  {Type: TypeGeo},
	"txt":  {Type: TypeText},
}

func ptr[T any](v T) *T { return &v }

func randNumber(r *rand.Rand) *json.Number {
	n := json.Number([]string{"0", "3", "-2", "4.5", "9223372036854775808", "9223372036854775809", "1e19", "-1.5", "10"}[r.IntN(9)])
	return &n
}

// randCond draws one condition over the test keys.
func randCond(r *rand.Rand, depth int) Condition {
	keys := []string{"kw", "ni", "n", "f", "flag", "dt", "uid", "geo", "txt"}
	key := keys[r.IntN(len(keys))]
	fc := &FieldCondition{Key: key}
	switch r.IntN(16) {
	case 0:
		return Condition{IsEmpty: ptr(key)}
	case 1:
		return Condition{IsNull: ptr(key)}
	case 2:
		var ids []point.ID
		for i := 0; i < r.IntN(5); i++ {
			ids = append(ids, point.NumID(uint64(r.IntN(300))))
		}
		return Condition{HasID: &HasID{IDs: ids}}
	case 3:
		if depth < 3 {
			f := randFilter(r, depth+1)
			return Condition{Filter: &f}
		}
		return Condition{HasVector: ptr("img")}
	case 4:
		f := Filter{Must: []Condition{{Field: &FieldCondition{Key: "kw", Match: &Match{Kind: MatchValue, Value: words[r.IntN(len(words))]}}}}}
		return Condition{Nested: &Nested{Key: "obj", Filter: &f}}
	case 5:
		return Condition{Slice: &Slice{Index: uint32(r.IntN(3)), Total: 3}}
	case 6:
		fc.ValuesCount = &ValuesCount{Gte: ptr(uint64(r.IntN(3)))}
	case 7:
		fc.Range = &Range{}
		switch r.IntN(3) {
		case 0:
			fc.Range.Gt, fc.Range.Lte = randNumber(r), randNumber(r)
		case 1:
			fc.Range.Gte = randNumber(r)
		default:
			fc.Range.Lt = randNumber(r)
		}
	case 8:
		t := time.Date(2024, 1, 1+r.IntN(5), r.IntN(24), 0, 0, 0, time.UTC)
		switch r.IntN(3) {
		case 0:
			fc.DatetimeRange = &DatetimeRange{Gte: &t, Lte: ptr(t.Add(30 * time.Hour))}
		case 1:
			fc.DatetimeRange = &DatetimeRange{Gt: &t}
		default:
			fc.DatetimeRange = &DatetimeRange{Lt: &t}
		}
	case 9:
		c := GeoPoint{Lat: 50 + r.Float64()*4, Lon: 10 + r.Float64()*4}
		switch r.IntN(3) {
		case 0:
			fc.GeoRadius = &GeoRadius{Center: c, Radius: r.Float64() * 200000}
		case 1:
			fc.GeoBoundingBox = &GeoBoundingBox{TopLeft: GeoPoint{Lat: c.Lat + 1, Lon: c.Lon - 1}, BottomRight: GeoPoint{Lat: c.Lat - 1, Lon: c.Lon + 1}}
		default:
			fc.GeoPolygon = &GeoPolygon{Exterior: []GeoPoint{c, {Lat: c.Lat + 1, Lon: c.Lon}, {Lat: c.Lat, Lon: c.Lon + 1.5}, c}}
		}
	case 10:
		fc.Match = &Match{Kind: []MatchKind{MatchText, MatchTextAny, MatchPhrase, MatchPrefix}[r.IntN(4)], Text: randText(r)}
	case 11:
		fc.Match = &Match{Kind: MatchAny}
		if r.IntN(2) == 0 {
			fc.Match.Strings = []string{words[r.IntN(len(words))], testUUIDs[r.IntN(len(testUUIDs))]}
		} else {
			fc.Match.IntList = true
			fc.Match.Ints = []json.Number{"3", "9223372036854775808"}
		}
	case 12:
		fc.Match = &Match{Kind: MatchExcept, Strings: []string{words[r.IntN(len(words))]}}
	case 13:
		fc.IsEmpty = ptr(r.IntN(2) == 0)
	default:
		fc.Match = &Match{Kind: MatchValue, Value: randValue(r, key)}
	}
	return Condition{Field: fc}
}

func randText(r *rand.Rand) string {
	s := words[r.IntN(len(words))]
	if r.IntN(2) == 0 {
		s += " " + words[r.IntN(len(words))]
	}
	if r.IntN(4) == 0 {
		s = s[:1+r.IntN(len(s)-1)]
	}
	return s
}

func randValue(r *rand.Rand, key string) any {
	switch r.IntN(6) {
	case 0:
		return r.IntN(2) == 0
	case 1:
		return json.Number(fmt.Sprint(r.IntN(12) - 5))
	case 2:
		return json.Number("9223372036854775809")
	case 3:
		return testUUIDs[r.IntN(len(testUUIDs))]
	}
	if v, ok := randScalar(r, key).(string); ok {
		return v
	}
	return words[r.IntN(len(words))]
}

func randConds(r *rand.Rand, depth int) []Condition {
	if r.IntN(10) == 0 {
		return []Condition{} // explicit empty clause
	}
	var cs []Condition
	for i := 0; i < r.IntN(3); i++ {
		cs = append(cs, randCond(r, depth))
	}
	return cs
}

func randFilter(r *rand.Rand, depth int) Filter {
	f := Filter{Must: randConds(r, depth), Should: randConds(r, depth), MustNot: randConds(r, depth)}
	if r.IntN(4) == 0 {
		cs := randConds(r, depth)
		cs = append(cs, randCond(r, depth))
		f.MinShould = &MinShould{Conditions: cs, MinCount: 1 + r.IntN(len(cs))}
	}
	return f
}

// TestPlanMatchesExact is the property test: over seeded random payloads
// and filters, the index-planned Matcher agrees with exact evaluation at
// every offset, its estimate brackets the true count, and the filter
// survives a JSON round trip with the same answers.
func TestPlanMatchesExact(t *testing.T) {
	two, no := 2, false
	alt := map[string]FieldSchema{
		"kw":  {Type: TypeText, Text: &TextParams{Tokenizer: "prefix", MinTokenLen: &two, Stopwords: []string{"the"}}},
		"txt": {Type: TypeText, Text: &TextParams{Tokenizer: "whitespace", Lowercase: &no}},
		"n":   {Type: TypeInteger, Lookup: &no},
		"f":   {Type: TypeInteger, RangeIdx: &no},
		"ni":  {Type: TypeUUID},
		"uid": {Type: TypeKeyword},
		"dt":  {Type: TypeKeyword},
	}
	for i, schemas := range []map[string]FieldSchema{testSchemas, alt} {
		t.Run(fmt.Sprint("schemas=", i), func(t *testing.T) { checkPlanMatchesExact(t, uint64(i), schemas) })
	}
}

func checkPlanMatchesExact(t *testing.T, seed uint64, schemas map[string]FieldSchema) {
	r := rand.New(rand.NewPCG(1, seed))
	docs := make([]Payload, 300)
	for i := range docs {
		docs[i] = randDoc(r)
	}
	src := buildSource(t, docs, schemas)
	opts := &MatchOptions{Schemas: src.schemas()}
	exactPlans := 0
	for iter := 0; iter < 600; iter++ {
		f := randFilter(r, 0)
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParseFilter(b)
		if err != nil {
			t.Fatalf("reparse %s: %v", b, err)
		}
		m := Plan(&f, src)
		count := 0
		for off := range docs {
			o := *opts
			o.HasVector = func(n string) bool { return src.HasVector(n, uint32(off)) }
			want := f.MatchWith(src.ids[off], docs[off], &o)
			if got := m.Match(uint32(off)); got != want {
				t.Fatalf("filter %s offset %d: plan %v, exact %v\npayload %v", b, off, got, want, docs[off])
			}
			if got := g.MatchWith(src.ids[off], docs[off], &o); got != want {
				t.Fatalf("filter %s offset %d: re-parsed filter disagrees", b, off)
			}
			if want {
				count++
			}
		}
		lo, exp, hi := m.Estimate()
		if lo > count || count > hi || exp < lo || exp > hi {
			t.Fatalf("filter %s: estimate (%d, %d, %d) for %d matches", b, lo, exp, hi, count)
		}
		if m.Exact() {
			exactPlans++
			if lo != count || hi != count {
				t.Fatalf("filter %s: exact plan estimates (%d, %d) for %d", b, lo, hi, count)
			}
		}
		if cands, ok := m.Candidates(); ok {
			in := map[uint32]bool{}
			for _, c := range cands {
				in[c] = true
			}
			for off := range docs {
				if m.Match(uint32(off)) && !in[uint32(off)] {
					t.Fatalf("filter %s: match %d missing from candidates", b, off)
				}
			}
		}
	}
	t.Logf("%d of 600 plans exact", exactPlans)
	if exactPlans < 50 {
		t.Fatalf("only %d of 600 plans were exact: indexes are not answering", exactPlans)
	}
}
