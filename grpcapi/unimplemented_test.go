package grpcapi

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestNoGeneratedUnimplemented calls every method of every service New
// registers (from the registered ServiceDescs) with an empty request and
// fails on the generated "method X not implemented" answer, and on
// Internal (a handler that panicked on the empty request): a method Cairn
// cannot serve answers Unimplemented naming the feature, never the
// embedded default. Every service, Points included, is held to this.
func TestNoGeneratedUnimplemented(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustCreate(t, "c")
	for _, sd := range serviceDescs() {
		var generated []string
		for _, m := range sd.Methods {
			full := "/" + sd.ServiceName + "/" + m.MethodName
			req, resp := methodTypes(t, sd.ServiceName, m.MethodName)
			err := e.conn.Invoke(context.Background(), full, req, resp)
			st, _ := status.FromError(err)
			if st.Code() == codes.Unimplemented && st.Message() == fmt.Sprintf("method %s not implemented", m.MethodName) {
				generated = append(generated, m.MethodName)
			}
			if st.Code() == codes.Internal {
				t.Errorf("%s with an empty request: %v (a panic, or an error that is no caller's mistake)", full, st.Message())
			}
		}
		if len(generated) > 0 {
			t.Errorf("%s: the generated default answers %v", sd.ServiceName, generated)
		}
	}
}
