package engine

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

var ctxb = context.Background()

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t testing.TB, dir string, fs vfs.FS) *Storage {
	t.Helper()
	st, err := Open(Options{Dir: dir, FS: fs, Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return st
}

func intp(v int) *int { return &v }

func mustCreate(t testing.TB, st *Storage, name string, req CreateCollection) *Collection {
	t.Helper()
	if err := st.CreateCollection(name, req); err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	c, err := st.Collection(name)
	if err != nil {
		t.Fatalf("Collection: %v", err)
	}
	return c
}

func simpleReq(dim int, d point.Distance) CreateCollection {
	return CreateCollection{Vectors: VectorsConfig{"": {Size: dim, Distance: d}}}
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

func pl(t testing.TB, s string) payload.Payload {
	t.Helper()
	p, err := payload.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode payload %s: %v", s, err)
	}
	return p
}

func filter(t testing.TB, s string) *payload.Filter {
	t.Helper()
	f, err := payload.ParseFilter([]byte(s))
	if err != nil {
		t.Fatalf("parse filter %s: %v", s, err)
	}
	return f
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func mustUpsert(t testing.TB, c *Collection, pts ...PointStruct) {
	t.Helper()
	if _, err := c.Upsert(ctxb, pts, true); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func mustCount(t testing.TB, c *Collection, f *payload.Filter) int {
	t.Helper()
	n, err := c.Count(ctxb, CountRequest{Filter: f})
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}
