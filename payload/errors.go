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

// ValidationError is a filter that parses but breaks one of the rules
// Qdrant checks after parsing (a field condition with no test, a slice
// index not below its total): Qdrant answers it 422 "Validation error in
// JSON body: [path: message]", not as a parse error. Errors of
// ParseFilter and Validate wrap it (errors.As) besides ErrBadFilter.
type ValidationError struct {
	// Path is the offending field, e.g. "filter.must[0]".
	Path string
	// Msg is Qdrant's message for the rule.
	Msg string
}

func (e *ValidationError) Error() string { return e.Path + ": " + e.Msg }
