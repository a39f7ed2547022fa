package server

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// The reference encodings: the answer types as plain structs, encoded by
// reflection (encoding/json, and goccy as the codec did before the
// hand-written encoder), with floats of scores and vectors in Qdrant's
// spelling (point.AppendJSONFloat), the one thing the plain structs would
// write differently.
type (
	refFloat   float32
	refVectors map[string][]refFloat
	refScored  struct {
		ID      any            `json:"id"`
		Version uint64         `json:"version"`
		Score   refFloat       `json:"score"`
		Payload map[string]any `json:"payload"`
		Vector  refVectors     `json:"vector"`
	}
	refRecord struct {
		ID         any                `json:"id"`
		Payload    map[string]any     `json:"payload"`
		Vector     refVectors         `json:"vector"`
		OrderValue *engine.OrderValue `json:"order_value,omitempty"`
	}
	refScroll struct {
		Points         []refRecord `json:"points"`
		NextPageOffset any         `json:"next_page_offset"`
	}
	refQuery struct {
		Points []refScored `json:"points"`
	}
	refBody struct {
		Result any     `json:"result"`
		Status string  `json:"status"`
		Time   seconds `json:"time"`
	}
)

func (f refFloat) MarshalJSON() ([]byte, error) {
	return point.AppendJSONFloat(nil, float64(f), 32), nil
}

func (v refVectors) MarshalJSON() ([]byte, error) {
	if u, ok := v[""]; ok && len(v) == 1 {
		return stdjson.Marshal(u)
	}
	return stdjson.Marshal(map[string][]refFloat(v))
}

// refID is an id as its JSON value: a number, or a UUID's canonical text.
func refID(id point.ID) any {
	if id.IsUUID() {
		return id.UUID().String()
	}
	return id.Num()
}

func toRefVectors(v engine.Vectors) refVectors {
	if v == nil {
		return nil
	}
	out := refVectors{}
	for name, u := range v {
		if u == nil {
			out[name] = nil
			continue
		}
		out[name] = make([]refFloat, len(u))
		for i, f := range u {
			out[name][i] = refFloat(f)
		}
	}
	return out
}

func toRefScored(pts []engine.ScoredPoint) []refScored {
	if pts == nil {
		return nil
	}
	out := make([]refScored, len(pts))
	for i, p := range pts {
		out[i] = refScored{refID(p.ID), p.Version, refFloat(p.Score), p.Payload, toRefVectors(p.Vector)}
	}
	return out
}

func toRefRecords(recs []engine.Record) []refRecord {
	if recs == nil {
		return nil
	}
	out := make([]refRecord, len(recs))
	for i, r := range recs {
		out[i] = refRecord{refID(r.ID), r.Payload, toRefVectors(r.Vector), r.OrderValue}
	}
	return out
}

var answerPieces = []string{"a", "Oslo", " ", "/", "é", "😀", "日本", "<", ">", "&", `"`, `\`, "\x00", "\b", "\f", "\n", "\t", "\x1f", "\x7f", "\u2028", "\u2029", "\xff"}

func randAnswerString(r *rand.Rand) string {
	s := ""
	for range r.IntN(5) {
		s += answerPieces[r.IntN(len(answerPieces))]
	}
	return s
}

var answerFloats = []float32{0, 1, -2, 0.5, 1e-7, 1e-6, 3e38, 1e21, 123456, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}

func randAnswerFloat(r *rand.Rand) float32 {
	if r.IntN(2) == 0 {
		return answerFloats[r.IntN(len(answerFloats))]
	}
	return r.Float32()*2 - 1
}

func randAnswerValue(r *rand.Rand, depth int) any {
	k := r.IntN(9)
	if depth <= 0 {
		k = r.IntN(7)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2, 3:
		return randAnswerString(r)
	case 4:
		return stdjson.Number([]string{"0", "-7", "1.50", "2E-3", "12345678901234567890"}[r.IntN(5)])
	case 5:
		return []float64{0, 1, 0.25, 1e-7, 1e21, -3}[r.IntN(6)]
	case 6:
		return r.IntN(1000) - 500
	case 7:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randAnswerValue(r, depth-1)
		}
		return a
	default:
		return randAnswerPayload(r, depth-1)
	}
}

func randAnswerPayload(r *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for range r.IntN(8) {
		m[randAnswerString(r)] = randAnswerValue(r, depth)
	}
	return m
}

func randAnswerID(r *rand.Rand) point.ID {
	if r.IntN(2) == 0 {
		return point.NumID(r.Uint64() >> r.IntN(64))
	}
	var u uuid.UUID
	for i := range u {
		u[i] = byte(r.Uint32())
	}
	return point.UUIDID(u)
}

func randAnswerVectors(r *rand.Rand) engine.Vectors {
	var names []string
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		names = []string{""}
	case 2:
		names = []string{"image", "text<&>", "é"}
	default:
		names = []string{"", "b"}
	}
	v := engine.Vectors{}
	for _, name := range names {
		if r.IntN(8) == 0 {
			v[name] = nil
			continue
		}
		u := make([]float32, r.IntN(6))
		for i := range u {
			u[i] = randAnswerFloat(r)
		}
		v[name] = u
	}
	return v
}

func randScoredPoints(r *rand.Rand) []engine.ScoredPoint {
	if r.IntN(10) == 0 {
		return nil
	}
	pts := make([]engine.ScoredPoint, r.IntN(5))
	for i := range pts {
		pts[i] = engine.ScoredPoint{ID: randAnswerID(r), Version: r.Uint64() >> r.IntN(64), Score: randAnswerFloat(r), Vector: randAnswerVectors(r)}
		if r.IntN(4) > 0 {
			pts[i].Payload = randAnswerPayload(r, 3)
		}
	}
	return pts
}

func randRecords(r *rand.Rand) []engine.Record {
	if r.IntN(10) == 0 {
		return nil
	}
	recs := make([]engine.Record, r.IntN(5))
	for i := range recs {
		recs[i] = engine.Record{ID: randAnswerID(r), Vector: randAnswerVectors(r)}
		if r.IntN(4) > 0 {
			recs[i].Payload = randAnswerPayload(r, 3)
		}
		if r.IntN(3) == 0 {
			f := []float64{0, 1, -2.5, 1e-7, 1e21, 42}[r.IntN(6)]
			recs[i].OrderValue = &engine.OrderValue{Value: f, Float: r.IntN(2) == 0}
		}
	}
	return recs
}

// randAnswer returns a random result of each shape appendResult writes
// and its reference form.
func randAnswer(r *rand.Rand, shape int) (result, ref any) {
	switch shape {
	case 0:
		pts := randScoredPoints(r)
		return pts, toRefScored(pts)
	case 1:
		var lists [][]engine.ScoredPoint
		var refs [][]refScored
		for range r.IntN(3) {
			pts := randScoredPoints(r)
			lists, refs = append(lists, pts), append(refs, toRefScored(pts))
		}
		return lists, refs
	case 2:
		pts := randScoredPoints(r)
		return queryResponse{Points: pts}, refQuery{toRefScored(pts)}
	case 3:
		var qs []queryResponse
		var refs []refQuery
		for range r.IntN(3) + 1 {
			pts := randScoredPoints(r)
			qs, refs = append(qs, queryResponse{pts}), append(refs, refQuery{toRefScored(pts)})
		}
		return qs, refs
	case 4:
		recs := randRecords(r)
		res := engine.ScrollResult{Points: recs}
		if r.IntN(2) == 0 {
			id := randAnswerID(r)
			res.NextPageOffset = &id
		}
		ref := refScroll{Points: toRefRecords(recs)}
		if res.NextPageOffset != nil {
			ref.NextPageOffset = refID(*res.NextPageOffset)
		}
		return res, ref
	case 5:
		recs := randRecords(r)
		return recs, toRefRecords(recs)
	default:
		rec := engine.Record{ID: randAnswerID(r), Payload: randAnswerPayload(r, 3), Vector: randAnswerVectors(r)}
		return rec, toRefRecords([]engine.Record{rec})[0]
	}
}

// TestAnswerEncoderMatchesCodec holds the hand-written answer encoder to
// the bytes that encoding/json and the codec (goccy) write for the same
// answers by reflection, floats of scores and vectors apart (Qdrant's
// spelling), and to the codec's Marshal of the answer types themselves.
func TestAnswerEncoderMatchesCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for i := range 4000 {
		result, ref := randAnswer(r, i%7)
		tm := seconds([]float64{0, 0.000123, 1, 2.5e-7}[i%4])
		got, err := appendAnswer([]byte("x"), okBody{Result: result, Status: "ok", Time: tm})
		if err != nil {
			t.Fatalf("appendAnswer(%#v): %v", result, err)
		}
		if string(got[:1]) != "x" {
			t.Fatalf("appendAnswer changed what it appends to: %q", got)
		}
		got = got[1:]
		refAns := refBody{Result: ref, Status: "ok", Time: tm}
		std, err := stdjson.Marshal(refAns)
		if err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		goc, err := gojson.Marshal(refAns)
		if err != nil {
			t.Fatalf("goccy: %v", err)
		}
		codecOut, err := codec{}.marshal(okBody{Result: result, Status: "ok", Time: tm})
		if err != nil {
			t.Fatalf("codec: %v", err)
		}
		for _, want := range []struct {
			name string
			b    []byte
		}{{"encoding/json", std}, {"goccy", goc}, {"codec", codecOut}} {
			if string(got) != string(want.b) {
				t.Fatalf("answer %d (%T) differs from %s: %s", i, result, want.name, answerDiff(got, want.b))
			}
		}
	}
}

// TestAnswerEncoderFallsBack checks that other answers go to the codec.
func TestAnswerEncoderFallsBack(t *testing.T) {
	for _, v := range []any{
		okBody{Result: true, Status: "ok", Time: 1},
		okBody{Result: countResult{Count: 3}, Status: "ok"},
		errBody{Status: errStatus{Error: "<bad>"}, Time: 0.5},
		map[string]any{"a": 1},
	} {
		got, err := encodeAnswer(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := codec{}.marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("encodeAnswer(%#v) = %s, want %s", v, got, want)
		}
	}
}

// TestAnswerEncoderRefusesNaNPayload: a payload float the codec cannot
// write fails the answer as it did, rather than writing invalid JSON.
func TestAnswerEncoderRefusesNaNPayload(t *testing.T) {
	pts := []engine.ScoredPoint{{ID: point.NumID(1), Payload: map[string]any{"x": math.NaN()}}}
	if b, err := encodeAnswer(okBody{Result: pts, Status: "ok"}); err == nil {
		t.Fatalf("encodeAnswer = %s, want an error", b)
	}
}

// TestSerializeWritesAnswerEncoding: an answer written through echo (the
// handlers' ok) is encodeAnswer's bytes, and ?pretty indents the same JSON.
func TestSerializeWritesAnswerEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	e := echo.New()
	e.JSONSerializer = serializer{}
	for i := range 50 {
		body := okBody{Result: randScoredPoints(r), Status: "ok", Time: 0.25}
		if i%2 == 1 {
			result, _ := randAnswer(r, 4)
			body.Result = result
		}
		want, err := encodeAnswer(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/", "/?pretty"} {
			rec := httptest.NewRecorder()
			c := e.NewContext(httptest.NewRequest(http.MethodPost, target, nil), rec)
			if err := c.JSON(http.StatusOK, body); err != nil {
				t.Fatal(err)
			}
			got := rec.Body.Bytes()
			if target != "/" {
				var compact bytes.Buffer
				if err := stdjson.Compact(&compact, got); err != nil {
					t.Fatalf("pretty answer is not JSON: %v\n%s", err, got)
				}
				if bytes.Equal(compact.Bytes(), got) {
					t.Fatalf("?pretty answer is not indented: %s", got)
				}
				got = compact.Bytes()
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s answer differs from encodeAnswer: %s", target, answerDiff(got, want))
			}
			if ct := rec.Header().Get(echo.HeaderContentType); ct != echo.MIMEApplicationJSON {
				t.Fatalf("content type %q", ct)
			}
		}
	}
}

func answerDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-60)
	return fmt.Sprintf("at byte %d\n got ...%s\nwant ...%s", i, got[from:min(len(got), i+60)], want[from:min(len(want), i+60)])
}
