package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDatasyncAndAllocate(t *testing.T) {
	f, err := OS.OpenFile(filepath.Join(t.TempDir(), "f"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := Datasync(f); err != nil {
		t.Fatal(err)
	}
	err = Allocate(f, 1<<16)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("filesystem without fallocate")
	}
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 5 {
		t.Fatalf("size %d after Allocate, want 5 (unchanged)", st.Size())
	}
	if got := allocated(st); got >= 0 && got < 1<<16 {
		t.Fatalf("%d bytes allocated after Allocate(%d)", got, 1<<16)
	}
	b := make([]byte, 5)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "hello" {
		t.Fatalf("content after Allocate: %q, %v", b, err)
	}
	if off, err := f.Seek(0, 1); err != nil || off != 5 {
		t.Fatalf("offset %d after Allocate, want 5 (%v)", off, err)
	}
}

func TestFaultyDatasyncAndAllocate(t *testing.T) {
	fs := NewFaulty(OS)
	f, err := fs.OpenFile(filepath.Join(t.TempDir(), "f"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs.FailNth(OpSync, 1)
	if err := Datasync(f); !errors.Is(err, ErrInjected) {
		t.Fatalf("Datasync with an injected sync fault: %v", err)
	}
	if err := Datasync(f); err != nil {
		t.Fatal(err)
	}
	fs.FailNth(OpAllocate, 1)
	if err := Allocate(f, 4096); !errors.Is(err, ErrInjected) {
		t.Fatalf("Allocate with an injected fault: %v", err)
	}
	if got := fs.Count(OpSync); got != 2 {
		t.Fatalf("%d syncs counted, want 2", got)
	}
}

// plainFile hides *os.File's extra methods, as test wrappers do.
type plainFile struct {
	File
	syncs int
}

func (p *plainFile) Sync() error { p.syncs++; return p.File.Sync() }

func TestDatasyncFallsBackToSync(t *testing.T) {
	f, err := OS.OpenFile(filepath.Join(t.TempDir(), "f"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &plainFile{File: f}
	if err := Datasync(p); err != nil || p.syncs != 1 {
		t.Fatalf("Datasync of a wrapped file: %v, %d syncs", err, p.syncs)
	}
	if err := Allocate(p, 4096); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Allocate of a wrapped file: %v", err)
	}
}
