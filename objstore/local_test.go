package objstore

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newLocal(t *testing.T, dir string) *Local {
	t.Helper()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestLocalTempFiles checks that a temp file left by a crash is never
// listed, that List removes an old one and that NewLocal removes them all.
func TestLocalTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := newLocal(t, dir)
	if err := l.Put(ctx, "s/a", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "s", "b"+tempMark+"01")
	old := filepath.Join(dir, "s", "a"+tempMark+"02")
	for _, p := range []string{fresh, old} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * tempMaxAge)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	infos, err := l.List(ctx, "")
	if err != nil || len(infos) != 1 || infos[0].Key != "s/a" {
		t.Fatalf("list = %+v, %v", infos, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an old temp file is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a fresh temp file (a Put in progress) was removed: %v", err)
	}
	newLocal(t, dir)
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NewLocal left a temp file: %v", err)
	}
}

// TestLocalConfined checks that a symbolic link cannot lead a key out of
// the folder.
func TestLocalConfined(t *testing.T) {
	ctx := context.Background()
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	l := newLocal(t, dir)
	if _, err := l.Get(ctx, "link/secret", 0, -1); err == nil {
		t.Fatal("read through a link out of the folder")
	}
	if err := l.Put(ctx, "link/new", strings.NewReader("x"), 1); err == nil {
		t.Fatal("wrote through a link out of the folder")
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was written outside: %v", err)
	}
}

// TestLocalDeleteRemovesEmptyFolders checks that Delete leaves no empty
// folder behind, and keeps those still holding objects.
func TestLocalDeleteRemovesEmptyFolders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := newLocal(t, dir)
	for _, k := range []string{"a/b/c/d", "a/x"} {
		if err := l.Put(ctx, k, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Delete(ctx, "a/b/c/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty folders left: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "x")); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(ctx, "a/x"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left in the folder: %v", entries)
	}
}

// TestLocalFailedPutLeavesNoTemp checks that a failed Put removes its temp
// file.
func TestLocalFailedPutLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	l := newLocal(t, dir)
	if err := l.Put(context.Background(), "k", io.LimitReader(strings.NewReader("abc"), 2), 3); err == nil {
		t.Fatal("short body stored")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left in the folder: %v", entries)
	}
}
