package s3snap

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestProfiled: profiled writes a CPU profile and an execution trace of f
// into the given paths with the suffix, returns f's error, and writes
// nothing when both paths are empty.
func TestProfiled(t *testing.T) {
	dir := t.TempDir()
	cpu, tr := filepath.Join(dir, "cpu"), filepath.Join(dir, "trace")
	boom := errors.New("boom")
	if err := profiled(cpu, tr, ".1", func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("profiled returned %v, want f's error", err)
	}
	for _, p := range []string{cpu + ".1", tr + ".1"} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v (size %v)", p, err, st)
		}
	}
	ran := false
	if err := profiled("", "", ".2", func() error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("without paths: %v, ran %v", err, ran)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("%d files in %s, want 2", len(ents), dir)
	}
}
