package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// TestScrubber: the server's folders are named relatively where a path
// starts, the temp path inside the storage as itself, and the same letters
// inside a URL or a longer folder name are kept.
func TestScrubber(t *testing.T) {
	s := NewScrubber("/srv/data", "/srv/snaps", "/srv/data/tmp")
	for in, want := range map[string]string{
		"verify segment /srv/data/collections/.restore-1-c/shard-0: bad": "verify segment collections/.restore-1-c/shard-0: bad",
		`Snapshot file "/srv/snaps/c/x.snapshot" does not exist`:         `Snapshot file "snapshots/c/x.snapshot" does not exist`,
		"extract /srv/data/tmp/cairn-snapshot-upload-1: eof":             "extract tmp/cairn-snapshot-upload-1: eof",
		"statfs /srv/data: no such file":                                 "statfs storage: no such file",
		"download http://host/srv/data/x.snapshot: 404":                  "download http://host/srv/data/x.snapshot: 404",
		"open /srv/database/x":                                           "open /srv/database/x",
		"lstat /srv/snaps":                                               "lstat snapshots",
	} {
		if got := s.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
	var nilScrubber *Scrubber
	if got := nilScrubber.Scrub("/srv/data/x"); got != "/srv/data/x" {
		t.Errorf("nil Scrubber changed %q", got)
	}
}

// TestRelErr: a path error's path is named relative to the root, or by
// its base name outside it; its kind is kept.
func TestRelErr(t *testing.T) {
	err := relErr(&fs.PathError{Op: "open", Path: "/srv/snaps/c/x.snapshot", Err: os.ErrNotExist}, "/srv/snaps")
	if err.Error() != "open c/x.snapshot: file does not exist" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("relErr = %v", err)
	}
	if err := relErr(&fs.PathError{Op: "open", Path: "/etc/x", Err: os.ErrNotExist}, "/srv/snaps"); err.Error() != "open x: file does not exist" {
		t.Fatalf("relErr outside = %v", err)
	}
}
