package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FieldType is the type of a payload index.
type FieldType string

// The payload index types Qdrant defines.
const (
	TypeKeyword  FieldType = "keyword"
	TypeInteger  FieldType = "integer"
	TypeFloat    FieldType = "float"
	TypeBool     FieldType = "bool"
	TypeDatetime FieldType = "datetime"
	TypeUUID     FieldType = "uuid"
	TypeGeo      FieldType = "geo"
	TypeText     FieldType = "text"
)

// Valid reports whether t is one of the known types.
func (t FieldType) Valid() bool {
	switch t {
	case TypeKeyword, TypeInteger, TypeFloat, TypeBool, TypeDatetime, TypeUUID, TypeGeo, TypeText:
		return true
	}
	return false
}

// FieldSchema is Qdrant's field_schema: a bare type name ("keyword") or an
// object {"type": "keyword", ...params}. Parameters that only steer
// Qdrant's storage (on_disk, memory, is_tenant, is_principal, enable_hnsw)
// are kept and re-encoded but change nothing here.
type FieldSchema struct {
	Type FieldType
	// Object is true when the schema was given in object form.
	Object bool

	IsTenant    *bool   // keyword, uuid
	OnDisk      *bool   // all
	Memory      *string // all: "cold", "cached" or "pinned"
	EnableHNSW  *bool   // all
	IsPrincipal *bool   // integer, float, datetime
	Prefix      *bool   // keyword: prefix matching (always served here)
	Lookup      *bool   // integer: answer match conditions (default true)
	RangeIdx    *bool   // integer: answer range conditions (default true); JSON "range"

	Text *TextParams // text
}

// TextParams are the parameters of a text index.
type TextParams struct {
	// Tokenizer is "word" (default), "whitespace", "prefix" or "multilingual"
	// (treated as "word").
	Tokenizer      string
	MinTokenLen    *int
	MaxTokenLen    *int
	Lowercase      *bool // default true
	PhraseMatching *bool
	// Stopwords holds custom stop words (predefined language lists are
	// rejected: not supported).
	Stopwords []string
}

// EnableHNSWLinks reports whether HNSW should add payload links for this
// index (Qdrant's enable_hnsw, default true).
func (s FieldSchema) EnableHNSWLinks() bool { return s.EnableHNSW == nil || *s.EnableHNSW }

// ParseFieldSchema reads a field_schema from JSON and validates it.
func ParseFieldSchema(b []byte) (FieldSchema, error) {
	var s FieldSchema
	if err := s.UnmarshalJSON(b); err != nil {
		return FieldSchema{}, err
	}
	return s, nil
}

// UnmarshalJSON reads the string or object form, strictly.
func (s *FieldSchema) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var t string
		if err := json.Unmarshal(b, &t); err != nil {
			return fmt.Errorf("field_schema: %w: %v", ErrBadSchema, err)
		}
		*s = FieldSchema{Type: FieldType(t)}
		if !s.Type.Valid() {
			return fmt.Errorf("field_schema: %w: unknown type %q", ErrBadSchema, t)
		}
		return nil
	}
	obj, err := decodeObject(b, "field_schema")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSchema, err)
	}
	out, err := schemaFromObject(obj)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSchema, err)
	}
	*s = out
	return nil
}

// Validate reports a schema whose type or parameters are invalid.
func (s FieldSchema) Validate() error {
	if !s.Type.Valid() {
		return fmt.Errorf("field_schema.type: %w: unknown type %q", ErrBadSchema, s.Type)
	}
	if s.Memory != nil {
		switch *s.Memory {
		case "cold", "cached", "pinned":
		default:
			return fmt.Errorf("field_schema.memory: %w: unknown placement %q", ErrBadSchema, *s.Memory)
		}
	}
	if s.Text != nil {
		return s.Text.validate()
	}
	return nil
}

func (p *TextParams) validate() error {
	switch p.Tokenizer {
	case "", "word", "whitespace", "prefix", "multilingual":
	default:
		return fmt.Errorf("field_schema.tokenizer: %w: unknown tokenizer %q", ErrBadSchema, p.Tokenizer)
	}
	if p.MinTokenLen != nil && p.MaxTokenLen != nil && *p.MinTokenLen > *p.MaxTokenLen {
		return fmt.Errorf("field_schema.min_token_len: %w: greater than max_token_len", ErrBadSchema)
	}
	return nil
}

// MarshalJSON writes the string form when the schema has no parameters
// and was not given as an object, and the object form otherwise.
func (s FieldSchema) MarshalJSON() ([]byte, error) {
	if !s.Object && s.Text == nil && s.IsTenant == nil && s.OnDisk == nil && s.Memory == nil &&
		s.EnableHNSW == nil && s.IsPrincipal == nil && s.Prefix == nil && s.Lookup == nil && s.RangeIdx == nil {
		return json.Marshal(string(s.Type))
	}
	m := map[string]any{"type": string(s.Type)}
	put := func(k string, v any, set bool) {
		if set {
			m[k] = v
		}
	}
	put("is_tenant", s.IsTenant, s.IsTenant != nil)
	put("on_disk", s.OnDisk, s.OnDisk != nil)
	put("memory", s.Memory, s.Memory != nil)
	put("enable_hnsw", s.EnableHNSW, s.EnableHNSW != nil)
	put("is_principal", s.IsPrincipal, s.IsPrincipal != nil)
	put("prefix", s.Prefix, s.Prefix != nil)
	put("lookup", s.Lookup, s.Lookup != nil)
	put("range", s.RangeIdx, s.RangeIdx != nil)
	if t := s.Text; t != nil {
		put("tokenizer", t.Tokenizer, t.Tokenizer != "")
		put("min_token_len", t.MinTokenLen, t.MinTokenLen != nil)
		put("max_token_len", t.MaxTokenLen, t.MaxTokenLen != nil)
		put("lowercase", t.Lowercase, t.Lowercase != nil)
		put("phrase_matching", t.PhraseMatching, t.PhraseMatching != nil)
		if t.Stopwords != nil {
			m["stopwords"] = map[string]any{"custom": t.Stopwords}
		}
	}
	return json.Marshal(m)
}
