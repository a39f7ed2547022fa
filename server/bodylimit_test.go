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
// sends only the header and waits for the answer).
func TestDeclaredLengthRefusedBeforeBody(t *testing.T) {
	s := newEngineServer(t, Options{MaxRequestBytes: 1 << 20})
	mustOK(t, s, http.MethodPut, "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, route := range []string{"PUT /collections/c/points", "POST /collections/c/points/search", "PUT /collections/d", "POST /nope"} {
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
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body[:n]), "larger than allowed") {
			t.Fatalf("%s: %d %s", route, resp.StatusCode, body[:n])
		}
	}
}
