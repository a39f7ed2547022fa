package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveFileLocation: file:// locations are answered as Qdrant does
// (400 for a URI that is not absolute on this host or a file that does not
// exist, 403 outside the folder), and no message names the snapshots
// folder; a snapshots folder not made yet holds nothing.
func TestResolveFileLocation(t *testing.T) {
	base := t.TempDir()
	snaps := filepath.Join(base, "snapshots")
	writeTree(t, base, map[string]string{"snapshots/c/a.snapshot": "x", "outside.snapshot": "y"})
	if err := os.Symlink(filepath.Join(base, "outside.snapshot"), filepath.Join(snaps, "c", "escape.snapshot")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(base, "alias")); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(snaps, "c", "a.snapshot")
	const (
		invalid   = "Bad request: Invalid snapshot URI, file path must be absolute or on localhost"
		forbidden = "Forbidden: Snapshot file path must be inside the snapshots directory"
	)
	missing := func(p string) string { return `Bad request: Snapshot file "` + p + `" does not exist` }
	tests := []struct {
		loc  string
		want error
		msg  string
	}{
		{"file://" + inside, nil, ""},
		{"file://localhost" + inside, nil, ""},
		{"file://" + filepath.Join(base, "alias", "snapshots", "c", "a.snapshot"), ErrForbiddenLocation, forbidden},
		{"file://" + filepath.Join(base, "outside.snapshot"), ErrForbiddenLocation, forbidden},
		{"file://" + filepath.Join(base, "missing-outside.snapshot"), ErrForbiddenLocation, forbidden},
		{"file:///etc/passwd", ErrForbiddenLocation, forbidden},
		{"file://" + snaps + "/../outside.snapshot", ErrForbiddenLocation, forbidden},
		{"file://" + snaps + "/c/..%2F..%2Foutside.snapshot", ErrForbiddenLocation, forbidden},
		{"file://" + filepath.Join(snaps, "c", "escape.snapshot"), ErrForbiddenLocation, forbidden},
		{"file://" + filepath.Join(snaps, "c", "missing.snapshot"), ErrBadLocation, missing(filepath.Join(snaps, "c", "missing.snapshot"))},
		{"file://" + filepath.Join(snaps, "c"), ErrBadLocation, missing(filepath.Join(snaps, "c"))},
		{"file://" + snaps, ErrForbiddenLocation, forbidden},
		{"file:relative.snapshot", ErrBadLocation, invalid},
		{"file://./etc/passwd", ErrBadLocation, invalid},
		{"file://otherhost" + inside, ErrBadLocation, invalid},
		{"http://example.com/a.snapshot", ErrBadLocation, invalid},
		{"/etc/passwd", ErrBadLocation, invalid},
	}
	for _, tt := range tests {
		p, err := ResolveFileLocation(snaps, tt.loc)
		if tt.want == nil {
			if err != nil || p != inside {
				t.Errorf("ResolveFileLocation(%q) = %q, %v", tt.loc, p, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) || err.Error() != tt.msg {
			t.Errorf("ResolveFileLocation(%q) = %q, %v; want %v: %s", tt.loc, p, err, tt.want, tt.msg)
		}
	}
	// Before the folder exists nothing is inside it, and nothing fails.
	fresh := filepath.Join(base, "new", "snapshots")
	if _, err := ResolveFileLocation(fresh, "file://"+fresh+"/c/a.snapshot"); !errors.Is(err, ErrBadLocation) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := ResolveFileLocation(fresh, "file://"+inside); !errors.Is(err, ErrForbiddenLocation) {
		t.Errorf("missing folder, file elsewhere: %v", err)
	}
}
