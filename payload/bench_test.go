package payload

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cairn-db/cairn/point"
)

func benchSource(b *testing.B, n int) *memSource {
	r := rand.New(rand.NewPCG(3, 4))
	docs := make([]Payload, n)
	for i := range docs {
		docs[i] = Payload{"kw": words[r.IntN(len(words))], "n": jsonNum(fmt.Sprint(r.IntN(1000)))}
	}
	return buildSource(b, docs, map[string]FieldSchema{"kw": {Type: TypeKeyword}, "n": {Type: TypeInteger}})
}

func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		src := benchSource(b, n)
		f, err := ParseFilter([]byte(`{"must":[{"key":"kw","match":{"any":["alpha","Beta"]}},{"key":"n","range":{"gte":100,"lt":400}}],"must_not":[{"key":"n","match":{"value":150}}]}`))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Plan(f, src)
			}
		})
	}
}

func BenchmarkMatcherMatch(b *testing.B) {
	src := benchSource(b, 100_000)
	f, _ := ParseFilter([]byte(`{"must":[{"key":"kw","match":{"value":"alpha"}},{"key":"n","range":{"lt":500}}]}`))
	m := Plan(f, src)
	if !m.Exact() {
		b.Fatal("plan not exact")
	}
	b.Run("exact", func(b *testing.B) {
		b.ReportAllocs()
		off := uint32(0)
		for b.Loop() {
			m.Match(off)
			off = (off + 7919) % 100_000
		}
	})
}

func BenchmarkFilterMatch(b *testing.B) {
	doc := Payload{"kw": "alpha", "n": jsonNum("42"), "tags": []any{"a", "b", "c"}}
	f, _ := ParseFilter([]byte(`{"must":[{"key":"kw","match":{"value":"alpha"}},{"key":"n","range":{"gte":10,"lt":50}}],"should":[{"key":"tags","match":{"any":["c","d"]}}]}`))
	b.ReportAllocs()
	for b.Loop() {
		if !f.Match(point.NumID(1), doc) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkOpenIndex(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 1_000_000
	docs := make([]Payload, n)
	for i := range docs {
		docs[i] = Payload{"kw": fmt.Sprint("v", r.IntN(1000)), "n": jsonNum(fmt.Sprint(r.IntN(1 << 30)))}
	}
	for _, typ := range []FieldType{TypeKeyword, TypeInteger} {
		key := map[FieldType]string{TypeKeyword: "kw", TypeInteger: "n"}[typ]
		data, err := BuildIndex(key, FieldSchema{Type: typ}, n, func(o uint32) Payload { return docs[o] })
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("points=%d/type=%s", n, typ), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := OpenIndex(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckRequest: the text check every generic request body
// passes, on an upsert of 1,000 points of 128 dimensions.
func BenchmarkCheckRequest(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`{"points":[`)
	for i := range 1000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":%d,"vector":[`, i)
		for d := range 128 {
			if d > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, "%.6f", float64(i*d%997)/997)
		}
		fmt.Fprintf(&body, `],"payload":{"city":"Oslo","n":%d}}`, i)
	}
	body.WriteString(`]}`)
	maps := map[string]bool{"payload": true, "vector": true}
	b.SetBytes(int64(body.Len()))
	for b.Loop() {
		if err := CheckRequest(body.Bytes(), maps); err != nil {
			b.Fatal(err)
		}
	}
}
