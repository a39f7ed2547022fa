package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// UnmarshalJSON reads Qdrant's SearchParams. hnsw_ef is a uint of at
// least 1 in Qdrant's schema: anything but a non-negative integer (a
// string "8" included) is refused as Qdrant's parser refuses it
// (ErrBadRequest), 0 as its validation does (ErrInvalid), instead of being
// taken for "unset".
func (p *SearchParams) UnmarshalJSON(b []byte) error {
	var raw struct {
		HnswEf      json.RawMessage `json:"hnsw_ef"`
		Exact       bool            `json:"exact"`
		IndexedOnly bool            `json:"indexed_only"`
		// Quantization is params.quantization, checked by checkSearchParams.
		Quantization *QuantizationSearchParams `json:"quantization"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	*p = SearchParams{Exact: raw.Exact, IndexedOnly: raw.IndexedOnly, Quantization: raw.Quantization}
	ef, set, err := jsonUint(raw.HnswEf, "usize")
	switch {
	case err != nil:
		return errBadRequest("params.hnsw_ef: %v", err)
	case !set:
		return nil
	case ef == 0:
		return errInvalid("params.hnsw_ef", "value 0 invalid, must be 1 or more")
	case ef > uint64(^uint32(0)):
		return errBadRequest("params.hnsw_ef: invalid value: integer `%d`, expected at most %d", ef, ^uint32(0))
	}
	n := int(ef)
	p.HnswEf = &n
	return nil
}

// jsonUint reads an optional unsigned integer field as serde reads one
// (expected names the Rust type in the message): absent or null is unset;
// a string, a boolean, a fraction, a negative number, an object or an
// array is refused in serde's words ("invalid type: string \"8\",
// expected usize"), never read as the number it spells.
func jsonUint(raw json.RawMessage, expected string) (uint64, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if u, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
		return u, true, nil
	}
	return 0, false, serdeTypeError(raw, expected)
}

// serdeTypeError is serde_json's message for a value that is not the
// unsigned integer expected.
func serdeTypeError(raw []byte, expected string) error {
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		return fmt.Errorf("invalid type: string %q, expected %s", s, expected)
	case c == 't' || c == 'f':
		return fmt.Errorf("invalid type: boolean `%s`, expected %s", raw, expected)
	case c == '{':
		return fmt.Errorf("invalid type: map, expected %s", expected)
	case c == '[':
		return fmt.Errorf("invalid type: sequence, expected %s", expected)
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return fmt.Errorf("invalid value: integer `%s`, expected %s", raw, expected)
	}
	if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return fmt.Errorf("invalid type: floating point `%s`, expected %s", strconv.FormatFloat(f, 'f', -1, 64), expected)
	}
	return fmt.Errorf("invalid value: %s, expected %s", raw, expected)
}
