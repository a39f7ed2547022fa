package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/walarchive"
)

// Errors the server itself raises while decoding and checking requests.
var (
	// errBadJSON reports a body that is not valid JSON for the request.
	errBadJSON = errors.New("Format error in JSON body")
	// errBadRequest reports a well-formed request with a bad value.
	errBadRequest = errors.New("Bad request")
	// errValidation reports a parameter out of its allowed range.
	errValidation = errors.New("Validation error")
	// errTooLarge reports a body over service.max_request_size_mb.
	errTooLarge = errors.New("Payload error")
	// errForbidden reports a read-only key used for a write.
	errForbidden = errors.New("Forbidden")
	// errUnavailable reports that the storage is not open.
	errUnavailable = errors.New("Service unavailable")
)

// statusTable maps error kinds to HTTP status codes. It is the only place
// in Cairn where HTTP codes are chosen for errors; the first match wins.
var statusTable = []struct {
	kind error
	code int
}{
	{errTooLarge, http.StatusRequestEntityTooLarge},
	{errForbidden, http.StatusForbidden},
	{errBadJSON, http.StatusBadRequest},
	{errBadRequest, http.StatusBadRequest},
	{errValidation, http.StatusUnprocessableEntity},
	{errUnavailable, http.StatusServiceUnavailable},
	// Before the engine's kinds: a corrupt archive also wraps the engine
	// error that found it (engine.ErrCorrupt would answer 500).
	{snapshot.ErrCorrupt, http.StatusBadRequest},
	// The snapshot store (snapshots_storage: s3). Qdrant answers every
	// failure of its snapshot storage as a service error (500); Cairn
	// tells the transient ones apart (503: try again once the store is
	// back) from a configuration the server refuses (500, the message
	// names the setting). A missing object is a snapshot that is not
	// there (404).
	{objstore.ErrUnavailable, http.StatusServiceUnavailable},
	{objstore.ErrStalled, http.StatusServiceUnavailable},
	{objstore.ErrDenied, http.StatusInternalServerError},
	{objstore.ErrNoBucket, http.StatusInternalServerError},
	{objstore.ErrNotExist, http.StatusNotFound},
	{engine.ErrNotFound, http.StatusNotFound},
	{engine.ErrPointNotFound, http.StatusNotFound},
	{engine.ErrAlreadyExists, http.StatusConflict},
	{engine.ErrBadRequest, http.StatusBadRequest},
	{engine.ErrInvalid, http.StatusUnprocessableEntity},
	{engine.ErrRateLimited, http.StatusTooManyRequests},
	{engine.ErrClosed, http.StatusServiceUnavailable},
	{engine.ErrFailed, http.StatusInternalServerError}, // Qdrant: a shard that did not load
	{engine.ErrCorrupt, http.StatusInternalServerError},
	{point.ErrBadID, http.StatusBadRequest},
	{point.ErrBadDistance, http.StatusBadRequest},
	{snapshot.ErrInvalidName, http.StatusNotFound},
	{snapshot.ErrNotFound, http.StatusNotFound},
	{snapshot.ErrNoShard, http.StatusNotFound},
	{snapshot.ErrForbiddenLocation, http.StatusForbidden},
	{snapshot.ErrChecksumMismatch, http.StatusBadRequest},
	{snapshot.ErrMalformedChecksum, http.StatusUnprocessableEntity},
	{snapshot.ErrBadPriority, http.StatusBadRequest}, // Qdrant: an enum that fails to deserialize
	{snapshot.ErrUnsafeEntry, http.StatusBadRequest},
	{snapshot.ErrFormatVersion, http.StatusBadRequest},
	{snapshot.ErrManifest, http.StatusBadRequest},
	{snapshot.ErrWrongKind, http.StatusBadRequest},
	{snapshot.ErrBadLocation, http.StatusBadRequest},
	{snapshot.ErrIncomplete, http.StatusBadRequest},
	{snapshot.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{snapshot.ErrTargetExists, http.StatusConflict},
	{snapshot.ErrBusy, http.StatusServiceUnavailable},
	// Point-in-time recovery: a hole in the archive conflicts with the
	// request; a damaged chunk is the server's own storage failing.
	{walarchive.ErrGap, http.StatusConflict},
	{walarchive.ErrNoSnapshot, http.StatusNotFound},
	{walarchive.ErrCorruptChunk, http.StatusInternalServerError},
	{backup.ErrUnknownSchedule, http.StatusNotFound},
	{backup.ErrRunning, http.StatusConflict},
	{backup.ErrClosed, http.StatusServiceUnavailable},
	// engine.ErrTimeout has no row on purpose: like any other error it
	// answers 500 "Service internal error: Timeout error: ...".
}

// statusPrefix puts Qdrant's wording of a kind before the message of
// errors of that kind that carry none of their own (the object store's).
var statusPrefix = map[error]string{
	objstore.ErrUnavailable: "Service unavailable: snapshot storage: ",
	objstore.ErrStalled:     "Service unavailable: snapshot storage: ",
	objstore.ErrDenied:      "Service internal error: snapshot storage: ",
	objstore.ErrNoBucket:    "Service internal error: snapshot storage: ",
	objstore.ErrNotExist:    "Not found: ",
}

// statusOf returns the HTTP status code and client message for err.
func statusOf(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Code == http.StatusMethodNotAllowed {
			// A known path with another method: Qdrant's router (actix)
			// has no such route either, and answers 404.
			return http.StatusNotFound, httpErrorMessage(echo.ErrNotFound)
		}
		return he.Code, httpErrorMessage(he)
	}
	for _, row := range statusTable {
		if errors.Is(err, row.kind) {
			return row.code, statusPrefix[row.kind] + err.Error()
		}
	}
	return http.StatusInternalServerError, "Service internal error: " + err.Error()
}

func httpErrorMessage(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "Not found: no such route"
	case http.StatusRequestEntityTooLarge:
		return "Payload error: request body is larger than allowed"
	}
	if s, ok := he.Message.(string); ok {
		return s
	}
	return http.StatusText(he.Code)
}

// badJSON wraps a decoding error in Qdrant's wording.
func badJSON(err error) error {
	return fmt.Errorf("%w: %s", errBadJSON, jsonErrorText(err))
}

// badRequest returns a 400 error with Qdrant's "Bad request: " prefix.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// validation returns a 422 error naming the field.
func validation(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", errValidation, field, fmt.Sprintf(format, args...))
}

// kindError is an error with a client-facing message and a kind from
// statusTable.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// wrapMsg returns an error of the given kind whose whole message is msg.
func wrapMsg(kind error, msg string) error { return &kindError{kind: kind, msg: msg} }
