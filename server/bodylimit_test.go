package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDeclaredLengthRefusedBeforeBody: a request declaring a body larger
// than service.max_request_size_mb is answered 413 from its header alone,
// on every route, while the client has sent none of the body (the test
// sends only the header and waits for the answer); a path that is no route
// answers 404 as Qdrant's router does (before, 413).
func TestDeclaredLengthRefusedBeforeBody(t *testing.T) {
	s := newEngineServer(t, Options{MaxRequestBytes: 1 << 20})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, route := range []string{"PUT /collections/c/points", "POST /collections/c/points/search", "PUT /collections/d", "POST /nope", "POST /snapshots/upload"} {
		method, path, _ := strings.Cut(route, " ")
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// A guard against a hang, not a timed assertion: the answer must
		// come without any body byte sent.
		if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", method, path, 1<<30)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		body := make([]byte, 512)
		n, _ := resp.Body.Read(body)
		conn.Close()
		want, text := http.StatusRequestEntityTooLarge, "larger than allowed"
		if path == "/nope" || path == "/snapshots/upload" {
			// No such route (Qdrant has no POST /snapshots/upload): the
			// router answers 404 before any body check.
			want, text = http.StatusNotFound, "Not found: no such route"
		}
		if resp.StatusCode != want || !strings.Contains(string(body[:n]), text) {
			t.Fatalf("%s: %d %s, want %d %q", route, resp.StatusCode, body[:n], want, text)
		}
	}
}

// TestTooLargeNamesTheLength: a declared length one byte over the limit is
// named in the answer (before: "(more than the limit)"), and a body of no
// declared length that goes past the limit says so in actix's words.
func TestTooLargeNamesTheLength(t *testing.T) {
	s := newEngineServer(t, Options{MaxRequestBytes: 1000})
	body := `{"vectors":{"size":2,"distance":"Dot"},"x":"` + strings.Repeat("a", 1001-46) + `"}`
	if len(body) != 1001 {
		t.Fatalf("body of %d bytes", len(body))
	}
	r := call(t, s, http.MethodPut, "/collections/c", body)
	if r.code != http.StatusRequestEntityTooLarge || !strings.Contains(r.err, "JSON payload (1001 bytes) is larger than allowed (limit: 1000 bytes)") {
		t.Fatalf("limit+1 declared: %d %s", r.code, r.raw)
	}
	req := httptest.NewRequest(http.MethodPut, "/collections/c", strings.NewReader(body))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "JSON payload has exceeded limit (1000 bytes)") {
		t.Fatalf("limit+1 streamed: %d %s", rec.Code, rec.Body.String())
	}
}
