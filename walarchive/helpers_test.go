package walarchive

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env is a storage with an archiver on an in-memory store.
type env struct {
	t     *testing.T
	clk   *clock
	store *objstore.Mem
	arch  *Archiver
	st    *engine.Storage
}

func newEnv(t *testing.T, store *objstore.Mem, clk *clock, dir string) *env {
	t.Helper()
	arch := &Archiver{Store: store, Now: clk.Now, Logger: quiet()}
	st, err := engine.Open(engine.Options{Dir: dir, Logger: quiet(), DisableBackground: true,
		Now: clk.Now, ArchivedLSN: arch.ArchivedLSN})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	arch.Attach(st)
	return &env{t: t, clk: clk, store: store, arch: arch, st: st}
}

func (e *env) create(name string, shards, walMB int) *engine.Collection {
	e.t.Helper()
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: 4, Distance: point.Cosine}},
		ShardNumber: &shards, WalConfig: &engine.WalConfigDiff{WalCapacityMB: &walMB}}
	if err := e.st.CreateCollection(name, req); err != nil {
		e.t.Fatalf("CreateCollection: %v", err)
	}
	c, err := e.st.Collection(name)
	if err != nil {
		e.t.Fatalf("Collection: %v", err)
	}
	return c
}

func pl(t *testing.T, s string) payload.Payload {
	t.Helper()
	p, err := payload.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func upsert(t *testing.T, c *engine.Collection, ids []uint64, body string) {
	t.Helper()
	pts := make([]engine.PointStruct, len(ids))
	for i, id := range ids {
		pts[i] = engine.PointStruct{ID: point.NumID(id), Vector: engine.Vectors{"": {1, float32(id), 0.5, 2}}, Payload: pl(t, body)}
	}
	if _, err := c.Upsert(context.Background(), pts, true); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

// contents returns every point of c as "id=payload", sorted.
func contents(t *testing.T, c *engine.Collection) []string {
	t.Helper()
	res, err := c.Scroll(context.Background(), engine.ScrollRequest{Limit: 10000, WithPayload: &engine.WithPayload{Enable: true}})
	if err != nil {
		t.Fatalf("Scroll: %v", err)
	}
	out := []string{}
	for _, r := range res.Points {
		b, _ := json.Marshal(r.Payload)
		id, _ := json.Marshal(r.ID)
		out = append(out, string(id)+"="+string(b))
	}
	sort.Strings(out)
	return out
}

func intp(v int) *int { return &v }

// keys lists the store's keys under prefix.
func keys(t *testing.T, s objstore.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range infos {
		out = append(out, in.Key)
	}
	return out
}

func join(s []string) string { return strings.Join(s, " ") }

func pid(n uint64) point.ID { return point.NumID(n) }
