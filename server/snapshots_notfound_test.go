package server

import "testing"

// TestMissingSnapshotAnswer: a snapshot that does not exist answers 404
// with Qdrant's "Not found: Snapshot NAME" (before: "snapshot not found:
// NAME"), on every route that names one.
func TestMissingSnapshotAnswer(t *testing.T) {
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/collections/c/snapshots/x.snapshot"},
		{"DELETE", "/collections/c/snapshots/x.snapshot"},
		{"GET", "/snapshots/x.snapshot"},
		{"DELETE", "/snapshots/x.snapshot"},
	} {
		r := call(t, e.s, tc.method, tc.path, "")
		if r.code != 404 || r.err != "Not found: Snapshot x.snapshot" {
			t.Errorf("%s %s: %d %s, want 404 %q", tc.method, tc.path, r.code, r.raw, "Not found: Snapshot x.snapshot")
		}
	}
}
