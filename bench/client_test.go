package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// captured is one request as the server saw it.
type captured struct {
	method, path, query, ctype, apiKey string
	body                               []byte
}

// recorder answers every request with reply and keeps what it received.
func recorder(t *testing.T, status int, reply string) (*Client, *[]captured) {
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, captured{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("api-key"), b})
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL+"/", "secret")
	t.Cleanup(c.Close)
	return c, &got
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("request body %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("body %s, want %s", got, want)
	}
}

func TestClientRequests(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, reply                   string
		call                          func(c *Client) (any, error)
		method, path, query, wantBody string
		want                          any
	}{
		{
			name: "create collection", reply: `{"result":true,"status":"ok"}`,
			call: func(c *Client) (any, error) {
				return nil, c.CreateCollection(ctx, "my coll", CollectionConfig{Dim: 4, Distance: "Cosine", M: 8, EfConstruct: 64, IndexingThreshold: 100})
			},
			method: "PUT", path: "/collections/my%20coll",
			wantBody: `{"vectors":{"size":4,"distance":"Cosine"},"hnsw_config":{"m":8,"ef_construct":64},"optimizers_config":{"indexing_threshold":100}}`,
		},
		{
			name: "create collection, optimizers", reply: `{"result":true}`,
			call: func(c *Client) (any, error) {
				return nil, c.CreateCollection(ctx, "c", CollectionConfig{Dim: 2, Distance: "Euclid", IndexingThreshold: 5, FlushIntervalSec: 1, DefaultSegmentNumber: 2})
			},
			method: "PUT", path: "/collections/c",
			wantBody: `{"vectors":{"size":2,"distance":"Euclid"},"optimizers_config":{"default_segment_number":2,"flush_interval_sec":1,"indexing_threshold":5}}`,
		},
		{
			name: "update optimizers", reply: `{"result":true}`,
			call: func(c *Client) (any, error) {
				return nil, c.UpdateOptimizers(ctx, "c", CollectionConfig{IndexingThreshold: 50, FlushIntervalSec: 3600})
			},
			method: "PATCH", path: "/collections/c",
			wantBody: `{"optimizers_config":{"flush_interval_sec":3600,"indexing_threshold":50}}`,
		},
		{
			name: "create collection, defaults", reply: `{"result":true}`,
			call: func(c *Client) (any, error) {
				return nil, c.CreateCollection(ctx, "c", CollectionConfig{Dim: 2, Distance: "Euclid"})
			},
			method: "PUT", path: "/collections/c", wantBody: `{"vectors":{"size":2,"distance":"Euclid"}}`,
		},
		{
			name: "delete collection", reply: `{"result":false}`,
			call:   func(c *Client) (any, error) { return nil, c.DeleteCollection(ctx, "c") },
			method: "DELETE", path: "/collections/c",
		},
		{
			name: "upsert wait", reply: `{"result":{"operation_id":3,"status":"completed"}}`,
			call: func(c *Client) (any, error) {
				return nil, c.Upsert(ctx, "c", 10, []float32{1, 0.5, -2, 1e-7}, 2, true)
			},
			method: "PUT", path: "/collections/c/points", query: "wait=true",
			wantBody: `{"points":[{"id":10,"vector":[1,0.5]},{"id":11,"vector":[-2,1e-7]}]}`,
		},
		{
			name: "upsert no wait", reply: `{"result":{"status":"acknowledged"}}`,
			call:   func(c *Client) (any, error) { return nil, c.Upsert(ctx, "c", 0, []float32{3}, 1, false) },
			method: "PUT", path: "/collections/c/points", query: "wait=false",
			wantBody: `{"points":[{"id":0,"vector":[3]}]}`,
		},
		{
			name: "search", reply: `{"result":[{"id":7,"version":1,"score":0.25},{"id":2,"version":0,"score":1.5}],"status":"ok","time":0.001}`,
			call:   func(c *Client) (any, error) { return c.Search(ctx, "c", []float32{0.1, 2}, 2, 64) },
			method: "POST", path: "/collections/c/points/search",
			wantBody: `{"vector":[0.1,2],"limit":2,"params":{"hnsw_ef":64}}`,
			want:     []Hit{{7, 0.25}, {2, 1.5}},
		},
		{
			name: "search without ef", reply: `{"result":[]}`,
			call:   func(c *Client) (any, error) { return c.Search(ctx, "c", []float32{1}, 10, 0) },
			method: "POST", path: "/collections/c/points/search",
			wantBody: `{"vector":[1],"limit":10}`, want: []Hit{},
		},
		{
			name: "query", reply: `{"result":{"points":[{"id":1,"score":0.9}]}}`,
			call:   func(c *Client) (any, error) { return c.Query(ctx, "c", []float32{1, 2}, 1, 32) },
			method: "POST", path: "/collections/c/points/query",
			wantBody: `{"query":[1,2],"limit":1,"params":{"hnsw_ef":32}}`, want: []Hit{{1, 0.9}},
		},
		{
			name: "info", reply: `{"result":{"status":"yellow","optimizer_status":"ok","points_count":100,"indexed_vectors_count":64,"segments_count":3,"config":{}}}`,
			call:   func(c *Client) (any, error) { return c.Info(ctx, "c") },
			method: "GET", path: "/collections/c",
			want: CollectionInfo{Status: "yellow", PointsCount: 100, IndexedVectorsCount: 64, SegmentsCount: 3},
		},
		{
			name: "create snapshot", reply: `{"result":{"name":"c-1-2026.snapshot","creation_time":"2026-11-21T12:00:00","size":1024,"checksum":"ab12"}}`,
			call:   func(c *Client) (any, error) { return c.CreateSnapshot(ctx, "c") },
			method: "POST", path: "/collections/c/snapshots", query: "wait=true",
			want: SnapshotInfo{Name: "c-1-2026.snapshot", CreationTime: "2026-11-21T12:00:00", Size: 1024, Checksum: "ab12"},
		},
		{
			name: "list snapshots", reply: `{"result":[{"name":"a","size":1},{"name":"b","size":2,"checksum":null}]}`,
			call:   func(c *Client) (any, error) { return c.ListSnapshots(ctx, "c") },
			method: "GET", path: "/collections/c/snapshots",
			want: []SnapshotInfo{{Name: "a", Size: 1}, {Name: "b", Size: 2}},
		},
		{
			name: "delete snapshot", reply: `{"result":true}`,
			call:   func(c *Client) (any, error) { return nil, c.DeleteSnapshot(ctx, "c", "a b.snapshot") },
			method: "DELETE", path: "/collections/c/snapshots/a%20b.snapshot", query: "wait=true",
		},
		{
			name: "recover", reply: `{"result":true}`,
			call: func(c *Client) (any, error) {
				return nil, c.RecoverSnapshot(ctx, "c", Recover{Location: "file:///s/c.snapshot", Priority: "snapshot", Checksum: "ff"})
			},
			method: "PUT", path: "/collections/c/snapshots/recover", query: "wait=true",
			wantBody: `{"location":"file:///s/c.snapshot","priority":"snapshot","checksum":"ff"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, got := recorder(t, 200, tc.reply)
			res, err := tc.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(*got) != 1 {
				t.Fatalf("%d requests", len(*got))
			}
			r := (*got)[0]
			if r.method != tc.method || r.path != tc.path || r.query != tc.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tc.method, tc.path, tc.query)
			}
			if r.apiKey != "secret" {
				t.Errorf("api-key header %q", r.apiKey)
			}
			if tc.wantBody != "" {
				jsonEqual(t, r.body, tc.wantBody)
				if r.ctype != "application/json" {
					t.Errorf("content type %q", r.ctype)
				}
			} else if len(r.body) != 0 {
				t.Errorf("unexpected body %q", r.body)
			}
			if tc.want != nil && !reflect.DeepEqual(res, tc.want) {
				t.Errorf("result %#v, want %#v", res, tc.want)
			}
		})
	}
}

func TestClientError(t *testing.T) {
	c, _ := recorder(t, 404, `{"status":{"error":"Not found: Collection `+"`x`"+` doesn't exist!"},"time":0}`)
	_, err := c.Info(context.Background(), "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || !strings.Contains(ae.Message, "doesn't exist") || ae.Path != "/collections/x" {
		t.Fatalf("error %v", err)
	}
	c, _ = recorder(t, 500, "plain failure")
	if err := c.DeleteCollection(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "plain failure") {
		t.Fatalf("error %v", err)
	}
}

func TestClientUploadSnapshotStreamsMultipart(t *testing.T) {
	archive := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	path := filepath.Join(t.TempDir(), "c.snapshot")
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	var gotFile []byte
	var gotName, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		if r.Method != "POST" || r.URL.Path != "/collections/c/snapshots/upload" {
			http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, 400)
			return
		}
		if r.ContentLength != -1 {
			http.Error(w, "body not streamed", 400) // a known length means it was buffered
			return
		}
		f, h, err := r.FormFile("snapshot")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		gotName = h.Filename
		gotFile, _ = io.ReadAll(f)
		io.WriteString(w, `{"result":true}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "")
	defer c.Close()
	if err := c.UploadSnapshot(context.Background(), "c", path, "snapshot", "abc"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotFile, archive) || gotName != "c.snapshot" {
		t.Fatalf("server got %d bytes named %q", len(gotFile), gotName)
	}
	if gotQuery != "checksum=abc&priority=snapshot&wait=true" {
		t.Fatalf("query %q", gotQuery)
	}
	if err := c.UploadSnapshot(context.Background(), "c", filepath.Join(t.TempDir(), "missing"), "", ""); err == nil {
		t.Fatal("missing file uploaded")
	}
}

func TestClientDownloadSnapshot(t *testing.T) {
	c, got := recorder(t, 200, "ARCHIVE-BYTES")
	var buf bytes.Buffer
	n, err := c.DownloadSnapshot(context.Background(), "c", "s.snapshot", &buf)
	if err != nil || n != 13 || buf.String() != "ARCHIVE-BYTES" {
		t.Fatalf("download: %d %q %v", n, buf.String(), err)
	}
	if r := (*got)[0]; r.method != "GET" || r.path != "/collections/c/snapshots/s.snapshot" {
		t.Fatalf("request %s %s", r.method, r.path)
	}
}

func TestClientWaitReady(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		status, indexed := "yellow", 0
		if calls >= 3 {
			status, indexed = "green", 10
		}
		json.NewEncoder(w).Encode(map[string]any{"result": map[string]any{"status": status, "points_count": 10, "indexed_vectors_count": indexed}})
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "")
	defer c.Close()
	info, err := c.WaitReady(context.Background(), "c", 10, 10, time.Millisecond)
	if err != nil || calls != 3 || info.Status != "green" {
		t.Fatalf("WaitReady: %+v after %d calls, %v", info, calls, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.WaitReady(ctx, "c", 11, 0, time.Millisecond); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitReady on a cancelled context: %v", err)
	}
}
