package server

import (
	stdjson "encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

type benchPoint struct {
	ID      point.ID           `json:"id"`
	Vector  []float32          `json:"vector"`
	Payload stdjson.RawMessage `json:"payload,omitempty"`
}

type codecBatch struct {
	Points []benchPoint `json:"points"`
}

func codecBody(n, dim int) ([]byte, codecBatch) {
	r := rand.New(rand.NewPCG(1, 2))
	b := codecBatch{Points: make([]benchPoint, n)}
	for i := range b.Points {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		b.Points[i] = benchPoint{ID: point.NumID(uint64(i)), Vector: v, Payload: stdjson.RawMessage(fmt.Sprintf(`{"n":%d,"tag":"t%d"}`, i, i%7))}
	}
	body, err := stdjson.Marshal(b)
	if err != nil {
		panic(err)
	}
	return body, b
}

type codecImpl struct {
	name      string
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
}

var benchCodecs = []codecImpl{
	{"encoding_json", stdjson.Marshal, stdjson.Unmarshal},
	{"goccy", gojson.Marshal, gojson.Unmarshal},
}

// BenchmarkCodec measures decoding and encoding a 1,000-point upsert batch
// of 768-d vectors with each JSON implementation.
func BenchmarkCodec(b *testing.B) {
	body, batch := codecBody(1000, 768)
	for _, c := range benchCodecs {
		b.Run("op=decode/n=1000/dim=768/impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var out codecBatch
				if err := c.unmarshal(body, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=encode/n=1000/dim=768/impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := c.marshal(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCodecsAgree(t *testing.T) {
	body, batch := codecBody(20, 16)
	for _, c := range benchCodecs {
		var out codecBatch
		if err := c.unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i := range out.Points {
			if out.Points[i].ID != batch.Points[i].ID || len(out.Points[i].Vector) != 16 || out.Points[i].Vector[3] != batch.Points[i].Vector[3] {
				t.Fatalf("%s: point %d differs", c.name, i)
			}
		}
	}
}

// BenchmarkSearchAnswer measures encoding a search answer (the envelope
// around limit scored points with a small payload), with and without the
// 128-d vectors, as the server encodes an answer (encodeAnswer; before the
// hand-written encoder it was the codec's Marshal of the same okBody).
func BenchmarkSearchAnswer(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{10, 100} {
		for _, withVector := range []bool{false, true} {
			pts := make([]engine.ScoredPoint, n)
			for i := range pts {
				pts[i] = engine.ScoredPoint{ID: point.NumID(uint64(i)), Version: 7, Score: r.Float32(),
					Payload: map[string]any{"city": "Oslo", "n": i}}
				if withVector {
					pts[i].Vector = engine.Vectors{"": benchVector(r, 128)}
				}
			}
			ans := okBody{Result: pts, Status: "ok", Time: 0.000123}
			b.Run(fmt.Sprintf("n=%d/vector=%v", n, withVector), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := encodeAnswer(ans); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkScrollAnswer measures encoding a scroll answer (records with a
// small payload, with and without a 128-d vector) as the server does.
func BenchmarkScrollAnswer(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{10, 100} {
		for _, withVector := range []bool{false, true} {
			recs := make([]engine.Record, n)
			for i := range recs {
				recs[i] = engine.Record{ID: point.NumID(uint64(i)), Payload: map[string]any{"city": "Oslo", "n": i}}
				if withVector {
					recs[i].Vector = engine.Vectors{"": benchVector(r, 128)}
				}
			}
			next := point.NumID(uint64(n))
			ans := okBody{Result: engine.ScrollResult{Points: recs, NextPageOffset: &next}, Status: "ok", Time: 0.000123}
			b.Run(fmt.Sprintf("n=%d/vector=%v", n, withVector), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := encodeAnswer(ans); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func benchVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = r.Float32()
	}
	return v
}
