package engine

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the engine returns for a caller's mistake wraps
// exactly one of them (test with errors.Is); its message is Qdrant's wording
// for the same mistake, so the server can pass it to clients unchanged. Only
// the server maps them to HTTP codes (ErrNotFound and ErrPointNotFound → 404,
// ErrAlreadyExists → 409, ErrBadRequest → 400, ErrInvalid → 422).
var (
	// ErrNotFound reports a collection or alias that does not exist:
	// "Not found: Collection `name` doesn't exist!".
	ErrNotFound = errors.New("Not found")
	// ErrPointNotFound reports a point id that does not exist where the
	// operation needs it: "Not found: No point with id 5 found".
	ErrPointNotFound = errors.New("Not found: point")
	// ErrAlreadyExists reports a collection or alias name already in use:
	// "Wrong input: Collection `name` already exists!".
	ErrAlreadyExists = errors.New("Wrong input: already exists")
	// ErrBadRequest reports input that cannot be applied to the collection:
	// a vector of the wrong dimension, an unknown vector name, NaN or Inf in
	// a vector. Its message starts with "Wrong input: ".
	ErrBadRequest = errors.New("Wrong input")
	// ErrInvalid reports a parameter outside its allowed range (a vector
	// size of 0, an unknown distance, a bad collection name). Its message
	// names the field, e.g. "Validation error: vectors.size: value 0
	// invalid, must be from 1 to 65536".
	ErrInvalid = errors.New("Validation error")
	// ErrClosed reports use of a closed storage, or of a collection that
	// has been deleted or closed.
	ErrClosed = errors.New("storage is closed")
	// ErrFailed reports an operation on a collection that failed to open
	// at start-up: "Service internal error: Failed to load local shard:
	// collection `name` failed to open: <reason>" (Qdrant's wording for a
	// shard that did not load; it answers 500).
	ErrFailed = errors.New("Service internal error")
	// ErrCorrupt reports an on-disk file of the engine (collection config,
	// shard manifest, WAL record) that fails validation.
	ErrCorrupt = errors.New("corrupt engine file")
	// ErrVerify marks a restore refused by the check of the folder to
	// restore, before anything live changed (VerifyCollectionDir: the
	// collection file, a shard manifest, a segment or the WAL does not
	// open or fails its checksum). It is the one error that wraps a second
	// kind: the cause (ErrCorrupt, segment.ErrCorrupt, …) is wrapped too.
	// A fault of this machine met during the check (out of descriptors,
	// memory or space, an I/O error) is not marked with it. Callers
	// restoring untrusted input, such as snapshot archives, report it as
	// bad input.
	ErrVerify = errors.New("restore source failed verification")
	// ErrNoSpace reports that the storage's filesystem cannot hold what an
	// operation must preallocate (a new collection's WAL segments); nothing
	// was written. Its message names the bytes needed and the bytes free.
	// The server answers it as Qdrant answers a storage error (500).
	ErrNoSpace = errors.New("Not enough free space")
	// ErrTimeout reports an operation stopped by its client's timeout (see
	// WithTimeout): "Timeout error: Operation 'Search' timed out after 2
	// seconds". Qdrant answers it 500.
	ErrTimeout = errors.New("Timeout error")
)

// engineError carries a sentinel kind and a complete, client-facing message.
type engineError struct {
	kind error
	msg  string
}

func (e *engineError) Error() string { return e.msg }
func (e *engineError) Unwrap() error { return e.kind }

func errNotFound(name string) error {
	return &engineError{ErrNotFound, fmt.Sprintf("Not found: Collection `%s` doesn't exist!", name)}
}

func errPointNotFound(id fmt.Stringer) error {
	return &engineError{ErrPointNotFound, fmt.Sprintf("Not found: No point with id %s found", id)}
}

func errAlreadyExists(what, name string) error {
	return &engineError{ErrAlreadyExists, fmt.Sprintf("Wrong input: %s `%s` already exists!", what, name)}
}

func errBadRequest(format string, args ...any) error {
	return &engineError{ErrBadRequest, "Wrong input: " + fmt.Sprintf(format, args...)}
}

// errBadRequestText returns an ErrBadRequest whose whole message is the
// formatted text: Qdrant's "Bad request: ..." and "Format error in JSON
// body: ..." answers (400) to requests the engine refuses.
func errBadRequestText(format string, args ...any) error {
	return &engineError{ErrBadRequest, fmt.Sprintf(format, args...)}
}

func errInvalid(field, format string, args ...any) error {
	return &engineError{ErrInvalid, "Validation error: " + field + ": " + fmt.Sprintf(format, args...)}
}

// ErrRateLimited reports a request refused by the collection's strict-mode
// read or write rate limit: "Rate limiting exceeded: Write rate limit
// exceeded: …". Qdrant answers it 429, with Retry-After when waiting helps
// (RetryAfter).
var ErrRateLimited = errors.New("Rate limiting exceeded")
