package grpctests

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// restClient speaks Cairn's REST API with net/http and encoding/json, for
// the cases that compare what REST and gRPC see.
type restClient struct {
	base string
	http *http.Client
}

func newRESTClient(base string, cfg *tls.Config) *restClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	if cfg != nil {
		tr.TLSClientConfig = cfg.Clone()
	}
	return &restClient{base: base, http: &http.Client{Timeout: requestBound, Transport: tr}}
}

// restAnswer is one REST answer: its status and the envelope's result.
type restAnswer struct {
	Status int
	Body   []byte
}

// Result decodes the envelope's result into out, numbers kept as
// json.Number so integers and floats stay apart.
func (a restAnswer) Result(t *testing.T, out any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(a.Body))
	d.UseNumber()
	env := struct {
		Result any `json:"result"`
	}{out}
	if err := d.Decode(&env); err != nil {
		t.Fatalf("decode REST answer %s: %v", a.Body, err)
	}
}

// must sends a REST request with the full key and fails the test unless
// it answers 200.
func (c *cairn) mustREST(method, path string, body any) restAnswer {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.rest.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("api-key", apiKey)
	res, err := c.rest.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", method, path, err, c.tail())
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	a := restAnswer{Status: res.StatusCode, Body: b}
	if a.Status != http.StatusOK {
		c.t.Fatalf("%s %s: want 200, got %d %s", method, path, a.Status, trim(b))
	}
	return a
}

func trim(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%s…", b[:300])
	}
	return string(b)
}
