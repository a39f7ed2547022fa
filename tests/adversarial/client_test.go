package adversarial

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// response is one answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object (nil when it is not one).
func (r response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// ErrMsg is the envelope's status.error ("" when absent).
func (r response) ErrMsg() string {
	if st, ok := r.JSON()["status"].(map[string]any); ok {
		s, _ := st["error"].(string)
		return s
	}
	return ""
}

// Result is the envelope's result.
func (r response) Result() any { return r.JSON()["result"] }

func (r response) String() string {
	b := r.Body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

// req is one request: a string or []byte body is sent as is, anything
// else as JSON; key is the api-key ("" sends none; default the full key).
type req struct {
	method, path string
	body         any
	key          *string
	header       map[string]string
	ctx          context.Context
	// timeout replaces requestBound for this request.
	timeout time.Duration
}

func key(k string) *string { return &k }

// try sends r and returns the answer or the transport error.
func (c *cairn) try(r req) (response, error) {
	var body io.Reader
	ctype := "application/json"
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		body = bytes.NewReader(j)
	}
	ctx := r.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, c.url+r.path, body)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", ctype)
	}
	k := apiKey
	if r.key != nil {
		k = *r.key
	}
	if k != "" {
		hr.Header.Set("api-key", k)
	}
	for n, v := range r.header {
		hr.Header.Set(n, v)
	}
	client := c.client
	if r.timeout > 0 {
		cl := *c.client
		cl.Timeout = r.timeout
		client = &cl
	}
	res, err := client.Do(hr)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read answer: %w", r.method, r.path, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// do sends r and fails the test on a transport error (a hang included).
func (c *cairn) do(method, path string, body any) response {
	c.t.Helper()
	return c.doReq(req{method: method, path: path, body: body})
}

func (c *cairn) doReq(r req) response {
	c.t.Helper()
	res, err := c.try(r)
	if err != nil {
		c.t.Fatalf("%v (server log:\n%s)", err, c.tail())
	}
	return res
}

// must sends a request and fails the test unless it answers want.
func (c *cairn) must(want int, method, path string, body any) response {
	c.t.Helper()
	res := c.do(method, path, body)
	if res.Status != want {
		c.t.Fatalf("%s %s: want %d, got %s", method, path, want, res)
	}
	return res
}
