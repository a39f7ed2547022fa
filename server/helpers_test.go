package server

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// newEngineServer returns a server over a fresh storage in a temp folder.
func newEngineServer(t testing.TB, opts Options) *Server {
	t.Helper()
	st, err := engine.Open(engine.Options{Dir: t.TempDir(), DisableBackground: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	opts.Storage = st
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return New(opts)
}

// reply is a decoded answer.
type reply struct {
	code   int
	result json.RawMessage
	err    string
	raw    string
}

// call sends a request and decodes Qdrant's envelope.
func call(t testing.TB, s *Server, method, path, body string, hdr ...string) reply {
	t.Helper()
	rec := do(t.(*testing.T), s, method, path, body, hdr...)
	r := reply{code: rec.Code, raw: rec.Body.String()}
	var env struct {
		Result json.RawMessage `json:"result"`
		Status json.RawMessage `json:"status"`
		Time   *float64        `json:"time"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		return r
	}
	if env.Time == nil {
		t.Fatalf("%s %s: no time in %s", method, path, r.raw)
	}
	var st struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(env.Status, &st) == nil {
		r.err = st.Error
	} else if string(env.Status) != `"ok"` {
		t.Fatalf("%s %s: status %s", method, path, env.Status)
	}
	r.result = env.Result
	return r
}

// mustOK sends a request that must succeed and returns its result.
func mustOK(t *testing.T, s *Server, method, path, body string) json.RawMessage {
	t.Helper()
	r := call(t, s, method, path, body)
	if r.code != 200 {
		t.Fatalf("%s %s: %d %s", method, path, r.code, r.raw)
	}
	return r.result
}

// mustFail sends a request that must fail with code and a message
// containing every fragment.
func mustFail(t *testing.T, s *Server, method, path, body string, code int, fragments ...string) {
	t.Helper()
	r := call(t, s, method, path, body)
	if r.code != code {
		t.Fatalf("%s %s %s: code %d, want %d: %s", method, path, body, r.code, code, r.raw)
	}
	if r.err == "" {
		t.Fatalf("%s %s: no error envelope: %s", method, path, r.raw)
	}
	for _, f := range fragments {
		if !strings.Contains(r.err, f) {
			t.Fatalf("%s %s: error %q lacks %q", method, path, r.err, f)
		}
	}
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

var _ = httptest.NewRecorder
