package payload

import (
	"encoding/json"
	"testing"

	"github.com/cairn-db/cairn/point"
)

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"must":{"key":"a","match":{"value":"x"}}}`,
		`{"should":[{"key":"n","range":{"gt":1,"lte":"x"}}],"must_not":[{"is_empty":{"key":"a"}}]}`,
		`{"min_should":{"conditions":[{"has_id":[1,"550e8400-e29b-41d4-a716-446655440000"]}],"min_count":1}}`,
		`{"must":[{"nested":{"key":"obj","filter":{"must":[{"key":"kw","match":{"any":["a"]}}]}}}]}`,
		`{"must":[{"key":"geo","geo_polygon":{"exterior":{"points":[{"lat":1,"lon":1},{"lat":2,"lon":1},{"lat":2,"lon":2},{"lat":1,"lon":1}]}}}]}`,
		`{"must":[{"key":"dt","range":{"gte":"2024-01-01T00:00:00+02:00"}},{"slice":{"index":0,"total":2}}]}`,
		`{"must":[{"key":"txt","match":{"text":"alpha beta"}},{"key":"n","values_count":{"lt":3}}]}`,
	} {
		f.Add([]byte(s))
	}
	docs := []Payload{}
	for _, s := range []string{testDoc, `{}`, `{"kw":["alpha",1,null],"n":9223372036854775809,"txt":"alpha beta","obj":[{"kw":"a"}]}`} {
		p, err := Decode([]byte(s))
		if err != nil {
			f.Fatal(err)
		}
		docs = append(docs, p)
	}
	src := buildSource(f, docs, testSchemas)
	opts := &MatchOptions{Schemas: src.schemas()}
	f.Fuzz(func(t *testing.T, b []byte) {
		flt, err := ParseFilter(b)
		if err != nil {
			return
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("ParseFilter accepted %s, Validate refuses it: %v", b, err)
		}
		enc, err := json.Marshal(flt)
		if err != nil {
			t.Fatalf("encode parsed filter: %v", err)
		}
		again, err := ParseFilter(enc)
		if err != nil {
			t.Fatalf("reparse %s: %v", enc, err)
		}
		m := Plan(flt, src)
		m.Estimate()
		for off, d := range docs {
			want := flt.MatchWith(point.NumID(uint64(off*7+1)), d, opts)
			if again.MatchWith(point.NumID(uint64(off*7+1)), d, opts) != want {
				t.Fatalf("re-encoded filter %s disagrees at %d", enc, off)
			}
			if m.Match(uint32(off)) != want {
				t.Fatalf("plan disagrees at %d for %s", off, b)
			}
		}
	})
}

func FuzzOpenIndex(f *testing.F) {
	docs := []Payload{}
	for _, s := range []string{testDoc, `{"kw":["a","b"],"n":[1,2],"txt":"x y"}`, `{}`} {
		p, _ := Decode([]byte(s))
		docs = append(docs, p)
	}
	for k, s := range map[string]FieldSchema{"city": {Type: TypeKeyword}, "ratings": {Type: TypeInteger},
		"price": {Type: TypeFloat}, "flag": {Type: TypeBool}, "shipped": {Type: TypeDatetime},
		"loc": {Type: TypeGeo}, "desc": {Type: TypeText}, "uid": {Type: TypeUUID}} {
		b, err := BuildIndex(k, s, len(docs), func(o uint32) Payload { return docs[o] })
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	conds := []*FieldCondition{}
	for _, s := range []string{
		`{"key":"%s","match":{"value":"London"}}`, `{"key":"%s","match":{"value":3}}`,
		`{"key":"%s","match":{"prefix":"L"}}`, `{"key":"%s","range":{"gt":1}}`,
		`{"key":"%s","range":{"lt":"2030-01-01"}}`, `{"key":"%s","match":{"text":"quick fox"}}`,
		`{"key":"%s","match":{"value":true}}`, `{"key":"%s","geo_radius":{"center":{"lat":52,"lon":13},"radius":1e6}}`,
	} {
		var fc FieldCondition
		fl, err := ParseFilter([]byte(`{"must":[` + jsonSprintf(s, "K") + `]}`))
		if err != nil {
			f.Fatal(err)
		}
		fc = *fl.Must[0].Field
		conds = append(conds, &fc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, resealed := range []bool{false, true} {
			c := append([]byte(nil), b...)
			if resealed && len(c) >= 16 {
				reseal(c)
			}
			ix, err := OpenIndex(c)
			if err != nil || ix.n > 1<<16 {
				continue
			}
			ix.Groups(1)
			for _, fc := range conds {
				q := *fc
				q.Key = ix.Key()
				ix.Query(&q)
			}
		}
	})
}

func jsonSprintf(format, key string) string {
	b, _ := json.Marshal(key)
	out := []byte{}
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) && format[i+1] == 's' {
			out = append(out, b[1:len(b)-1]...)
			i++
			continue
		}
		out = append(out, format[i])
	}
	return string(out)
}
