package server

import (
	"bytes"
	"encoding/json"
	"runtime"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// fastUpsert decodes the common upsert body, {"points": [{"id", "vector",
// "payload"}...]} with an unnamed dense vector, in one pass over the
// bytes. It accepts only strictly valid JSON of that shape (keys in any
// order, each at most once); on anything else it returns ok == false and
// the caller uses the generic decoder, which also produces the error
// message. FuzzFastUpsert checks both decoders agree.
//
// The vectors of the batch share a few backing arrays (each vector capped
// to its length), numeric ids are read without strconv, and flat payloads
// of scalars are decoded without encoding/json; the result never refers to
// b, so the caller may reuse b.
func fastUpsert(b []byte) (pts []engine.PointStruct, ok bool) {
	s := scanner{b: b, limit: len(b)}
	if !s.lit('{') || !s.key("points") || !s.lit('[') {
		return nil, false
	}
	s.begin = s.i
	if s.peek(']') {
		s.i++
		pts = []engine.PointStruct{}
	} else if pts, ok = s.list(); !ok {
		return nil, false
	}
	if !s.lit('}') || skipSpace(s.b, s.i) != len(s.b) {
		return nil, false
	}
	return pts, true
}

// parallelMin is the smallest body whose points are decoded by two
// goroutines (an upsert of 1,000 × 128 is about 1.4 MB).
const parallelMin = 256 << 10

// half is what the goroutine decoding the second half of a list found.
type half struct {
	pts []engine.PointStruct
	end int // offset just past the list's ']'
	ok  bool
}

// list reads the points of a non-empty list and its closing ']'. A large
// body is split at a guessed boundary between two points near its middle:
// a goroutine decodes from there while this one decodes up to it. The
// guess is only used when this goroutine, reading strictly in order,
// arrives exactly at it, which proves it a boundary of the list; otherwise
// this goroutine reads on alone.
func (s *scanner) list() ([]engine.PointStruct, bool) {
	split := -1
	var second chan half
	if len(s.b) >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		split = pointBoundary(s.b, s.i+(len(s.b)-s.i)/2)
	}
	if split > 0 {
		second = make(chan half, 1)
		b := s.b
		go func() {
			t := scanner{b: b, i: split + 1, begin: split + 1, limit: len(b)}
			pts, ok := t.points(-1)
			second <- half{pts, t.i, ok}
		}()
		s.limit = split
	}
	pts, ok := s.points(split)
	if second == nil {
		return pts, ok
	}
	h := <-second
	if !ok || s.i != split {
		return pts, ok // split was not a boundary: s read the whole list
	}
	if !h.ok {
		return nil, false
	}
	s.i = h.end
	return append(pts, h.pts...), true
}

// points reads points separated by commas up to the list's ']' (consumed),
// or up to the comma at offset stop, where it stops (s.i == stop).
func (s *scanner) points(stop int) (pts []engine.PointStruct, ok bool) {
	for {
		p, good := s.point()
		if !good {
			return nil, false
		}
		if pts == nil {
			pts = make([]engine.PointStruct, 0, s.remaining())
		}
		pts = append(pts, p)
		s.n++
		if s.peek(',') {
			if s.i == stop {
				return pts, true
			}
			s.i++
			continue
		}
		return pts, s.lit(']')
	}
}

// pointBoundary guesses where the next point of a list starts from offset
// from: the first comma followed (after whitespace) by '{' within 64 KiB.
// It returns the comma's offset, or -1. The guess may be wrong (a comma
// inside a payload); list checks it.
func pointBoundary(b []byte, from int) int {
	for i := from; i < len(b) && i < from+64<<10; i++ {
		j := bytes.IndexByte(b[i:], ',')
		if j < 0 {
			return -1
		}
		i += j
		if k := skipSpace(b, i+1); k < len(b) && b[k] == '{' {
			return i
		}
	}
	return -1
}

// scanner walks a JSON document; every method skips leading whitespace.
type scanner struct {
	b      []byte
	i      int
	limit  int       // where this scanner's share of the points ends
	begin  int       // offset of the first point
	n      int       // points read so far
	floats []float32 // the current backing array of vectors
	dim    int       // length of the last vector read
}

// remaining estimates how many points are left to read (at least 1),
// from the bytes the points read so far took.
func (s *scanner) remaining() int {
	per := (s.i - s.begin) / max(s.n, 1)
	return max(s.limit-s.i, 0)/max(per, 1) + 1
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
func (s *scanner) name() ([]byte, bool) {
	if !s.lit('"') {
		return nil, false
	}
	end := bytes.IndexByte(s.b[s.i:], '"')
	if end < 0 {
		return nil, false
	}
	k := s.b[s.i : s.i+end]
	if bytes.IndexByte(k, '\\') >= 0 {
		return nil, false
	}
	s.i += end + 1
	return k, s.lit(':')
}

func (s *scanner) key(want string) bool {
	k, ok := s.name()
	return ok && string(k) == want
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
		case string(k) == "id" && !seenID:
			seenID, ok = true, s.id(&p.ID)
		case string(k) == "vector" && !seenVec:
			seenVec, ok = true, s.vector(&p)
		case string(k) == "payload" && !seenPayload:
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

// id reads an unsigned integer or a UUID string. Integers of up to 19
// digits cannot overflow uint64 and are read here; longer ones and UUIDs
// go through point.ID's own decoder.
func (s *scanner) id(dst *point.ID) bool {
	end := s.i
	if end < len(s.b) && s.b[end] == '"' {
		q := bytes.IndexByte(s.b[end+1:], '"')
		if q < 0 {
			return false
		}
		end += q + 2
		if dst.UnmarshalJSON(s.b[s.i:end]) != nil {
			return false
		}
		s.i = end
		return true
	}
	var n uint64
	for end < len(s.b) && s.b[end] >= '0' && s.b[end] <= '9' {
		n = n*10 + uint64(s.b[end]-'0')
		end++
	}
	switch digits := end - s.i; {
	case digits == 0 || digits > 1 && s.b[s.i] == '0':
		return false // not a JSON unsigned integer (or a leading zero)
	case digits <= 19:
		*dst = point.NumID(n)
	case dst.UnmarshalJSON(s.b[s.i:end]) != nil:
		return false
	}
	s.i = end
	return true
}

// vector reads a dense vector into the batch's current backing array,
// starting a new one sized for the points still to come when it is full.
func (s *scanner) vector(p *engine.PointStruct) bool {
	if s.floats == nil || cap(s.floats)-len(s.floats) < s.dim {
		size := 1024
		if s.n > 0 {
			size = s.dim*(s.remaining()+s.remaining()/16) + s.dim
		}
		s.floats = make([]float32, 0, max(size, 64))
	}
	start := len(s.floats)
	floats, n, ok := appendFloats(s.floats, s.b[s.i:])
	if !ok {
		return false
	}
	v := floats[start:len(floats):len(floats)]
	s.floats, s.dim = floats, len(v)
	p.Vector = engine.Vectors{"": v}
	s.i += n
	return true
}

func (s *scanner) payload(p *engine.PointStruct) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	if pl, end, ok := flatPayload(s.b, s.i); ok {
		p.Payload = pl
		s.i = end
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

// flatPayload decodes, as payload.Decode would, an object starting at
// b[i] whose keys and string values are printable ASCII without escapes
// and whose values are strings, numbers (kept exact as json.Number),
// true, false or null. It returns the offset just past the object; ok is
// false on anything else, nested values included.
func flatPayload(b []byte, i int) (p payload.Payload, end int, ok bool) {
	if i >= len(b) || b[i] != '{' {
		return nil, 0, false
	}
	p = payload.Payload{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return p, i + 1, true
	}
	for {
		k, next, good := plainString(b, i)
		if !good {
			return nil, 0, false
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, false
		}
		var v any
		if v, i, good = scalar(b, skipSpace(b, i+1)); !good {
			return nil, 0, false
		}
		p[k] = v
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return p, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// plainString reads a string of printable ASCII without escapes at b[i].
func plainString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return string(b[i+1 : j]), j + 1, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return "", 0, false
		}
	}
	return "", 0, false
}

// scalar reads a plain string, a number, true, false or null at b[i].
func scalar(b []byte, i int) (any, int, bool) {
	if i >= len(b) {
		return nil, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return plainString(b, i)
	case c == '-' || c >= '0' && c <= '9':
		j := i
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
			j++
		}
		// Exponents and very long numbers go to payload.Decode, which
		// rejects magnitudes beyond float64's range.
		if !isJSONNumber(b[i:j]) || j-i > 300 || bytes.ContainsAny(b[i:j], "eE") {
			return nil, 0, false
		}
		return json.Number(b[i:j]), j, true
	case bytes.HasPrefix(b[i:], []byte("true")):
		return true, i + 4, true
	case bytes.HasPrefix(b[i:], []byte("false")):
		return false, i + 5, true
	case bytes.HasPrefix(b[i:], []byte("null")):
		return nil, i + 4, true
	}
	return nil, 0, false
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
