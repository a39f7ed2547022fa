package server

import (
	"bytes"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// fastUpsert decodes the common upsert body, {"points": [{"id", "vector",
// "payload"}...]} with an unnamed dense vector, in one pass over the
// bytes: about twice as fast as the generic decoder on a 1,000 × 128
// batch. It accepts only strictly valid JSON of that shape (keys in any
// order, each at most once); on anything else it returns ok == false and
// the caller uses the generic decoder, which also produces the error
// message. FuzzFastUpsert checks both decoders agree.
func fastUpsert(b []byte) (pts []engine.PointStruct, ok bool) {
	s := scanner{b: b}
	if !s.lit('{') || !s.key("points") || !s.lit('[') {
		return nil, false
	}
	if s.peek(']') {
		s.i++
	} else {
		for {
			p, good := s.point()
			if !good {
				return nil, false
			}
			pts = append(pts, p)
			if s.peek(',') {
				s.i++
				continue
			}
			if !s.lit(']') {
				return nil, false
			}
			break
		}
	}
	if !s.lit('}') || skipSpace(s.b, s.i) != len(s.b) {
		return nil, false
	}
	if pts == nil {
		pts = []engine.PointStruct{}
	}
	return pts, true
}

// scanner walks a JSON document; every method skips leading whitespace.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek(c byte) bool {
	s.i = skipSpace(s.b, s.i)
	return s.i < len(s.b) && s.b[s.i] == c
}

func (s *scanner) lit(c byte) bool {
	if !s.peek(c) {
		return false
	}
	s.i++
	return true
}

// name reads a key without escapes and its colon.
func (s *scanner) name() (string, bool) {
	if !s.lit('"') {
		return "", false
	}
	end := bytes.IndexByte(s.b[s.i:], '"')
	if end < 0 {
		return "", false
	}
	k := s.b[s.i : s.i+end]
	if bytes.IndexByte(k, '\\') >= 0 {
		return "", false
	}
	s.i += end + 1
	return string(k), s.lit(':')
}

func (s *scanner) key(want string) bool {
	k, ok := s.name()
	return ok && k == want
}

// point reads one {"id", "vector", "payload"} object.
func (s *scanner) point() (engine.PointStruct, bool) {
	var p engine.PointStruct
	if !s.lit('{') {
		return p, false
	}
	var seenID, seenVec, seenPayload bool
	for {
		k, ok := s.name()
		if !ok {
			return p, false
		}
		s.i = skipSpace(s.b, s.i)
		switch {
		case k == "id" && !seenID:
			seenID, ok = true, s.id(&p.ID)
		case k == "vector" && !seenVec:
			seenVec, ok = true, s.vector(&p)
		case k == "payload" && !seenPayload:
			seenPayload, ok = true, s.payload(&p)
		default:
			return p, false
		}
		if !ok {
			return p, false
		}
		if s.peek(',') {
			s.i++
			continue
		}
		return p, s.lit('}') && seenID && seenVec
	}
}

func (s *scanner) id(dst *point.ID) bool {
	end := s.i
	if end < len(s.b) && s.b[end] == '"' {
		q := bytes.IndexByte(s.b[end+1:], '"')
		if q < 0 {
			return false
		}
		end += q + 2
	} else {
		for end < len(s.b) && s.b[end] >= '0' && s.b[end] <= '9' {
			end++
		}
		if end-s.i > 1 && s.b[s.i] == '0' {
			return false // leading zero: not JSON
		}
	}
	if end == s.i || dst.UnmarshalJSON(s.b[s.i:end]) != nil {
		return false
	}
	s.i = end
	return true
}

func (s *scanner) vector(p *engine.PointStruct) bool {
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return false
	}
	end := bytes.IndexByte(s.b[s.i:], ']')
	if end < 0 {
		return false
	}
	v, err := parseFloats(s.b[s.i:s.i+end+1], "vector")
	if err != nil {
		return false
	}
	p.Vector = engine.Vectors{"": v}
	s.i += end + 1
	return true
}

func (s *scanner) payload(p *engine.PointStruct) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	end, ok := objectEnd(s.b, s.i)
	if !ok {
		return false
	}
	pl, err := decodePayload(s.b[s.i:end], "payload")
	if err != nil {
		return false
	}
	p.Payload = pl
	s.i = end
	return true
}

// objectEnd returns the index just past the JSON object starting at i,
// skipping strings; the object's validity is checked by its decoder.
func objectEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}
