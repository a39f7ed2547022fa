package payload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func indexDocs(t *testing.T) []Payload {
	var docs []Payload
	for _, s := range []string{
		`{"k":"a","n":1,"b":true,"t":"Hello brave new World","g":{"lat":52.52,"lon":13.405},"d":"2020-01-01T00:00:00Z","u":"550e8400-e29b-41d4-a716-446655440000"}`,
		`{"k":["a","b"],"n":[1,2,18446744073709551615],"b":[false,true],"t":["hello","world news"],"g":[{"lat":48.85,"lon":2.35}],"d":"2020-01-01T02:00:00+01:00"}`,
		`{"k":null,"n":2.5,"b":null,"t":null,"u":"not-a-uuid"}`,
		`{}`,
		`{"k":["b",["c"]],"n":[],"b":false,"t":"","g":{"lat":"x","lon":1},"d":"never"}`,
		`{"k":"b","n":1,"f":9007199254740993}`,
	} {
		docs = append(docs, mustDoc(t, s))
	}
	return docs
}

func TestIndexQueries(t *testing.T) {
	docs := indexDocs(t)
	src := buildSource(t, docs, map[string]FieldSchema{
		"k": {Type: TypeKeyword}, "n": {Type: TypeInteger}, "b": {Type: TypeBool}, "t": {Type: TypeText},
		"g": {Type: TypeGeo}, "d": {Type: TypeDatetime}, "u": {Type: TypeUUID}, "f": {Type: TypeFloat},
	})
	cases := []struct {
		filter      string
		sure, maybe []uint32
	}{
		{`{"key":"k","match":{"value":"a"}}`, []uint32{0, 1}, nil},
		{`{"key":"k","match":{"any":["b","c"]}}`, []uint32{1, 4, 5}, nil},
		{`{"key":"k","match":{"prefix":""}}`, []uint32{0, 1, 4, 5}, nil},
		{`{"key":"n","match":{"value":1}}`, []uint32{0, 1, 5}, nil},
		{`{"key":"n","match":{"value":18446744073709551615}}`, []uint32{1}, nil},
		{`{"key":"n","range":{"gt":1,"lt":3}}`, []uint32{1}, []uint32{2}},
		{`{"key":"n","range":{"gte":18446744073709551615}}`, []uint32{1}, []uint32{2}},
		{`{"key":"f","range":{"gt":1}}`, nil, []uint32{5}},
		{`{"key":"b","match":{"value":false}}`, []uint32{1, 4}, nil},
		{`{"key":"t","match":{"text":"WORLD hello"}}`, []uint32{0, 1}, nil},
		{`{"key":"t","match":{"text_any":"brave news"}}`, []uint32{0, 1}, nil},
		{`{"key":"t","match":{"phrase":"world hello"}}`, nil, []uint32{0, 1}},
		{`{"key":"g","geo_radius":{"center":{"lat":52.5,"lon":13.4},"radius":5000}}`, []uint32{0}, nil},
		{`{"key":"g","geo_bounding_box":{"top_left":{"lat":60,"lon":0},"bottom_right":{"lat":40,"lon":20}}}`, []uint32{0, 1}, nil},
		{`{"key":"d","range":{"lte":"2020-01-01T01:00:00Z"}}`, []uint32{0, 1}, nil},
		{`{"key":"d","range":{"gt":"2020-01-01T00:00:00Z"}}`, []uint32{1}, nil},
		{`{"key":"u","match":{"value":"550e8400-e29b-41d4-a716-446655440000"}}`, []uint32{0}, nil},
	}
	for _, c := range cases {
		f, err := ParseFilter([]byte(`{"must":[` + c.filter + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		fc := f.Must[0].Field
		a, ok := src.Index(fc.Key).Query(fc)
		if !ok {
			t.Errorf("%s: index did not answer", c.filter)
			continue
		}
		if !sameList(a.Sure, c.sure) || !sameList(a.Maybe, c.maybe) {
			t.Errorf("%s: sure %v maybe %v, want %v %v", c.filter, a.Sure, a.Maybe, c.sure, c.maybe)
		}
	}
	for _, c := range []string{
		`{"key":"k","match":{"except":["a"]}}`, `{"key":"k","match":{"value":1}}`, `{"key":"k","match":{"text":"a"}}`,
		`{"key":"u","match":{"value":"not-a-uuid"}}`, `{"key":"n","match":{"value":"1"}}`, `{"key":"b","match":{"value":"x"}}`,
		`{"key":"k","values_count":{"gt":1}}`, `{"key":"other","match":{"value":"a"}}`,
		`{"key":"n","match":{"value":1},"range":{"gt":0}}`,
	} {
		f, err := ParseFilter([]byte(`{"must":[` + c + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		fc := f.Must[0].Field
		if ix := src.Index("k"); fc.Key == "other" {
			if _, ok := ix.Query(fc); ok {
				t.Errorf("%s: answered for another key", c)
			}
		} else if _, ok := src.Index(fc.Key).Query(fc); ok {
			t.Errorf("%s: answered, want per-point evaluation", c)
		}
	}
}

func sameList(a, b []uint32) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func TestIndexEmptyNullPlan(t *testing.T) {
	docs := indexDocs(t)
	src := buildSource(t, docs, map[string]FieldSchema{"k": {Type: TypeKeyword}})
	for _, c := range []struct {
		f    string
		want []uint32
	}{
		{`{"must":[{"is_empty":{"key":"k"}}]}`, []uint32{2, 3}},
		{`{"must":[{"is_null":{"key":"k"}}]}`, []uint32{2}},
		{`{"must_not":[{"is_empty":{"key":"k"}}],"should":[{"has_id":[1,8]}]}`, []uint32{0, 1}},
	} {
		f, err := ParseFilter([]byte(c.f))
		if err != nil {
			t.Fatal(err)
		}
		m := Plan(f, src)
		if !m.Exact() {
			t.Errorf("%s: plan not exact", c.f)
		}
		got, ok := m.Candidates()
		if !ok || !sameList(got, c.want) {
			t.Errorf("%s: candidates %v %v, want %v", c.f, got, ok, c.want)
		}
		if lo, exp, hi := m.Estimate(); lo != len(c.want) || exp != lo || hi != lo {
			t.Errorf("%s: estimate %d %d %d", c.f, lo, exp, hi)
		}
	}
	// An unindexed condition leaves every offset to evaluation.
	f, _ := ParseFilter([]byte(`{"must":[{"key":"zz","match":{"value":"a"}}]}`))
	m := Plan(f, src)
	if _, ok := m.Candidates(); ok || m.Exact() {
		t.Fatal("unindexed filter should need a scan")
	}
	if lo, exp, hi := m.Estimate(); lo != 0 || hi != len(docs) || exp != len(docs)/2 {
		t.Fatalf("unknown estimate %d %d %d", lo, exp, hi)
	}
}

func TestIndexGroups(t *testing.T) {
	docs := indexDocs(t)
	src := buildSource(t, docs, map[string]FieldSchema{"k": {Type: TypeKeyword}, "n": {Type: TypeInteger}, "b": {Type: TypeBool}})
	cases := map[string][][]uint32{
		"k": {{0, 1}, {1, 4, 5}},
		"n": {{0, 1, 5}},
		"b": {{1, 4}, {0, 1}},
	}
	for k, want := range cases {
		if got := src.Index(k).Groups(2); !reflect.DeepEqual(got, want) {
			t.Errorf("Groups(%s) = %v, want %v", k, got, want)
		}
	}
	off := false
	b, err := BuildIndex("k", FieldSchema{Type: TypeKeyword, EnableHNSW: &off}, len(docs), func(o uint32) Payload { return docs[o] })
	if err != nil {
		t.Fatal(err)
	}
	ix, err := OpenIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	if g := ix.Groups(1); g != nil {
		t.Fatalf("enable_hnsw false: groups %v", g)
	}
}

func TestOpenIndexCorrupt(t *testing.T) {
	docs := indexDocs(t)
	b, err := BuildIndex("k", FieldSchema{Type: TypeKeyword}, len(docs), func(o uint32) Payload { return docs[o] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenIndex(b); err != nil {
		t.Fatal(err)
	}
	// Every single-byte flip and every truncation must be rejected.
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 0x40
		if _, err := OpenIndex(c); !errors.Is(err, ErrCorruptIndex) {
			t.Fatalf("flip at %d: err %v", i, err)
		}
	}
	for n := 0; n < len(b); n += 7 {
		if _, err := OpenIndex(b[:n]); !errors.Is(err, ErrCorruptIndex) {
			t.Fatalf("truncated to %d: err %v", n, err)
		}
	}
	// A consistent checksum over bad contents is caught by validation.
	c := append([]byte(nil), b...)
	e := headerSize + sectionEntry*secPresent
	binary.LittleEndian.PutUint64(c[e+8:], 1<<40)
	reseal(c)
	if _, err := OpenIndex(c); !errors.Is(err, ErrCorruptIndex) {
		t.Fatalf("section bounds: err %v", err)
	}
}

func TestOpenIndexUnaligned(t *testing.T) {
	docs := indexDocs(t)
	b, err := BuildIndex("n", FieldSchema{Type: TypeInteger}, len(docs), func(o uint32) Payload { return docs[o] })
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(b)+1)
	copy(buf[1:], b)
	ix, err := OpenIndex(buf[1:])
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ix.Groups(1)); got != "[[0 1 5] [1] [1]]" {
		t.Fatalf("groups %s", got)
	}
}

// reseal recomputes the checksum after a deliberate edit.
func reseal(b []byte) {
	binary.LittleEndian.PutUint32(b[12:], crc32c(b[16:]))
}
