package grpcapi

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot"
)

// codeTable maps error kinds to gRPC codes. It is the only place in
// Cairn where gRPC codes are chosen for errors; the first match wins. It
// mirrors server/errors.go's statusTable kind for kind, with the codes
// Qdrant's tonic services answer (its StorageError → Status map).
var codeTable = []struct {
	kind error
	code codes.Code
}{
	// Before the engine's kinds: a corrupt archive also wraps the engine
	// error that found it (engine.ErrCorrupt would answer Internal).
	{snapshot.ErrCorrupt, codes.InvalidArgument},
	{objstore.ErrUnavailable, codes.Unavailable},
	{objstore.ErrStalled, codes.Unavailable},
	{objstore.ErrDenied, codes.Internal},
	{objstore.ErrNoBucket, codes.Internal},
	{objstore.ErrNotExist, codes.NotFound},
	{engine.ErrNotFound, codes.NotFound},
	{engine.ErrPointNotFound, codes.NotFound},
	{engine.ErrAlreadyExists, codes.AlreadyExists},
	{engine.ErrBadRequest, codes.InvalidArgument},
	{engine.ErrInvalid, codes.InvalidArgument},
	{engine.ErrRateLimited, codes.ResourceExhausted},
	{engine.ErrClosed, codes.Unavailable},
	{engine.ErrFailed, codes.Internal},
	{engine.ErrCorrupt, codes.Internal},
	{engine.ErrTimeout, codes.DeadlineExceeded}, // Qdrant: StorageError::Timeout
	{point.ErrBadID, codes.InvalidArgument},
	{point.ErrBadDistance, codes.InvalidArgument},
	{snapshot.ErrInvalidName, codes.NotFound},
	{snapshot.ErrNotFound, codes.NotFound},
	{snapshot.ErrNoShard, codes.NotFound},
	{snapshot.ErrForbiddenLocation, codes.PermissionDenied},
	{snapshot.ErrChecksumMismatch, codes.InvalidArgument},
	{snapshot.ErrMalformedChecksum, codes.InvalidArgument},
	{snapshot.ErrBadPriority, codes.InvalidArgument},
	{snapshot.ErrUnsafeEntry, codes.InvalidArgument},
	{snapshot.ErrFormatVersion, codes.InvalidArgument},
	{snapshot.ErrManifest, codes.InvalidArgument},
	{snapshot.ErrWrongKind, codes.InvalidArgument},
	{snapshot.ErrBadLocation, codes.InvalidArgument},
	{snapshot.ErrIncomplete, codes.InvalidArgument},
	{snapshot.ErrTooLarge, codes.ResourceExhausted},
	{snapshot.ErrTargetExists, codes.AlreadyExists},
	{snapshot.ErrBusy, codes.Unavailable},
	// The caller went away or its deadline passed outside the engine's
	// own timeout.
	{context.Canceled, codes.Canceled},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
}

// codePrefix puts Qdrant's wording of a kind before the message of errors
// of that kind that carry none of their own (the object store's), as
// server/errors.go's statusPrefix.
var codePrefix = map[error]string{
	objstore.ErrUnavailable: "Service unavailable: snapshot storage: ",
	objstore.ErrStalled:     "Service unavailable: snapshot storage: ",
	objstore.ErrDenied:      "Service internal error: snapshot storage: ",
	objstore.ErrNoBucket:    "Service internal error: snapshot storage: ",
	objstore.ErrNotExist:    "Not found: ",
}

// toStatus returns err as a gRPC status error: nil stays nil, an error
// that already is a status (invalidArg, auth) is returned unchanged, a
// kind of codeTable gets its code, anything else is Internal with
// Qdrant's "Service internal error: " prefix. The message is the one REST
// answers for the same error.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	for _, row := range codeTable {
		if errors.Is(err, row.kind) {
			return status.Error(row.code, codePrefix[row.kind]+err.Error())
		}
	}
	return status.Error(codes.Internal, "Service internal error: "+err.Error())
}

// invalidArg returns an InvalidArgument status whose whole message is the
// formatted text; callers give Qdrant's wording ("Wrong input: ...",
// "Validation error: field: ...").
func invalidArg(format string, a ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, a...))
}

// unimplemented answers a method for a feature the engine lacks: never a
// silent wrong answer, never the generated "method X not implemented".
func unimplemented(feature string) error {
	return status.Error(codes.Unimplemented, feature+" is not supported by Cairn yet")
}
