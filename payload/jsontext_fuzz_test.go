package payload

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParsePayload: Parse never panics; what it accepts is valid UTF-8
// text whose decoded strings hold no replacement the input did not spell,
// and which Validate accepts; CheckRequest never panics either.
func FuzzParsePayload(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"a":{"b":[1,"x",null]}}`, `{"k":"\ud83d\ude00"}`, `{"k":"\ud800"}`, "{\"k\xff\":1}",
		`{"a":1,"a":2}`, strings.Repeat(`{"a":`, 130) + `1` + strings.Repeat(`}`, 130), `{"a":[1,2,3,{"b":"\u00e9"}]}`,
		`{"a":"\\ud800"}`, `{"a":[1,"\udc00"]}`,
	} {
		f.Add([]byte(s))
	}
	maps := map[string]bool{"payload": true}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := CheckRequest(b, maps); err != nil && !errors.Is(err, ErrBadText) && !errors.Is(err, ErrDuplicateField) {
			t.Fatalf("CheckRequest %q: %v", b, err)
		}
		p, err := Parse(b)
		if err != nil {
			return
		}
		if !utf8.Valid(b) {
			t.Fatalf("accepted invalid UTF-8 %q", b)
		}
		if err := Validate(p); err != nil {
			t.Fatalf("Parse accepted %q, Validate refuses: %v", b, err)
		}
		out, err := Encode(p)
		if err != nil {
			t.Fatalf("encode %q: %v", b, err)
		}
		if strings.ContainsRune(string(out), utf8.RuneError) && !strings.ContainsRune(string(b), utf8.RuneError) && !strings.Contains(strings.ToLower(string(b)), `\ufffd`) {
			t.Fatalf("%q stored as %q: a replacement character the input did not spell", b, out)
		}
		var back any
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("stored %q does not read back: %v", out, err)
		}
	})
}
