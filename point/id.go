package point

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/google/uuid"
)

// ErrBadID reports a point id that is neither an unsigned 64-bit integer nor a UUID.
var ErrBadID = errors.New("invalid point id")

// ID is a point id: either an unsigned 64-bit integer or a UUID. The zero
// value is the integer 0. IDs are comparable with ==, and ordered by Compare:
// every integer before every UUID, as Qdrant orders them.
type ID struct {
	uuid  uuid.UUID
	num   uint64
	isUID bool
}

// NumID returns the integer id n.
func NumID(n uint64) ID { return ID{num: n} }

// UUIDID returns the UUID id u.
func UUIDID(u uuid.UUID) ID { return ID{uuid: u, isUID: true} }

// IsUUID reports whether id is a UUID.
func (id ID) IsUUID() bool { return id.isUID }

// Num returns the integer value of an integer id (0 for a UUID).
func (id ID) Num() uint64 { return id.num }

// UUID returns the UUID of a UUID id (the nil UUID for an integer).
func (id ID) UUID() uuid.UUID { return id.uuid }

// String returns the decimal integer or the canonical UUID spelling.
func (id ID) String() string {
	if id.isUID {
		return id.uuid.String()
	}
	return strconv.FormatUint(id.num, 10)
}

// Compare orders ids: integers by value, then UUIDs by their bytes.
func Compare(a, b ID) int {
	switch {
	case a.isUID != b.isUID:
		if a.isUID {
			return 1
		}
		return -1
	case a.isUID:
		return bytes.Compare(a.uuid[:], b.uuid[:])
	case a.num < b.num:
		return -1
	case a.num > b.num:
		return 1
	}
	return 0
}

// Hash returns a stable 64-bit hash of the id, used to route points to shards.
// It never changes between versions: stored shards depend on it.
func (id ID) Hash() uint64 {
	h := fnv.New64a()
	var b [17]byte
	n := id.AppendBinary(b[:0])
	h.Write(n)
	return h.Sum64()
}

// BinarySize is the length of an id's fixed binary form.
const BinarySize = 17

// AppendBinary appends the id's fixed 17-byte form: a kind byte (0 integer,
// 1 UUID) then 16 bytes (the integer big-endian in the last 8, or the UUID).
// The byte order of the form sorts as Compare does.
func (id ID) AppendBinary(b []byte) []byte {
	if id.isUID {
		b = append(b, 1)
		return append(b, id.uuid[:]...)
	}
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	return binary.BigEndian.AppendUint64(b, id.num)
}

// IDFromBinary decodes the form written by AppendBinary.
func IDFromBinary(b []byte) (ID, error) {
	if len(b) < BinarySize {
		return ID{}, fmt.Errorf("decode point id: %w: short", ErrBadID)
	}
	switch b[0] {
	case 0:
		return NumID(binary.BigEndian.Uint64(b[9:17])), nil
	case 1:
		var u uuid.UUID
		copy(u[:], b[1:17])
		return UUIDID(u), nil
	}
	return ID{}, fmt.Errorf("decode point id: %w: kind %d", ErrBadID, b[0])
}

// ParseID reads an id from its text: a decimal unsigned 64-bit integer or a
// UUID in any spelling github.com/google/uuid accepts.
func ParseID(s string) (ID, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return NumID(n), nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return ID{}, fmt.Errorf("%w: %q is neither an unsigned integer nor a UUID", ErrBadID, s)
	}
	return UUIDID(u), nil
}

// MarshalJSON writes an integer id as a JSON number (exact, never through
// float64) and a UUID id as a string.
func (id ID) MarshalJSON() ([]byte, error) {
	return id.AppendJSON(nil), nil
}

// AppendJSON appends id's JSON form (MarshalJSON) to b.
func (id ID) AppendJSON(b []byte) []byte {
	if id.isUID {
		b = append(b, '"')
		b = appendUUID(b, id.uuid)
		return append(b, '"')
	}
	return strconv.AppendUint(b, id.num, 10)
}

// appendUUID appends u in its canonical form (uuid.UUID.String) without
// allocating.
func appendUUID(b []byte, u uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return b
}

// UnmarshalJSON reads a JSON number (a non-negative integer up to 2^64-1,
// read exactly) or a JSON string holding a UUID.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("%w: empty", ErrBadID)
	}
	if b[0] == '"' {
		var s string
		if err := jsonUnquote(b, &s); err != nil {
			return fmt.Errorf("%w: %v", ErrBadID, err)
		}
		u, err := uuid.Parse(s)
		if err != nil {
			return fmt.Errorf("%w: %q is not a UUID", ErrBadID, s)
		}
		*id = UUIDID(u)
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not an unsigned 64-bit integer", ErrBadID, b)
	}
	*id = NumID(n)
	return nil
}
