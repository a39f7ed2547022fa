package payload

import (
	"testing"

	"github.com/cairn-db/cairn/point"
)

const testDoc = `{
	"city": "London", "tags": ["red", "green", ["nested"]], "count": 10,
	"big": 9223372036854775809, "neg": -5, "price": 499.9, "ratings": [3, 7, 9],
	"flag": true, "nil": null, "empty": [], "not_null": [null], "mixed": [1, "1", null, true],
	"shipped": "2020-02-15T10:00:00+02:00", "dates": ["2021-01-01", "bad"],
	"loc": {"lat": 52.52, "lon": 13.405}, "locs": [{"lat": 55.75, "lon": 37.62}, {"lat": 0, "lon": 179.9}],
	"desc": "The quick brown Fox jumps",
	"country": {"name": "DE", "cities": [{"name": "Berlin", "pop": 3.6, "sights": ["tor"]}, {"name": "Munich", "pop": 1.5}]},
	"a.b": "dotted", "obj": {}
}`

func mustDoc(t *testing.T, s string) Payload {
	t.Helper()
	p, err := Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatchConditions(t *testing.T) {
	doc := mustDoc(t, testDoc)
	id := point.NumID(42)
	cases := []struct {
		name, filter string
		want         bool
	}{
		{"empty filter", `{}`, true},
		{"empty must", `{"must":[]}`, true},
		{"empty should matches nothing", `{"should":[]}`, false},
		{"null should", `{"should":null}`, true},
		{"empty min_should conditions", `{"min_should":{"conditions":[],"min_count":1}}`, false},
		{"keyword", `{"must":[{"key":"city","match":{"value":"London"}}]}`, true},
		{"keyword case", `{"must":[{"key":"city","match":{"value":"london"}}]}`, false},
		{"keyword single condition", `{"must":{"key":"city","match":{"value":"London"}}}`, true},
		{"array any element", `{"must":[{"key":"tags","match":{"value":"green"}}]}`, true},
		{"array in array not flattened", `{"must":[{"key":"tags","match":{"value":"nested"}}]}`, false},
		{"integer", `{"must":[{"key":"count","match":{"value":10}}]}`, true},
		{"integer vs string", `{"must":[{"key":"count","match":{"value":"10"}}]}`, false},
		{"integer vs float payload", `{"must":[{"key":"price","match":{"value":499}}]}`, false},
		{"big integer exact", `{"must":[{"key":"big","match":{"value":9223372036854775809}}]}`, true},
		{"big integer neighbour", `{"must":[{"key":"big","match":{"value":9223372036854775808}}]}`, false},
		{"bool", `{"must":[{"key":"flag","match":{"value":true}}]}`, true},
		{"bool false", `{"must":[{"key":"flag","match":{"value":false}}]}`, false},
		{"missing key", `{"must":[{"key":"nope","match":{"value":"x"}}]}`, false},
		{"must_not missing", `{"must_not":[{"key":"nope","match":{"value":"x"}}]}`, true},
		{"any strings", `{"must":[{"key":"city","match":{"any":["Paris","London"]}}]}`, true},
		{"any ints on array", `{"must":[{"key":"ratings","match":{"any":[1,9]}}]}`, true},
		{"any empty", `{"must":[{"key":"city","match":{"any":[]}}]}`, false},
		{"except string", `{"must":[{"key":"city","match":{"except":["Paris"]}}]}`, true},
		{"except listed", `{"must":[{"key":"city","match":{"except":["London"]}}]}`, false},
		{"except array one outside", `{"must":[{"key":"tags","match":{"except":["red","green"]}}]}`, true},
		{"except missing key", `{"must":[{"key":"nope","match":{"except":["x"]}}]}`, false},
		{"except null", `{"must":[{"key":"nil","match":{"except":["x"]}}]}`, false},
		{"except type mismatch", `{"must":[{"key":"count","match":{"except":["x"]}}]}`, true},
		{"except ints", `{"must":[{"key":"ratings","match":{"except":[3,7,9]}}]}`, false},
		{"text substring", `{"must":[{"key":"desc","match":{"text":"quick br"}}]}`, true},
		{"text case sensitive", `{"must":[{"key":"desc","match":{"text":"fox"}}]}`, false},
		{"text_any", `{"must":[{"key":"desc","match":{"text_any":"cat Fox"}}]}`, true},
		{"phrase substring", `{"must":[{"key":"desc","match":{"phrase":"brown Fox"}}]}`, true},
		{"prefix", `{"must":[{"key":"city","match":{"prefix":"Lon"}}]}`, true},
		{"prefix no", `{"must":[{"key":"city","match":{"prefix":"lon"}}]}`, false},
		{"range int", `{"must":[{"key":"count","range":{"gt":9,"lte":10}}]}`, true},
		{"range strict", `{"must":[{"key":"count","range":{"gt":10}}]}`, false},
		{"range float", `{"must":[{"key":"price","range":{"gte":499.9,"lt":500}}]}`, true},
		{"range array any", `{"must":[{"key":"ratings","range":{"gt":8}}]}`, true},
		{"range big exact above", `{"must":[{"key":"big","range":{"gt":9223372036854775808}}]}`, true},
		{"range big exact equal", `{"must":[{"key":"big","range":{"gt":9223372036854775809}}]}`, false},
		{"range big vs float", `{"must":[{"key":"big","range":{"gt":9.2e18}}]}`, true},
		{"range negative", `{"must":[{"key":"neg","range":{"lt":-4.5}}]}`, true},
		{"range empty bounds", `{"must":[{"key":"count","range":{}}]}`, true},
		{"range on string", `{"must":[{"key":"city","range":{"gt":0}}]}`, false},
		{"datetime offset", `{"must":[{"key":"shipped","range":{"gte":"2020-02-15T08:00:00Z","lte":"2020-02-15T08:00:00Z"}}]}`, true},
		{"datetime offset miss", `{"must":[{"key":"shipped","range":{"gt":"2020-02-15T08:00:00Z"}}]}`, false},
		{"datetime loose", `{"must":[{"key":"shipped","range":{"gt":"2020-02-15 07:59:59"}}]}`, true},
		{"datetime date only payload", `{"must":[{"key":"dates","range":{"gte":"2021-01-01T00:00:00Z","lt":"2021-01-02"}}]}`, true},
		{"is_empty missing", `{"must":[{"is_empty":{"key":"nope"}}]}`, true},
		{"is_empty null", `{"must":[{"is_empty":{"key":"nil"}}]}`, true},
		{"is_empty []", `{"must":[{"is_empty":{"key":"empty"}}]}`, true},
		{"is_empty [null]", `{"must":[{"is_empty":{"key":"not_null"}}]}`, false},
		{"is_empty value", `{"must":[{"is_empty":{"key":"city"}}]}`, false},
		{"is_empty {}", `{"must":[{"is_empty":{"key":"obj"}}]}`, false},
		{"is_null null", `{"must":[{"is_null":{"key":"nil"}}]}`, true},
		{"is_null missing", `{"must":[{"is_null":{"key":"nope"}}]}`, false},
		{"is_null []", `{"must":[{"is_null":{"key":"empty"}}]}`, false},
		{"is_null array with null", `{"must":[{"is_null":{"key":"mixed"}}]}`, true},
		{"field is_empty form", `{"must":[{"key":"nope","is_empty":true}]}`, true},
		{"field is_null false form", `{"must":[{"key":"nope","is_null":false}]}`, true},
		{"values_count", `{"must":[{"key":"ratings","values_count":{"gte":3,"lt":4}}]}`, true},
		{"values_count scalar", `{"must":[{"key":"city","values_count":{"lte":1}}]}`, true},
		{"values_count missing", `{"must":[{"key":"nope","values_count":{"lt":1}}]}`, true},
		{"values_count missing gt", `{"must":[{"key":"nope","values_count":{"gt":0}}]}`, false},
		{"has_id", `{"must":[{"has_id":[1,42]}]}`, true},
		{"has_id miss", `{"must":[{"has_id":[1,"550e8400-e29b-41d4-a716-446655440000"]}]}`, false},
		{"geo radius", `{"must":[{"key":"loc","geo_radius":{"center":{"lat":52.511,"lon":13.4236},"radius":2000}}]}`, true},
		{"geo radius miss", `{"must":[{"key":"loc","geo_radius":{"center":{"lat":52.511,"lon":20.4},"radius":2000}}]}`, false},
		{"geo radius array", `{"must":[{"key":"locs","geo_radius":{"center":{"lat":55.7536,"lon":37.6213},"radius":1000}}]}`, true},
		{"geo bbox", `{"must":[{"key":"loc","geo_bounding_box":{"top_left":{"lat":53,"lon":13},"bottom_right":{"lat":52,"lon":14}}}]}`, true},
		{"geo bbox antimeridian", `{"must":[{"key":"locs","geo_bounding_box":{"top_left":{"lat":1,"lon":179},"bottom_right":{"lat":-1,"lon":-179}}}]}`, true},
		{"geo polygon", `{"must":[{"key":"loc","geo_polygon":{"exterior":{"points":[{"lat":52,"lon":13},{"lat":53,"lon":13},{"lat":53,"lon":14},{"lat":52,"lon":14},{"lat":52,"lon":13}]}}}]}`, true},
		{"geo polygon hole", `{"must":[{"key":"loc","geo_polygon":{"exterior":{"points":[{"lat":52,"lon":13},{"lat":53,"lon":13},{"lat":53,"lon":14},{"lat":52,"lon":14},{"lat":52,"lon":13}]},"interiors":[{"points":[{"lat":52.5,"lon":13.4},{"lat":52.6,"lon":13.4},{"lat":52.6,"lon":13.5},{"lat":52.5,"lon":13.5},{"lat":52.5,"lon":13.4}]}]}}]}`, false},
		{"nested path", `{"must":[{"key":"country.name","match":{"value":"DE"}}]}`, true},
		{"array path", `{"must":[{"key":"country.cities[].name","match":{"value":"Munich"}}]}`, true},
		{"array index path", `{"must":[{"key":"country.cities[1].name","match":{"value":"Berlin"}}]}`, false},
		{"key through array needs []", `{"must":[{"key":"country.cities.name","match":{"value":"Munich"}}]}`, false},
		{"quoted dotted key", `{"must":[{"key":"\"a.b\"","match":{"value":"dotted"}}]}`, true},
		{"deep array path", `{"must":[{"key":"country.cities[].sights[]","match":{"value":"tor"}}]}`, true},
		{"nested whole object", `{"must":[{"nested":{"key":"country.cities","filter":{"must":[{"key":"name","match":{"value":"Berlin"}},{"key":"pop","range":{"gt":3}}]}}}]}`, true},
		{"nested not cross-object", `{"must":[{"nested":{"key":"country.cities","filter":{"must":[{"key":"name","match":{"value":"Munich"}},{"key":"pop","range":{"gt":3}}]}}}]}`, false},
		{"flat path cross-object", `{"must":[{"key":"country.cities[].name","match":{"value":"Munich"}},{"key":"country.cities[].pop","range":{"gt":3}}]}`, true},
		{"nested has_id never", `{"must":[{"nested":{"key":"country.cities","filter":{"must":[{"has_id":[42]}]}}}]}`, false},
		{"should one", `{"should":[{"key":"city","match":{"value":"Paris"}},{"key":"flag","match":{"value":true}}]}`, true},
		{"should none", `{"should":[{"key":"city","match":{"value":"Paris"}},{"key":"flag","match":{"value":false}}]}`, false},
		{"must_not", `{"must_not":[{"key":"city","match":{"value":"London"}}]}`, false},
		{"min_should 2 of 3", `{"min_should":{"conditions":[{"key":"city","match":{"value":"London"}},{"key":"flag","match":{"value":false}},{"key":"count","match":{"value":10}}],"min_count":2}}`, true},
		{"min_should 3 of 3", `{"min_should":{"conditions":[{"key":"city","match":{"value":"London"}},{"key":"flag","match":{"value":false}},{"key":"count","match":{"value":10}}],"min_count":3}}`, false},
		{"nested filter", `{"must":[{"should":[{"key":"city","match":{"value":"Paris"}}]}]}`, false},
		{"multi-test field OR", `{"must":[{"key":"count","match":{"value":11},"range":{"gt":5}}]}`, true},
		{"slice total 1", `{"must":[{"slice":{"index":0,"total":1}}]}`, true},
		{"has_vector no info", `{"must":[{"has_vector":""}]}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := ParseFilter([]byte(c.filter))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(id, doc); got != c.want {
				t.Fatalf("Match = %v, want %v", got, c.want)
			}
			// Re-encoding keeps the meaning.
			b, err := f.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			g, err := ParseFilter(b)
			if err != nil {
				t.Fatalf("reparse %s: %v", b, err)
			}
			if got := g.Match(id, doc); got != c.want {
				t.Fatalf("re-encoded %s: Match = %v, want %v", b, got, c.want)
			}
		})
	}
}

func TestMatchTextWithIndexSchema(t *testing.T) {
	doc := mustDoc(t, `{"desc": ["The quick brown Fox", "jumps over"]}`)
	opts := &MatchOptions{Schemas: map[string]FieldSchema{"desc": {Type: TypeText}}}
	cases := []struct {
		filter string
		want   bool
	}{
		{`{"key":"desc","match":{"text":"fox QUICK"}}`, true},
		{`{"key":"desc","match":{"text":"fox jumps"}}`, true},
		{`{"key":"desc","match":{"text":"fox cat"}}`, false},
		{`{"key":"desc","match":{"text":"qui"}}`, false},
		{`{"key":"desc","match":{"text_any":"cat fox"}}`, true},
		{`{"key":"desc","match":{"phrase":"brown fox"}}`, true},
		{`{"key":"desc","match":{"phrase":"fox brown"}}`, false},
		{`{"key":"desc","match":{"phrase":"fox jumps"}}`, false},
		{`{"key":"desc","match":{"text":"  "}}`, false},
	}
	for _, c := range cases {
		f, err := ParseFilter([]byte(`{"must":[` + c.filter + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.MatchWith(point.NumID(1), doc, opts); got != c.want {
			t.Errorf("%s: MatchWith = %v, want %v", c.filter, got, c.want)
		}
	}
}

func TestHasVectorOption(t *testing.T) {
	f, err := ParseFilter([]byte(`{"must":{"has_vector":"img"}}`))
	if err != nil {
		t.Fatal(err)
	}
	opts := &MatchOptions{HasVector: func(n string) bool { return n == "img" }}
	if !f.MatchWith(point.NumID(1), nil, opts) {
		t.Fatal("has_vector img should match")
	}
}

func TestSliceDisjointCover(t *testing.T) {
	const total = 4
	counts := make([]int, total)
	for i := uint64(0); i < 2000; i++ {
		hits := 0
		for s := uint32(0); s < total; s++ {
			if (&Slice{Index: s, Total: total}).contains(point.NumID(i)) {
				hits++
				counts[s]++
			}
		}
		if hits != 1 {
			t.Fatalf("id %d in %d slices", i, hits)
		}
	}
	for s, c := range counts {
		if c < 400 || c > 600 {
			t.Fatalf("slice %d holds %d of 2000 ids: not uniform", s, c)
		}
	}
}

// TestSipHashZeroKeyEmpty checks SipHash-2-4 with a zero key on the empty
// message against its published value.
func TestSipHashZeroKeyEmpty(t *testing.T) {
	// SipHash-2-4 with a zero key over the empty message.
	if got := sipHash24(nil); got != 0x1e924b9d737700d7 {
		t.Fatalf("siphash(empty) = %#x", got)
	}
}
