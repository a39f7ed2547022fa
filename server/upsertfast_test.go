package server

import (
	"bytes"
	"fmt"
	"math"
	"net/http/httptest"
	"reflect"
	"strings"
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
	// Flat payloads (decoded here) and others (payload.Decode).
	{`{"points":[{"id":2,"vector":[1],"payload":{"s":"x y","t":true,"f":false,"z":null,"n":-1.5e3,"big":18446744073709551616,"a":1,"a":2}}]}`, true},
	{`{"points":[{"id":2,"vector":[1],"payload":{ }},{"id":3,"vector":[1],"payload":{}}]}`, true},
	{`{"points":[{"id":2,"vector":[1],"payload":{"a":"\u00e9","é":"ü"}}]}`, true},
	{`{"points":[{"id":2,"vector":[1],"payload":{"a" : [1,{"b":null}] , "c":{"d":"e"}}}]}`, true},
	{`{"points":[{"id":2,"vector":[1],"payload":{"a":01}}]}`, false},
	{`{"points":[{"id":2,"vector":[1],"payload":{"a":tru}}]}`, false},
	{`{"points":[{"id":2,"vector":[1],"payload":{"a":1,}}]}`, false},
	{`{"points":[{"id":2,"vector":[1],"payload":[1]}]}`, false},
	{`{"points":[{"id":2,"vector":[1],"payload":{"a":"b}}]}`, false},
	// Ids around the 19-digit fast read and uint64's limit.
	{`{"points":[{"id":9999999999999999999,"vector":[1]},{"id":0,"vector":[1]}]}`, true},
	{`{"points":[{"id":10000000000000000000,"vector":[1]}]}`, true},
	{`{"points":[{"id":18446744073709551616,"vector":[1]}]}`, false},
	{`{"points":[{"id":1.5,"vector":[1]}]}`, false},
	// Vectors: whitespace, spellings for strconv, faults.
	{`{"points":[{"id":1,"vector":[ 1e-50 , 3.4028235e38 ,0.30000001192092896, -0 ,1E+2]}]}`, true},
	{`{"points":[{"id":1,"vector":[1e39]}]}`, false},
	{`{"points":[{"id":1,"vector":[NaN]}]}`, false},
	{`{"points":[{"id":1,"vector":[1,2 3]}]}`, false},
	{`{"points":[{"id":1,"vector":[1,null]}]}`, false},
	{`{"points":[{"id":1,"vector":[-]}]}`, false},
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

// TestFastUpsertKeepsNoBody checks that the decoded points do not refer to
// the body, which the server reuses for the next request.
func TestFastUpsertKeepsNoBody(t *testing.T) {
	for _, tc := range fastUpsertCases {
		if !tc.fast {
			continue
		}
		body := []byte(tc.body)
		fast, ok := fastUpsert(body)
		if !ok {
			t.Fatalf("%s: refused", tc.body)
		}
		for i := range body {
			body[i] = 'x'
		}
		gen, err := genericUpsert([]byte(tc.body))
		if err != nil || !samePoints(fast, gen) {
			t.Errorf("%s: after reuse of the body, fast %+v, generic %+v (%v)", tc.body, fast, gen, err)
		}
	}
}

// TestFastUpsertLargeBatch compares both decoders on a benchmark-shaped
// batch: many vectors sharing backing arrays, which must not overlap.
func TestFastUpsertLargeBatch(t *testing.T) {
	body := upsertBody(1<<40, benchVectors(300, 9))
	fast, ok := fastUpsert(body)
	if !ok {
		t.Fatal("fast path refused the benchmark body")
	}
	gen, err := genericUpsert(body)
	if err != nil || !samePoints(fast, gen) {
		t.Fatalf("fast and generic differ (%v)", err)
	}
	v := fast[0].Vector[""]
	if cap(v) != len(v) {
		t.Fatalf("vector capacity %d > length %d: an append would overwrite the next vector", cap(v), len(v))
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

// TestUpsertPooledBody sends upserts of known and unknown length (the
// pooled and the plain body reader) and checks each point is stored as sent,
// including after its body's buffer has served the next request.
func TestUpsertPooledBody(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Euclid"}}`)
	for i, chunked := range []bool{false, true, false} {
		body := fmt.Sprintf(`{"points":[{"id":%d,"vector":[%d,0.5],"payload":{"k":"v%d"}}]}`, i, i, i)
		req := httptest.NewRequest("PUT", "/collections/c/points?wait=true", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("upsert %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	for i := range 3 {
		got := decode[map[string]any](t, mustOK(t, s, "GET", fmt.Sprintf("/collections/c/points/%d", i), ""))
		want := map[string]any{"k": fmt.Sprintf("v%d", i)}
		if !reflect.DeepEqual(got["payload"], want) || fmt.Sprint(got["vector"]) != fmt.Sprintf("[%d.0 0.5]", i) {
			t.Fatalf("point %d: %v", i, got)
		}
	}
	// A body shorter than its declared length is a 400.
	req := httptest.NewRequest("PUT", "/collections/c/points", strings.NewReader(`{"points":[]}`))
	req.ContentLength = 100
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Fatalf("short body: %d %s", rec.Code, rec.Body)
	}
}

// TestFastUpsertSplit covers the two-goroutine decoding of large bodies:
// a boundary guessed right (compact and spaced lists), and guesses inside
// payloads, which must be detected and read in order.
func TestFastUpsertSplit(t *testing.T) {
	vecs := benchVectors(300, 4)
	compact := upsertBody(0, vecs)
	spaced := bytes.ReplaceAll(compact, []byte(`},{"id"`), []byte("}, \n{\"id\""))
	var nested bytes.Buffer // payloads of lists of objects: ",{" everywhere
	nested.WriteString(`{"points":[`)
	for i := range 40 {
		if i > 0 {
			nested.WriteByte(',')
		}
		fmt.Fprintf(&nested, `{"id":%d,"vector":[1.5,-2],"payload":{"l":[`, i)
		for j := range 800 {
			if j > 0 {
				nested.WriteByte(',')
			}
			fmt.Fprintf(&nested, `{"a":%d}`, j)
		}
		nested.WriteString(`]}}`)
	}
	nested.WriteString(`]}`)
	for name, body := range map[string][]byte{"compact": compact, "spaced": spaced, "nested": nested.Bytes()} {
		if len(body) < parallelMin {
			t.Fatalf("%s: %d bytes, too small to split", name, len(body))
		}
		s := scanner{b: body}
		s.i = bytes.IndexByte(body, '[') + 1
		mid := pointBoundary(body, s.i+(len(body)-s.i)/2)
		if mid < 0 {
			t.Fatalf("%s: no boundary guessed", name)
		}
		if atPoint := bytes.HasPrefix(bytes.TrimLeft(body[mid+1:], " \n"), []byte(`{"id"`)); atPoint != (name != "nested") {
			t.Fatalf("%s: guess at a point = %v: the test does not cover the path it means to", name, atPoint)
		}
		fast, ok := fastUpsert(body)
		if !ok {
			t.Fatalf("%s: fast path refused", name)
		}
		gen, err := genericUpsert(body)
		if err != nil || !samePoints(fast, gen) {
			t.Fatalf("%s: fast (%d points) and generic (%d) differ (%v)", name, len(fast), len(gen), err)
		}
		// A fault in either half must refuse the whole body.
		for _, at := range []int{len(body) / 4, len(body) * 3 / 4} {
			bad := bytes.Clone(body)
			k := at + bytes.IndexByte(body[at:], ':')
			bad[k] = ';'
			if _, ok := fastUpsert(bad); ok {
				t.Fatalf("%s: fault at %d accepted", name, k)
			}
		}
	}
}
