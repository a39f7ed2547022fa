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

func TestMkdirAllSyncedSyncsParentsOfNewFolders(t *testing.T) {
	base := t.TempDir()
	fs := NewFaulty(OS)
	var synced []string
	fs.FailWhen(func(op Op, path string) bool {
		if op == OpSyncDir {
			synced = append(synced, path)
		}
		return false
	})
	dir := filepath.Join(base, "a", "b")
	if err := MkdirAllSynced(fs, dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("%s not created: %v", dir, err)
	}
	want := []string{base, filepath.Join(base, "a")}
	if len(synced) != len(want) || synced[0] != want[0] || synced[1] != want[1] {
		t.Fatalf("synced %q, want %q", synced, want)
	}
	synced = nil
	if err := MkdirAllSynced(fs, dir, 0o755); err != nil || len(synced) != 0 {
		t.Fatalf("existing folder: synced %q, err %v", synced, err)
	}
	fs.FailWhen(func(op Op, path string) bool { return op == OpSyncDir && path == base })
	if err := MkdirAllSynced(fs, filepath.Join(base, "c"), 0o755); !errors.Is(err, ErrInjected) {
		t.Fatalf("failed parent sync: err = %v, want injected", err)
	}
}
