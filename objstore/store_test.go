package objstore

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestValidKey(t *testing.T) {
	good := []string{"a", "snapshots/c/c-1.snapshot", "objects/sha256/ab/abcdef", "ü/名前"}
	bad := []string{"", "/a", "a/", "a//b", "./a", "a/../b", "..", "a\\b", "a\x00b", "a\nb", strings.Repeat("x", MaxKeyLen+1), "\xff"}
	for _, k := range good {
		if err := ValidKey(k); err != nil {
			t.Errorf("ValidKey(%q) = %v", k, err)
		}
	}
	for _, k := range bad {
		if err := ValidKey(k); !errors.Is(err, ErrBadKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrBadKey", k, err)
		}
	}
}

// TestMem runs the contract every Store keeps over the in-memory one.
func TestMem(t *testing.T) {
	ctx := context.Background()
	clock := time.Unix(1e9, 0)
	m := NewMem(func() time.Time { return clock })
	if err := m.Put(ctx, "a/b", strings.NewReader("hello"), 5); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "a/c", strings.NewReader("xy"), -1); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "a/short", strings.NewReader("xy"), 3); err == nil {
		t.Fatal("a short body was stored")
	}
	if _, err := m.Stat(ctx, "a/short"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("a failed put left an object: %v", err)
	}
	r, err := m.Get(ctx, "a/b", 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "ell" {
		t.Fatalf("range read %q", b)
	}
	infos, err := m.List(ctx, "a/")
	if err != nil || len(infos) != 2 || infos[0].Key != "a/b" || infos[1].Size != 2 || !infos[0].Modified.Equal(clock) {
		t.Fatalf("list: %v %+v", err, infos)
	}
	if err := m.Delete(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "a/b"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if _, err := m.Get(ctx, "a/b", 0, -1); !errors.Is(err, ErrNotExist) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := m.Put(ctx, "../x", strings.NewReader(""), 0); !errors.Is(err, ErrBadKey) {
		t.Fatalf("put ../x: %v", err)
	}
}
