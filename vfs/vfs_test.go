package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomicReplacesAndKeepsLinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFileAtomic(OS, p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Link(p, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(OS, p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{p: "two", link: "one"} {
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
}

func TestWriteFileAtomicFaultKeepsOld(t *testing.T) {
	for _, op := range []Op{OpOpen, OpWrite, OpSync, OpRename, OpSyncDir} {
		t.Run(string(op), func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			fs := NewFaulty(OS)
			if err := WriteFileAtomic(fs, p, []byte("old")); err != nil {
				t.Fatal(err)
			}
			fs.FailNth(op, 1)
			err := WriteFileAtomic(fs, p, []byte("new"))
			if !errors.Is(err, ErrInjected) {
				t.Fatalf("err = %v, want injected", err)
			}
			got, _ := os.ReadFile(p)
			// A failed directory sync comes after the rename: the new content
			// may be visible but the caller was told it is not durable.
			if op != OpSyncDir && string(got) != "old" {
				t.Fatalf("content %q after failed %s", got, op)
			}
			if _, err := os.Stat(p + ".tmp"); op != OpSyncDir && !os.IsNotExist(err) {
				t.Fatalf("temp file left behind after failed %s", op)
			}
		})
	}
}
