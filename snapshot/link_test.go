package snapshot

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// crossDevice is a filesystem whose hard links always fail with EXDEV, as
// they do when the temp path is on another filesystem than the storage.
type crossDevice struct{ vfs.FS }

func (crossDevice) Link(o, n string) error {
	return &os.LinkError{Op: "link", Old: o, New: n, Err: syscall.EXDEV}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(sa, sb)
}

func TestLinkOrCopyLinks(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": "data"})
	var logBuf bytes.Buffer
	copied, err := LinkOrCopy(vfs.OS, filepath.Join(dir, "a"), filepath.Join(dir, "b"), slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil || copied {
		t.Fatalf("copied=%v err=%v", copied, err)
	}
	if !sameFile(t, filepath.Join(dir, "a"), filepath.Join(dir, "b")) {
		t.Fatal("not a hard link")
	}
	if logBuf.Len() != 0 {
		t.Fatalf("unexpected log: %s", logBuf.String())
	}
}

func TestLinkOrCopyFallsBackOnEXDEV(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": "data"})
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	copied, err := LinkOrCopy(crossDevice{vfs.OS}, filepath.Join(dir, "a"), filepath.Join(dir, "b"), log)
	if err != nil || !copied {
		t.Fatalf("copied=%v err=%v", copied, err)
	}
	if sameFile(t, filepath.Join(dir, "a"), filepath.Join(dir, "b")) {
		t.Fatal("expected a copy, got a link")
	}
	if got := readTree(t, dir)["b"]; got != "data" {
		t.Fatalf("copy holds %q", got)
	}
	if !strings.Contains(logBuf.String(), "level=WARN") || !strings.Contains(logBuf.String(), "slow") {
		t.Fatalf("no slow-snapshot warning logged: %q", logBuf.String())
	}
}

func TestLinkOrCopyOtherErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LinkOrCopy(vfs.OS, filepath.Join(dir, "missing"), filepath.Join(dir, "b"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	writeTree(t, dir, map[string]string{"a": "data"})
	fsys := vfs.NewFaulty(crossDevice{vfs.OS})
	fsys.FailNth(vfs.OpSync, 1)
	copied, err := LinkOrCopy(fsys, filepath.Join(dir, "a"), filepath.Join(dir, "b"), nil)
	if !copied || !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("copied=%v err=%v", copied, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); !os.IsNotExist(err) {
		t.Fatal("failed copy left its file")
	}
}

func TestLinkTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree)
	files := make([]string, 0, len(sampleTree))
	for p := range sampleTree {
		files = append(files, filepath.FromSlash(p))
	}
	copied, err := LinkTree(vfs.OS, src, dst, files, nil)
	if err != nil || copied != 0 {
		t.Fatalf("copied=%d err=%v", copied, err)
	}
	for _, f := range files {
		if !sameFile(t, filepath.Join(src, f), filepath.Join(dst, f)) {
			t.Errorf("%s not linked", f)
		}
	}

	dst2 := t.TempDir()
	var logBuf bytes.Buffer
	copied, err = LinkTree(crossDevice{vfs.OS}, src, dst2, files, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil || copied != len(files) {
		t.Fatalf("copied=%d err=%v", copied, err)
	}
	if n := strings.Count(logBuf.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings, want one: %s", n, logBuf.String())
	}
	if got := readTree(t, dst2); len(got) != len(sampleTree) {
		t.Fatalf("copied tree %v", got)
	}
}

func TestLinkTreeConfined(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeTree(t, src, map[string]string{"a": "x"})
	for _, bad := range []string{"../a", "/etc/passwd", "", "x/../../a"} {
		if _, err := LinkTree(vfs.OS, src, dst, []string{bad}, nil); !errors.Is(err, ErrUnsafeEntry) {
			t.Errorf("LinkTree(%q) err = %v, want ErrUnsafeEntry", bad, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(dst)); len(entries) != 2 { // src and dst
		t.Fatalf("something was created beside dst: %v", entries)
	}
}
