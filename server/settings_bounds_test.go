package server

import (
	"log/slog"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// TestCollectionSettingBounds: the oversized settings are refused
// with 422 naming the setting, by create and by update, and nothing is
// created or changed.
func TestCollectionSettingBounds(t *testing.T) {
	s := newEngineServer(t, Options{})
	mustFail(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"wal_config":{"wal_capacity_mb":1000000}}`,
		422, "wal_capacity_mb", "1000000")
	mustFail(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"shard_number":100000}`, 422, "shard_number")
	mustFail(t, s, "PUT", "/collections/c", `{"vectors":{"size":65537,"distance":"Dot"}}`, 422, "size")
	mustFail(t, s, "GET", "/collections/c", "", 404)
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`)
	mustFail(t, s, "PATCH", "/collections/c", `{"optimizers_config":{"max_segment_size":9007199254740993}}`, 422, "max_segment_size")
	mustFail(t, s, "PATCH", "/collections/c", `{"hnsw_config":{"ef_construct":100000000}}`, 422, "ef_construct")
	info := mustOK(t, s, "GET", "/collections/c", "")
	if got := decode[struct {
		Config engine.CollectionConfig `json:"config"`
	}](t, info).Config.HnswConfig.EfConstruct; got != engine.DefaultHnswEfConstruct {
		t.Fatalf("a refused update changed ef_construct to %d", got)
	}
}

// TestCreateWithoutSpace: a create whose WAL preallocation does not fit the
// free space answers 500 (Qdrant's storage error) saying what it needs and
// what is free.
func TestCreateWithoutSpace(t *testing.T) {
	st, err := engine.Open(engine.Options{Dir: t.TempDir(), DisableBackground: true, Logger: slog.New(slog.DiscardHandler),
		FreeSpace: func(string) (int64, error) { return 40 << 20, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(Options{Storage: st, Logger: slog.New(slog.DiscardHandler)})
	mustFail(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"shard_number":2}`,
		500, "Not enough free space", "67108864 bytes", "41943040 bytes free")
	mustFail(t, s, "GET", "/collections/c", "", 404)
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"}}`)
}
