package payload

import (
	"strings"
	"unicode"
)

// tokenizer splits text the way a text index with given parameters does.
type tokenizer struct {
	whitespace bool // split on whitespace only (else on non-letters/digits)
	prefix     bool // index every prefix of each token
	lowercase  bool
	minLen     int
	maxLen     int // 0 = unbounded
	stop       map[string]bool
}

func newTokenizer(p *TextParams) *tokenizer {
	t := &tokenizer{lowercase: true}
	if p == nil {
		return t
	}
	t.whitespace = p.Tokenizer == "whitespace"
	t.prefix = p.Tokenizer == "prefix"
	if p.Lowercase != nil {
		t.lowercase = *p.Lowercase
	}
	if p.MinTokenLen != nil {
		t.minLen = *p.MinTokenLen
	}
	if p.MaxTokenLen != nil {
		t.maxLen = *p.MaxTokenLen
	}
	if len(p.Stopwords) > 0 {
		t.stop = map[string]bool{}
		for _, w := range p.Stopwords {
			t.stop[strings.ToLower(w)] = true
		}
	}
	return t
}

// tokens returns the query-side tokens of s, in order: lowercased when
// configured, stop words and tokens outside [minLen, maxLen] (in runes)
// dropped.
func (t *tokenizer) tokens(s string, out []string) []string {
	split := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	if t.whitespace {
		split = unicode.IsSpace
	}
	for _, w := range strings.FieldsFunc(s, split) {
		if t.lowercase {
			w = strings.ToLower(w)
		}
		n := len([]rune(w))
		if n < t.minLen || (t.maxLen > 0 && n > t.maxLen) || t.stop[strings.ToLower(w)] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// docTokens returns the tokens a document string is indexed under: its
// tokens, and with the prefix tokenizer every prefix of at least minLen
// (and at least one) runes of each token.
func (t *tokenizer) docTokens(s string, out []string) []string {
	if !t.prefix {
		return t.tokens(s, out)
	}
	for _, w := range t.tokens(s, nil) {
		rs := []rune(w)
		for n := max(t.minLen, 1); n <= len(rs); n++ {
			out = append(out, string(rs[:n]))
		}
	}
	return out
}

// docSet returns the set of document tokens of every string in vals.
func (t *tokenizer) docSet(vals []any) map[string]bool {
	set := map[string]bool{}
	var buf []string
	for _, v := range vals {
		if s, ok := v.(string); ok {
			buf = t.docTokens(s, buf[:0])
			for _, w := range buf {
				set[w] = true
			}
		}
	}
	return set
}

// matchText evaluates a text condition with text-index semantics on the
// flattened values of a key: text needs every query token, text_any one of
// them, phrase the tokens consecutively in one string. A query with no
// tokens matches nothing.
func (t *tokenizer) matchText(kind MatchKind, query string, vals []any) bool {
	q := t.tokens(query, nil)
	if len(q) == 0 {
		return false
	}
	if kind == MatchPhrase {
		for _, v := range vals {
			if s, ok := v.(string); ok && containsSeq(t.tokens(s, nil), q) {
				return true
			}
		}
		return false
	}
	set := t.docSet(vals)
	for _, w := range q {
		if set[w] == (kind == MatchTextAny) {
			return set[w]
		}
	}
	return kind == MatchText
}

func containsSeq(doc, q []string) bool {
	for i := 0; i+len(q) <= len(doc); i++ {
		ok := true
		for j := range q {
			if doc[i+j] != q[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
