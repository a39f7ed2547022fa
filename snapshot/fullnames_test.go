package snapshot

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// edgeNames are names at the edges of what a collection or alias may be
// called; the test creates what the engine accepts.
var edgeNames = []string{
	"plain", "ü-名前", "v1..2", "a b", "x%2Fy", "%FF", "%2e%2e", "CON", "a.b", "end.", "-dash", "tab\there",
	"del\x7f", "emoji😀", "semi;colon", "dollar$", "hash#", "amp&", "trailing ", "\u00a0nbsp",
	strings.Repeat("n", 255), strings.Repeat("é", 127),
	// Refused: not UTF-8, Qdrant's invalid characters, a dot first, too long.
	"\xff\xfe", "a\xc3", "a/b", `a\b`, "a:b", "a*b", "a?b", `a"b`, "a<b", "a>b", "a|b", "a\x00b", "a\x1fb",
	".hidden", "..", "", strings.Repeat("n", 256),
}

// TestFullSnapshotEdgeNames checks that every collection and alias name
// the engine accepts survives a full snapshot and its restore, and that
// names with invalid UTF-8 or Qdrant's invalid characters are refused
// (before the fix `PUT /collections/%FF%FE` made a collection).
func TestFullSnapshotEdgeNames(t *testing.T) {
	e := newEnv(t, nil)
	const dim = 4
	var cols, aliases []string
	for i, n := range edgeNames {
		err := e.st.CreateCollection(n, engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: dim, Distance: point.Dot}}})
		refused := i >= slices.Index(edgeNames, "\xff\xfe")
		if refused != (err != nil) {
			t.Fatalf("collection %q: %v (refused: want %v)", n, err, refused)
		}
		if refused && !errors.Is(err, engine.ErrInvalid) {
			t.Fatalf("collection %q: %v, want ErrInvalid", n, err)
		}
		if err == nil {
			cols = append(cols, n)
		}
	}
	for i, n := range edgeNames {
		a := "al-" + n
		switch {
		case n == "" || strings.HasPrefix(n, "."):
			a = n // the prefix would make these acceptable
		case len(n) > 200:
			a = strings.ToUpper(n) // as long, another name
		}
		err := e.st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "plain", AliasName: a}}})
		refused := i >= slices.Index(edgeNames, "\xff\xfe")
		if refused != (err != nil) {
			t.Fatalf("alias %q: %v (refused: want %v)", a, err, refused)
		}
		if err == nil {
			aliases = append(aliases, a)
		}
	}
	d, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := e.m.OpenFull(d.Name)
	if err != nil {
		t.Fatal(err)
	}
	path := download(t, f, filepath.Join(e.dir, "full.snapshot"))
	e2 := newEnv(t, nil)
	if err := e2.m.RecoverFull(ctxb, path, d.Checksum, false); err != nil {
		t.Fatalf("restore the full snapshot: %v", err)
	}
	got := e2.st.ListCollections()
	slices.Sort(got)
	slices.Sort(cols)
	if !slices.Equal(got, cols) {
		t.Fatalf("restored collections %q, want %q", got, cols)
	}
	var gotAliases []string
	for _, a := range e2.st.ListAliases() {
		gotAliases = append(gotAliases, a.AliasName)
	}
	slices.Sort(aliases)
	if !slices.Equal(gotAliases, aliases) {
		t.Fatalf("restored aliases %q, want %q", gotAliases, aliases)
	}
}

// TestSnapshotNameMustBeUTF8: a snapshot name from a URL that is not valid
// UTF-8 is refused (ErrInvalidName, 404), decoded or not.
func TestSnapshotNameMustBeUTF8(t *testing.T) {
	for _, n := range []string{"\xff.snapshot", "a%FF.snapshot", "ok-\xc3.snapshot"} {
		if err := ValidName(n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidName(%q): %v, want ErrInvalidName", n, err)
		}
	}
	if err := ValidName("ü-名前.snapshot"); err != nil {
		t.Errorf("a UTF-8 name: %v", err)
	}
}
