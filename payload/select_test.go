package payload

import (
	"encoding/json"
	"testing"
)

func TestIncludeBracketPaths(t *testing.T) {
	src, err := Decode([]byte(`{"a":[{"b":1,"c":"x"},{"b":5,"c":"y"},{"c":"z"}],"d":{"e":[1,2],"f":3},"g":[[1,2],[3]]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		keys []string
		want string
	}{
		{[]string{"a[].b"}, `{"a":[{"b":1},{"b":5}]}`},
		{[]string{"a[1].c"}, `{"a":[{"c":"y"}]}`},
		{[]string{"a[].b", "a[].c"}, `{"a":[{"c":"x"},{"c":"y"},{"c":"z"}]}`}, // lengths differ: the later wins whole
		{[]string{"d.e", "d.f"}, `{"d":{"e":[1,2],"f":3}}`},
		{[]string{"d.e[0]"}, `{"d":{"e":[1]}}`},
		{[]string{"nope[].x", "a[].nope"}, `{"a":[]}`},
		{[]string{"bad["}, `{}`},
	} {
		dst := Payload{}
		for _, k := range tc.keys {
			Include(dst, src, k)
		}
		b, _ := json.Marshal(dst)
		if string(b) != tc.want {
			t.Errorf("%v: %s, want %s", tc.keys, b, tc.want)
		}
	}
}
