package engine

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// UnmarshalJSON reads Qdrant's SearchParams. hnsw_ef is a uint of at
// least 1 in Qdrant's schema: a negative or fractional value is refused as
// Qdrant's parser refuses it (ErrBadRequest), 0 as its validation does
// (ErrInvalid), instead of being taken for "unset".
func (p *SearchParams) UnmarshalJSON(b []byte) error {
	var raw struct {
		HnswEf      *json.Number `json:"hnsw_ef"`
		Exact       bool         `json:"exact"`
		IndexedOnly bool         `json:"indexed_only"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	*p = SearchParams{Exact: raw.Exact, IndexedOnly: raw.IndexedOnly}
	if raw.HnswEf == nil {
		return nil
	}
	ef, err := strconv.ParseInt(raw.HnswEf.String(), 10, 64)
	switch {
	case err != nil || ef < 0:
		return errBadRequest("params.hnsw_ef: invalid value: %s, expected a positive integer", raw.HnswEf)
	case ef == 0:
		return errInvalid("params.hnsw_ef", "value 0 invalid, must be 1 or more")
	case ef > int64(^uint32(0)):
		return errBadRequest("params.hnsw_ef: invalid value: %s, expected at most %d", raw.HnswEf, ^uint32(0))
	}
	n := int(ef)
	p.HnswEf = &n
	return nil
}
