package walarchive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/objstore"
)

func TestLocalStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewLocalStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"wal/c/0/b", "wal/c/0/a", "wal/c/1/a"} {
		if err := s.Put(ctx, k, bytes.NewReader([]byte(k)), int64(len(k))); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := s.List(ctx, "wal/c/0/")
	if err != nil || len(infos) != 2 || infos[0].Key != "wal/c/0/a" || infos[1].Key != "wal/c/0/b" || infos[0].Size != 9 {
		t.Fatalf("list %+v %v", infos, err)
	}
	r, err := s.Get(ctx, "wal/c/0/b", 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	_ = r.Close()
	if string(b) != "c/0" {
		t.Fatalf("ranged get %q", b)
	}
	if err := s.Put(ctx, "wal/x", bytes.NewReader([]byte("short")), 9); err == nil {
		t.Fatal("a short body was stored")
	}
	if _, err := s.Stat(ctx, "wal/x"); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("failed put left an object: %v", err)
	}
	for _, bad := range []string{"../escape", "/abs", "wal//x", `wal\x`} {
		if err := s.Put(ctx, bad, bytes.NewReader(nil), 0); !errors.Is(err, objstore.ErrBadKey) {
			t.Fatalf("key %q: %v", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
		t.Fatal("a key escaped the folder")
	}
	if err := s.Delete(ctx, "wal/c/0/a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "wal/c/0/a"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
	if _, err := s.Get(ctx, "wal/c/0/a", 0, -1); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("get of a deleted key: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "wal", "*", ".tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	crashed := filepath.Join(dir, "wal", "c", "0", ".tmp-123")
	if err := os.WriteFile(crashed, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocalStore(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(crashed); !os.IsNotExist(err) {
		t.Fatalf("a crashed put's temp file is still there: %v", err)
	}
}
