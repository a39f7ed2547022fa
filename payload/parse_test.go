package payload

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFilterErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`[]`, "filter: expected an object"},
		{`{"mustt":[]}`, "filter.mustt: unknown field"},
		{`{"must":[{"key":"a","match":{"value":1}},{"key":"b","range":{"gt":"x1"}}]}`, "filter.must[1].range.gt:"},
		{`{"must":[{"key":"a","match":{"value":1}},{"key":"b","range":{"gt":true}}]}`, "filter.must[1].range.gt: expected a number"},
		{`{"must":[{"key":"b","range":{"gt":1,"lt":"2020-01-01"}}]}`, "filter.must[0].range.gt: expected an RFC 3339 datetime string"},
		{`{"must":[{"key":"b","range":{"lt":"yesterday"}}]}`, "filter.must[0].range.lt:"},
		{`{"must":[{"key":"a","match":{"value":1.5}}]}`, "filter.must[0].match.value: expected a string, an integer or a boolean"},
		{`{"must":[{"key":"a","match":{"value":"x","text":"y"}}]}`, "filter.must[0].match: expected exactly one"},
		{`{"must":[{"key":"a","match":{"any":["x",1]}}]}`, "filter.must[0].match.any[1]: mixes strings and integers"},
		{`{"must":[{"key":"a","match":{"except":[true]}}]}`, "filter.must[0].match.except[0]"},
		{`{"must":[{"key":"a","match":{"foo":1}}]}`, "filter.must[0].match.foo: unknown field"},
		{`{"must":[{"key":"a"}]}`, "filter.must[0]: At least one field condition"},
		{`{"must":[{"key":"a..b","match":{"value":1}}]}`, "filter.must[0].key:"},
		{`{"must":[{"key":5,"match":{"value":1}}]}`, "filter.must[0].key: expected a string"},
		{`{"should":[{"is_empty":{"key":"a","x":1}}]}`, "filter.should[0].is_empty.x: unknown field"},
		{`{"should":[{"has_id":[-1]}]}`, "filter.should[0].has_id[0]"},
		{`{"should":[{"has_id":["not-a-uuid"]}]}`, "filter.should[0].has_id[0]"},
		{`{"must_not":[{"nested":{"key":"a","filter":{"must":[{"key":"b","range":{"gte":[]}}]}}}]}`, "filter.must_not[0].nested.filter.must[0].range.gte: expected a number"},
		{`{"min_should":{"conditions":[],"min_count":0}}`, "filter.min_should.min_count: must be at least 1"},
		{`{"min_should":{"conditions":[]}}`, "filter.min_should.min_count: missing"},
		{`{"must":[{"key":"g","geo_radius":{"center":{"lat":91,"lon":0},"radius":1}}]}`, "filter.must[0].geo_radius.center.lat"},
		{`{"must":[{"key":"g","geo_radius":{"center":{"lat":1,"lon":0}}}]}`, "filter.must[0].geo_radius.radius: missing"},
		{`{"must":[{"key":"g","geo_polygon":{"exterior":{"points":[{"lat":1,"lon":0}]}}}]}`, "filter.must[0].geo_polygon.exterior.points: a ring"},
		{`{"must":[{"key":"a","values_count":{"gt":-1}}]}`, "filter.must[0].values_count.gt: expected an unsigned integer"},
		{`{"must":[{"slice":{"index":2,"total":2}}]}`, "filter.must[0].slice.index: must be below total"},
		{`{"must":[{"foo":1}]}`, "filter.must[0].foo: unknown field"},
		{`{"must":"x"}`, "filter.must: expected a condition or an array of conditions"},
		{`{"must":[],"must":[]}`, "filter.must: duplicate field"},
		{`{"must":[]} x`, "filter: trailing data"},
		{strings.Repeat(`{"must":`, 100) + `{}` + strings.Repeat(`}`, 100), "nested too deeply"},
	}
	for _, c := range cases {
		_, err := ParseFilter([]byte(c.in))
		if err == nil {
			t.Errorf("%s: parsed, want error %q", c.in, c.want)
			continue
		}
		if !errors.Is(err, ErrBadFilter) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got  %v\n want %q", c.in, err, c.want)
		}
	}
}

func TestParseFilterAccepts(t *testing.T) {
	for _, in := range []string{
		`null`, `{}`, `{"must":null,"should":null,"must_not":null,"min_should":null}`,
		`{"must":[{"key":"a","match":{"value":18446744073709551615}}]}`,
		`{"must":[{"key":"a","match":{"value":-9223372036854775808}}]}`,
		`{"must":[{"key":"a","range":{"gt":null,"lt":5}}]}`,
		`{"must":[{"key":"a","range":{"gt":"2020-01-01T00:00:00.123456+05:30"}}]}`,
		`{"must":[{"has_id":[1,"550e8400-e29b-41d4-a716-446655440000"]}]}`,
		`{"must":[{"key":"\"a.b\"[].c[2]","match":{"value":"x"}}]}`,
		`{"must":[{"key":"a","match":{"value":"x"},"is_null":null}]}`,
	} {
		if _, err := ParseFilter([]byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func TestFilterUnmarshalJSON(t *testing.T) {
	var req struct {
		Filter *Filter `json:"filter"`
	}
	err := jsonUnmarshal(`{"filter":{"must":[{"key":"a","range":{"gt":"x"}}]}}`, &req)
	if err == nil || !strings.Contains(err.Error(), "range") {
		t.Fatalf("want a range error, got %v", err)
	}
	if err := jsonUnmarshal(`{"filter":{"must":[{"key":"a","match":{"value":"x"}}]}}`, &req); err != nil {
		t.Fatal(err)
	}
	if len(req.Filter.Must) != 1 || req.Filter.Must[0].Field.Match.Value != "x" {
		t.Fatalf("decoded %+v", req.Filter)
	}
}

func TestFieldSchema(t *testing.T) {
	good := map[string]FieldType{
		`"keyword"`: TypeKeyword, `"uuid"`: TypeUUID,
		`{"type":"integer","lookup":false,"range":true,"is_principal":true}`:                      TypeInteger,
		`{"type":"text","tokenizer":"prefix","min_token_len":2,"lowercase":true,"on_disk":true}`:  TypeText,
		`{"type":"text","stopwords":{"custom":["the"]},"phrase_matching":true}`:                   TypeText,
		`{"type":"keyword","is_tenant":true,"memory":"cached","enable_hnsw":false,"prefix":true}`: TypeKeyword,
	}
	for in, want := range good {
		s, err := ParseFieldSchema([]byte(in))
		if err != nil || s.Type != want {
			t.Errorf("%s: %v %v", in, s.Type, err)
			continue
		}
		b, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseFieldSchema(b)
		if err != nil || s2.Type != want {
			t.Errorf("round trip %s: %v", b, err)
		}
	}
	for _, in := range []string{`"keywords"`, `{"type":"keyword","lookup":true}`, `{"lookup":true}`,
		`{"type":"text","tokenizer":"nope"}`, `{"type":"text","stemmer":{"type":"snowball","language":"english"}}`,
		`{"type":"text","stopwords":"english"}`, `{"type":"keyword","memory":"hot"}`, `5`,
		`{"type":"text","min_token_len":5,"max_token_len":2}`} {
		if _, err := ParseFieldSchema([]byte(in)); !errors.Is(err, ErrBadSchema) {
			t.Errorf("%s: want ErrBadSchema, got %v", in, err)
		}
	}
}
