package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
)

// TestToStatus: each kind gets Qdrant's code with REST's message; wrapped
// kinds are found, statuses pass unchanged, anything else is Internal.
func TestToStatus(t *testing.T) {
	if toStatus(nil) != nil {
		t.Fatal("nil is not nil")
	}
	tests := []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{fmt.Errorf("get: %w", engine.ErrNotFound), codes.NotFound, "get: Not found"},
		{engine.ErrPointNotFound, codes.NotFound, ""},
		{engine.ErrAlreadyExists, codes.AlreadyExists, ""},
		{engine.ErrBadRequest, codes.InvalidArgument, ""},
		{engine.ErrInvalid, codes.InvalidArgument, ""},
		{engine.ErrClosed, codes.Unavailable, ""},
		{engine.ErrFailed, codes.Internal, ""},
		{fmt.Errorf("search: %w", engine.ErrTimeout), codes.DeadlineExceeded, "search: Timeout error"},
		{snapshot.ErrNotFound, codes.NotFound, ""},
		{snapshot.ErrInvalidName, codes.NotFound, ""},
		{snapshot.ErrTooLarge, codes.ResourceExhausted, ""},
		{snapshot.ErrForbiddenLocation, codes.PermissionDenied, ""},
		{snapshot.ErrBusy, codes.Unavailable, ""},
		{fmt.Errorf("%w: %w", snapshot.ErrCorrupt, engine.ErrCorrupt), codes.InvalidArgument, ""}, // the archive's kind first
		{fmt.Errorf("put: %w", objstore.ErrUnavailable), codes.Unavailable, "Service unavailable: snapshot storage: put: "},
		{objstore.ErrNotExist, codes.NotFound, "Not found: "},
		{context.Canceled, codes.Canceled, ""},
		{errors.New("disk on fire"), codes.Internal, "Service internal error: disk on fire"},
		{status.Error(codes.Aborted, "as is"), codes.Aborted, "as is"},
	}
	for _, tt := range tests {
		st, _ := status.FromError(toStatus(tt.err))
		if st.Code() != tt.code {
			t.Errorf("%v: code %v, want %v", tt.err, st.Code(), tt.code)
		}
		if tt.msg != "" && st.Message()[:min(len(tt.msg), len(st.Message()))] != tt.msg {
			t.Errorf("%v: message %q, want it to start %q", tt.err, st.Message(), tt.msg)
		}
	}
}
