package payload

import (
	"errors"
	"strings"
	"testing"
)

func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}

func TestParseDepth(t *testing.T) {
	if _, err := Parse([]byte(nested(MaxDepth))); err != nil {
		t.Fatalf("%d deep: %v", MaxDepth, err)
	}
	for _, doc := range []string{nested(MaxDepth + 1), nested(10000), `{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`} {
		if _, err := Parse([]byte(doc)); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("%d bytes deep document: %v, want ErrTooDeep", len(doc), err)
		}
	}
	// Validate sees documents built in Go (set_payload under a key path).
	p := Payload{}
	cur := p
	for range MaxDepth {
		next := map[string]any{}
		cur["a"] = next
		cur = next
	}
	if err := Validate(p); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Validate of %d levels: %v", MaxDepth+1, err)
	}
}

func TestParseText(t *testing.T) {
	good := []string{`{"city":"Zürich"}`, `{"e":"\ud83d\ude00"}`, `{"q":"\u00e9\"\\u"}`, `{"k":"a\\ud800"}`}
	for _, doc := range good {
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
	bad := map[string]string{
		"{\"k\xff\":1}":            "invalid unicode code point at line 1 column 4",
		"{\"k\":\"a\xc3\"}":        "invalid unicode code point",
		"{\"k\":\"\xed\xa0\x80\"}": "invalid unicode code point", // a surrogate in UTF-8
		`{"k":"\ud800"}`:           "unexpected end of hex escape",
		`{"k":"\ud800\u0041"}`:     "lone leading surrogate in hex escape",
		`{"k":"\udc00"}`:           "lone leading surrogate in hex escape",
		`{"\udfff":1}`:             "lone leading surrogate in hex escape",
	}
	for doc, want := range bad {
		_, err := Parse([]byte(doc))
		if !errors.Is(err, ErrBadText) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
	if err := Validate(Payload{"k": "a\xff"}); !errors.Is(err, ErrBadText) {
		t.Errorf("Validate of invalid UTF-8 built in Go: %v", err)
	}
}

// TestParseDuplicateKeys: Qdrant's parser (serde_json's map) keeps the
// last value of a repeated payload key; so does Cairn.
func TestParseDuplicateKeys(t *testing.T) {
	p, err := Parse([]byte(`{"a":1,"a":2}`))
	if err != nil || p["a"] == nil || p["a"].(interface{ String() string }).String() != "2" {
		t.Fatalf("%v %v", p, err)
	}
}

func TestCheckRequestDuplicates(t *testing.T) {
	maps := map[string]bool{"payload": true, "vector": true}
	for _, doc := range []string{
		`{"limit":1,"limit":2}`,
		`{"points":[{"id":1,"vector":[1],"id":2}]}`,
		`{"filter":{"must":[{"key":"a","match":{"value":1,"value":2}}]}}`,
		`{"x":[1,2,{"a":1,"a":2}]}`,
		`{"x":[[1,2],[3,{"a":1,"a":2}]]}`,
	} {
		if err := CheckRequest([]byte(doc), maps); !errors.Is(err, ErrDuplicateField) {
			t.Errorf("%s: %v, want ErrDuplicateField", doc, err)
		}
	}
	if err := CheckRequest([]byte(`{"limit":1,"limit":2}`), maps); err == nil || !strings.Contains(err.Error(), "duplicate field `limit` at line 1 column 18") {
		t.Errorf("message: %v", err)
	}
	for _, doc := range []string{
		`{"points":[{"id":1,"vector":{"a":[1],"a":[2]},"payload":{"k":1,"k":{"x":1,"x":2}}}]}`,
		`{"payload":{"k":1,"k":2},"points":[1]}`,
		`{"a":{"x":1},"b":{"x":1}}`,
		`{"a":1,`, `{"a"`, `[1,2`, `"x`, `{"a":tru`,
	} {
		if err := CheckRequest([]byte(doc), maps); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
	for _, doc := range []string{"{\"a\":\"\xff\"}", "{\"a\":[1,\"\xff\"]}", "{\"a\":[1,\xff]}", "{\"a\":[1,2,\"\\ud800\"]}"} {
		if err := CheckRequest([]byte(doc), maps); !errors.Is(err, ErrBadText) {
			t.Errorf("%q: %v, want ErrBadText", doc, err)
		}
	}
}

// TestCheckRequestDepth: the recursive walk is bounded, so a body of
// millions of '[' (within the request size limit) is refused, not a
// stack overflow that kills the process.
func TestCheckRequestDepth(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		doc := []byte(strings.Repeat(open, 1<<20))
		if err := CheckRequest(doc, nil); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("%q × 2^20: %v", open, err)
		}
	}
	ok := strings.Repeat("[", MaxRequestDepth) + strings.Repeat("]", MaxRequestDepth)
	if err := CheckRequest([]byte(ok), nil); err != nil {
		t.Fatalf("%d deep: %v", MaxRequestDepth, err)
	}
}
