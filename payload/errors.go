package payload

import "errors"

// ErrBadFilter reports a filter that is not valid Qdrant filter JSON; the
// wrapping error names the offending field path.
var ErrBadFilter = errors.New("invalid filter")

// ErrBadPayload reports a payload that is not a JSON object.
var ErrBadPayload = errors.New("invalid payload")

// ErrBadKey reports a payload key path that Qdrant would not accept.
var ErrBadKey = errors.New("invalid payload key")

// ErrBadSchema reports an invalid payload field schema.
var ErrBadSchema = errors.New("invalid payload field schema")

// ErrCorruptIndex reports payload index bytes that fail validation: bad
// magic, unknown version, checksum mismatch or out-of-bounds sections.
var ErrCorruptIndex = errors.New("corrupt payload index")
