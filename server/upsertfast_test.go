package server

import (
	"math"
	"reflect"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// genericUpsert is the reference decoder fastUpsert must agree with.
func genericUpsert(b []byte) ([]engine.PointStruct, error) {
	var in insertIn
	if err := decodeJSON(b, &in); err != nil {
		return nil, err
	}
	return in.points()
}

func samePoints(a, b []engine.PointStruct) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || !reflect.DeepEqual(a[i].Payload, b[i].Payload) || len(a[i].Vector) != len(b[i].Vector) {
			return false
		}
		for name, v := range a[i].Vector {
			w := b[i].Vector[name]
			if len(v) != len(w) {
				return false
			}
			for j := range v {
				if math.Float32bits(v[j]) != math.Float32bits(w[j]) {
					return false
				}
			}
		}
	}
	return true
}

var fastUpsertCases = []struct {
	body string
	fast bool
}{
	{`{"points":[{"id":1,"vector":[1,2.5,-3e-2],"payload":{"a":{"b":[1,"}"]},"n":9007199254740993}}]}`, true},
	{` { "points" : [ { "vector" : [ 0.1 ] , "id" : "5C56C793-69F3-4FBF-87E6-C4BF54C28C26" } , {"id":18446744073709551615,"vector":[],"payload":null} ] } `, true},
	{`{"points":[]}`, true},
	{`{"points":[{"id":1,"vector":{"a":[1]}}]}`, false},
	{`{"points":[{"id":1,"vector":[1],"extra":1}]}`, false},
	{`{"points":[{"id":1,"id":2,"vector":[1]}]}`, false},
	{`{"points":[{"id":01,"vector":[1]}]}`, false},
	{`{"points":[{"id":1,"vector":[1.]}]}`, false},
	{`{"points":[{"id":1,"vector":[.5]}]}`, false},
	{`{"points":[{"id":1,"vector":[1]}]}x`, false},
	{`{"points":[{"id":1,"vector":[1],"payload":{"a":}}]}`, false},
	{`{"points":[{"id":1}]}`, false},
	{`{"batch":{"ids":[1],"vectors":[[1]]}}`, false},
	{`{"points":[{"id":-1,"vector":[1]}]}`, false},
	{`{"points":[{"id":1,"vector":[1,]}]}`, false},
	{`{"p\u006fints":[]}`, false},
}

func TestFastUpsertAgreesWithGeneric(t *testing.T) {
	for _, tc := range fastUpsertCases {
		fast, ok := fastUpsert([]byte(tc.body))
		if ok != tc.fast {
			t.Errorf("%s: fast path ok=%v, want %v", tc.body, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		gen, err := genericUpsert([]byte(tc.body))
		if err != nil || !samePoints(fast, gen) {
			t.Errorf("%s: fast %+v, generic %+v (%v)", tc.body, fast, gen, err)
		}
	}
}

// FuzzFastUpsert checks that whatever the fast decoder accepts, the
// generic decoder accepts too, with the same points.
func FuzzFastUpsert(f *testing.F) {
	for _, tc := range fastUpsertCases {
		f.Add(tc.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := fastUpsert([]byte(body))
		if !ok {
			return
		}
		gen, err := genericUpsert([]byte(body))
		if err != nil {
			t.Fatalf("%q: fast path accepted, generic: %v", body, err)
		}
		if !samePoints(fast, gen) {
			t.Fatalf("%q: fast %+v, generic %+v", body, fast, gen)
		}
	})
}
