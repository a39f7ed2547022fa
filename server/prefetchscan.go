package server

import (
	"errors"
	"sort"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/cairn-db/cairn/engine"
)

// MaxPrefetchDepth bounds how deeply prefetch queries nest: the engine's
// bound (engine.MaxPrefetchDepth, which every transport's queries meet),
// which REST refuses with 400 before decoding the body.
const MaxPrefetchDepth = engine.MaxPrefetchDepth

// errMalformedScan ends a prefetch scan on text that is not JSON: the
// decoder reports it.
var errMalformedScan = errors.New("malformed JSON")

// prefetchScan walks a query body once, in linear time, before it is
// decoded: it counts the prefetches and their depth, refusing a tree over
// MaxQueryPrefetches or MaxPrefetchDepth as soon as it sees one, and
// records where a prefetch written as a single object must be wrapped into
// a one-element list, so that the body decodes in a single pass (no
// decoder is re-run per nesting level).
type prefetchScan struct {
	b     []byte
	count int
	wrap  []int // offsets of single-object prefetch values' first and past-last bytes
}

// normalizeQueryBody checks the prefetch tree of a body holding one query
// (batch false) or a `searches` list of them (batch true) and returns the
// body with every single-object prefetch written as a list. Malformed
// text is returned unchanged for the decoder to report.
func normalizeQueryBody(b []byte, batch bool) ([]byte, error) {
	s := prefetchScan{b: b}
	i := s.ws(0)
	if i >= len(b) || b[i] != '{' {
		return b, nil
	}
	var err error
	if batch {
		_, err = s.object(i, func(key string, j int) (int, error) {
			if !strings.EqualFold(key, "searches") || j >= len(b) || b[j] != '[' {
				return s.skip(j)
			}
			return s.list(j, 0)
		})
	} else {
		_, err = s.query(i, 0)
	}
	if errors.Is(err, errMalformedScan) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	return s.rewrite(), nil
}

// query walks the query object at b[i] (depth: its prefetch level) and
// returns the offset past it.
func (s *prefetchScan) query(i, depth int) (int, error) {
	return s.object(i, func(key string, j int) (int, error) {
		if !strings.EqualFold(key, "prefetch") || j >= len(s.b) {
			return s.skip(j)
		}
		switch s.b[j] {
		case '{':
			if err := s.enter(depth + 1); err != nil {
				return 0, err
			}
			end, err := s.query(j, depth+1)
			if err != nil {
				return 0, err
			}
			s.wrap = append(s.wrap, j, end)
			return end, nil
		case '[':
			return s.list(j, depth+1)
		}
		return s.skip(j)
	})
}

// list walks the array at b[i] whose objects are queries at depth.
func (s *prefetchScan) list(i, depth int) (int, error) {
	i = s.ws(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i < len(s.b) && s.b[i] == '{' {
			if depth > 0 {
				if err = s.enter(depth); err != nil {
					return 0, err
				}
			}
			i, err = s.query(i, depth)
		} else {
			i, err = s.skip(i)
		}
		if err != nil {
			return 0, err
		}
		switch i = s.ws(i); {
		case i < len(s.b) && s.b[i] == ',':
			i = s.ws(i + 1)
		case i < len(s.b) && s.b[i] == ']':
			return i + 1, nil
		default:
			return 0, errMalformedScan
		}
	}
}

// enter counts one prefetch at depth, refusing the tree when it passes a
// bound.
func (s *prefetchScan) enter(depth int) error {
	if depth > MaxPrefetchDepth {
		return engine.PrefetchDepthError(MaxPrefetchDepth)
	}
	if s.count++; s.count > MaxQueryPrefetches {
		return engine.PrefetchLimitError(MaxQueryPrefetches)
	}
	return nil
}

// object walks the object at b[i], calling field with each key and the
// offset of its value (after whitespace); field returns the offset past
// the value.
func (s *prefetchScan) object(i int, field func(key string, j int) (int, error)) (int, error) {
	i = s.ws(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s.b) || s.b[i] != '"' {
			return 0, errMalformedScan
		}
		end, err := s.str(i)
		if err != nil {
			return 0, err
		}
		key := string(s.b[i+1 : end-1])
		if strings.IndexByte(key, '\\') >= 0 {
			if gojson.Unmarshal(s.b[i:end], &key) != nil {
				return 0, errMalformedScan
			}
		}
		if i = s.ws(end); i >= len(s.b) || s.b[i] != ':' {
			return 0, errMalformedScan
		}
		if i, err = field(key, s.ws(i+1)); err != nil {
			return 0, err
		}
		switch i = s.ws(i); {
		case i < len(s.b) && s.b[i] == ',':
			i = s.ws(i + 1)
		case i < len(s.b) && s.b[i] == '}':
			return i + 1, nil
		default:
			return 0, errMalformedScan
		}
	}
}

// skip returns the offset past the value at b[i], iteratively.
func (s *prefetchScan) skip(i int) (int, error) {
	open := 0
	for i < len(s.b) {
		switch c := s.b[i]; c {
		case '"':
			end, err := s.str(i)
			if err != nil {
				return 0, err
			}
			i = end
		case '{', '[':
			open++
			i++
		case '}', ']':
			if open == 0 {
				return i, nil
			}
			open--
			i++
		case ',':
			if open == 0 {
				return i, nil
			}
			i++
		default:
			i++
		}
		if open == 0 && i < len(s.b) && (s.b[i-1] == '"' || s.b[i-1] == '}' || s.b[i-1] == ']') {
			return i, nil
		}
	}
	if open > 0 {
		return 0, errMalformedScan
	}
	return i, nil
}

// str returns the offset past the string whose opening quote is at b[i].
func (s *prefetchScan) str(i int) (int, error) {
	for i++; i < len(s.b); i++ {
		switch s.b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errMalformedScan
}

func (s *prefetchScan) ws(i int) int {
	for i < len(s.b) && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\n' || s.b[i] == '\r') {
		i++
	}
	return i
}

// rewrite returns the body with '[' and ']' around each single-object
// prefetch value.
func (s *prefetchScan) rewrite() []byte {
	if len(s.wrap) == 0 {
		return s.b
	}
	type mark struct {
		at   int
		open bool
	}
	marks := make([]mark, 0, len(s.wrap))
	for k := 0; k < len(s.wrap); k += 2 {
		marks = append(marks, mark{s.wrap[k], true}, mark{s.wrap[k+1], false})
	}
	sort.Slice(marks, func(x, y int) bool { return marks[x].at < marks[y].at })
	out := make([]byte, 0, len(s.b)+len(marks))
	prev := 0
	for _, m := range marks {
		out = append(out, s.b[prev:m.at]...)
		if m.open {
			out = append(out, '[')
		} else {
			out = append(out, ']')
		}
		prev = m.at
	}
	return append(out, s.b[prev:]...)
}
