package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestWorkNameBounded: the work folder names of every valid collection
// name, and the restore intent named after them, fit a file name; short
// names keep the readable form.
func TestWorkNameBounded(t *testing.T) {
	if got := workName("restore", 3, "c"); got != ".restore-3-c" {
		t.Fatalf("workName = %q", got)
	}
	seen := map[string]bool{}
	for _, n := range []string{strings.Repeat("n", 255), strings.Repeat("n", 254) + "m", strings.Repeat("é", 127), strings.Repeat("x", 190) + ".shard-9"} {
		for _, kind := range []string{"create", "restore", "deleted"} {
			w := workName(kind, 1<<63, n)
			intent := restoreIntentPrefix + strings.TrimPrefix(w, ".restore-") + ".tmp"
			if len(w) > maxWorkName || len(intent) > 255 || !utf8.ValidString(w) || seen[w] {
				t.Errorf("workName(%s, %q) = %q (%d bytes)", kind, n, w, len(w))
			}
			seen[w] = true
		}
	}
}
