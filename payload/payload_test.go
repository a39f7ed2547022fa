package payload

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func TestDecodeEncodeExact(t *testing.T) {
	in := `{"a":18446744073709551615,"b":9223372036854775809,"c":-9223372036854775808,"d":1.5e300,"e":[1,{"f":null}],"g":"<&>"}`
	p, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Fatalf("round trip:\n got %s\nwant %s", out, in)
	}
	for _, bad := range []string{`[]`, `"x"`, `{"a":1} {}`, `{"a":}`, `5`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) succeeded", bad)
		}
	}
	if p, err := Decode([]byte(" null ")); err != nil || len(p) != 0 {
		t.Fatalf("null: %v %v", p, err)
	}
}

func TestValues(t *testing.T) {
	p := mustDoc(t, testDoc)
	cases := []struct {
		key  string
		want []any
	}{
		{"city", []any{"London"}},
		{"ratings", []any{json.Number("3"), json.Number("7"), json.Number("9")}},
		{"tags", []any{"red", "green", []any{"nested"}}},
		{"country.cities[].name", []any{"Berlin", "Munich"}},
		{"country.cities[0].name", []any{"Berlin"}},
		{"country.cities[5].name", nil},
		{"country.cities.name", nil},
		{`"a.b"`, []any{"dotted"}},
		{"a.b", nil},
		{"nope", nil},
		{"empty", nil},
		{"nil", []any{nil}},
		{"a[", nil},
	}
	for _, c := range cases {
		if got := Values(p, c.key); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Values(%q) = %#v, want %#v", c.key, got, c.want)
		}
	}
}

func TestSetPayload(t *testing.T) {
	p := mustDoc(t, `{"a":1,"o":{"x":1},"arr":[{"k":1},{"k":2}]}`)
	orig, _ := Encode(p)
	cases := []struct{ key, patch, want string }{
		{"", `{"a":2,"b":[1]}`, `{"a":2,"arr":[{"k":1},{"k":2}],"b":[1],"o":{"x":1}}`},
		{"o", `{"y":2}`, `{"a":1,"arr":[{"k":1},{"k":2}],"o":{"x":1,"y":2}}`},
		{"new.deep", `{"z":3}`, `{"a":1,"arr":[{"k":1},{"k":2}],"new":{"deep":{"z":3}},"o":{"x":1}}`},
		{"a", `{"z":3}`, `{"a":{"z":3},"arr":[{"k":1},{"k":2}],"o":{"x":1}}`},
		{"arr[]", `{"m":0}`, `{"a":1,"arr":[{"k":1,"m":0},{"k":2,"m":0}],"o":{"x":1}}`},
		{"arr[1]", `{"m":0}`, `{"a":1,"arr":[{"k":1},{"k":2,"m":0}],"o":{"x":1}}`},
	}
	for _, c := range cases {
		got, _ := Encode(Set(p, mustDoc(t, c.patch), c.key))
		if string(got) != c.want {
			t.Errorf("Set(key %q, %s) = %s, want %s", c.key, c.patch, got, c.want)
		}
	}
	if now, _ := Encode(p); string(now) != string(orig) {
		t.Fatalf("Set modified its input: %s", now)
	}
}

func TestDeleteKeys(t *testing.T) {
	p := mustDoc(t, `{"a":1,"o":{"x":1,"y":2},"arr":[{"k":1,"j":1},{"k":2}],"l":[1,2,3],"a.b":5}`)
	orig, _ := Encode(p)
	cases := []struct {
		keys []string
		want string
	}{
		{[]string{"a", "nope"}, `{"a.b":5,"arr":[{"j":1,"k":1},{"k":2}],"l":[1,2,3],"o":{"x":1,"y":2}}`},
		{[]string{"o.x"}, `{"a":1,"a.b":5,"arr":[{"j":1,"k":1},{"k":2}],"l":[1,2,3],"o":{"y":2}}`},
		{[]string{"arr[].k"}, `{"a":1,"a.b":5,"arr":[{"j":1},{}],"l":[1,2,3],"o":{"x":1,"y":2}}`},
		{[]string{"l[1]"}, `{"a":1,"a.b":5,"arr":[{"j":1,"k":1},{"k":2}],"l":[1,3],"o":{"x":1,"y":2}}`},
		{[]string{"l[]", `"a.b"`}, `{"a":1,"arr":[{"j":1,"k":1},{"k":2}],"l":[],"o":{"x":1,"y":2}}`},
	}
	for _, c := range cases {
		got, _ := Encode(DeleteKeys(p, c.keys))
		if string(got) != c.want {
			t.Errorf("DeleteKeys(%q) = %s, want %s", c.keys, got, c.want)
		}
	}
	if now, _ := Encode(p); string(now) != string(orig) {
		t.Fatalf("DeleteKeys modified its input: %s", now)
	}
}

func TestDecodeRejectsOutOfRangeNumbers(t *testing.T) {
	for _, doc := range []string{`{"f":1e400}`, `{"a":[1,-1e999]}`, `{"o":{"x":2e308}}`} {
		if _, err := Decode([]byte(doc)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("Decode(%s) = %v, want ErrBadPayload", doc, err)
		}
	}
	for _, doc := range []string{`{"f":1.7976931348623157e308}`, `{"u":18446744073709551615}`, `{"i":-9223372036854775808}`} {
		if _, err := Decode([]byte(doc)); err != nil {
			t.Errorf("Decode(%s) = %v, want ok", doc, err)
		}
	}
}
