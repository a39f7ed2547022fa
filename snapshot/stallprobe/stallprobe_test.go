package stallprobe

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCopyStorage checks that a file in a "wal" folder is copied (writing
// the copy leaves the source alone) and every other file hard-linked.
func TestCopyStorage(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for _, f := range []string{"wal/0001", "segments/a/vectors"} {
		p := filepath.Join(src, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyStorage(src, dst); err != nil {
		t.Fatal(err)
	}
	for f, linked := range map[string]bool{"wal/0001": false, "segments/a/vectors": true} {
		a, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Stat(filepath.Join(dst, f))
		if err != nil {
			t.Fatal(err)
		}
		if got := os.SameFile(a, b); got != linked {
			t.Errorf("%s: same file = %v, want %v", f, got, linked)
		}
		data, err := os.ReadFile(filepath.Join(dst, f))
		if err != nil || string(data) != f {
			t.Errorf("%s: copy reads %q, %v", f, data, err)
		}
	}
}
