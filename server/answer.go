package server

import (
	"bytes"
	"sync"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// The answers of search, query, scroll and retrieve (okBody around scored
// points or records) are written by hand in one pass: the generic codec
// would call ScoredPoint.MarshalJSON per point and then check and copy
// each output again (see BenchmarkSearchAnswer and docs/BENCHMARKS.md,
// "Answer encoding"). The bytes are the codec's; TestAnswerEncoderMatchesCodec
// holds them equal.

// encodeAnswer returns v, an answer body, as JSON (appendAnswer), encoded
// in a pooled buffer and copied out once.
func encodeAnswer(v any) ([]byte, error) {
	var out []byte
	err := withAnswerBuffer(func(b []byte) ([]byte, error) {
		b, err := appendAnswer(b, v)
		if err == nil {
			out = bytes.Clone(b)
		}
		return b, err
	})
	return out, err
}

// withAnswerBuffer runs fill with an empty buffer from answerPool and puts
// the buffer fill returns back (unless it grew beyond maxPooledAnswer);
// nothing may keep the buffer after fill returns.
func withAnswerBuffer(fill func([]byte) ([]byte, error)) error {
	bp, _ := answerPool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= maxPooledAnswer {
			answerPool.Put(bp)
		}
	}()
	b, err := fill((*bp)[:0])
	if b != nil {
		*bp = b
	}
	return err
}

// appendAnswer appends v, an answer body, to b: by hand for an okBody
// whose result appendResult knows, by the codec otherwise.
func appendAnswer(b []byte, v any) ([]byte, error) {
	if body, ok := v.(okBody); ok {
		start := len(b)
		b = append(b, `{"result":`...)
		out, known, err := appendResult(b, body.Result)
		if err != nil {
			return nil, err
		}
		if known {
			b = append(out, `,"status":`...)
			b = payload.AppendJSONString(b, body.Status)
			b = append(b, `,"time":`...)
			b = point.AppendJSONFloat(b, float64(body.Time), 64)
			return append(b, '}'), nil
		}
		b = b[:start]
	}
	out, err := codec{}.marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// appendResult appends the result types of the point-reading routes and
// reports whether it knew result's type (false: nothing appended).
func appendResult(b []byte, result any) ([]byte, bool, error) {
	var err error
	switch r := result.(type) {
	case []engine.ScoredPoint:
		b, err = appendScored(r, b)
	case [][]engine.ScoredPoint:
		b, err = appendList(b, r, appendScored)
	case queryResponse:
		b, err = appendQueryResponse(r, b)
	case []queryResponse:
		b, err = appendList(b, r, appendQueryResponse)
	case engine.ScrollResult:
		b, err = appendScroll(r, b)
	case []engine.Record:
		b, err = appendList(b, r, engine.Record.AppendJSON)
	case engine.Record:
		b, err = r.AppendJSON(b)
	default:
		return b, false, nil
	}
	return b, true, err
}

// appendList appends s as a JSON array of its elements written by each,
// null for a nil slice (as the codec writes one).
func appendList[T any](b []byte, s []T, each func(T, []byte) ([]byte, error)) ([]byte, error) {
	if s == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	var err error
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = each(s[i], b); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendScored(pts []engine.ScoredPoint, b []byte) ([]byte, error) {
	return appendList(b, pts, engine.ScoredPoint.AppendJSON)
}

func appendQueryResponse(q queryResponse, b []byte) ([]byte, error) {
	b = append(b, `{"points":`...)
	b, err := appendScored(q.Points, b)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func appendScroll(r engine.ScrollResult, b []byte) ([]byte, error) {
	b = append(b, `{"points":`...)
	b, err := appendList(b, r.Points, engine.Record.AppendJSON)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"next_page_offset":`...)
	if r.NextPageOffset == nil {
		b = append(b, "null"...)
	} else {
		b = r.NextPageOffset.AppendJSON(b)
	}
	return append(b, '}'), nil
}

// maxPooledAnswer is the largest answer buffer kept in answerPool.
const maxPooledAnswer = 4 << 20

// answerPool holds *[]byte buffers that answers are encoded into.
var answerPool sync.Pool
