package snapshot

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cairn-db/cairn/engine"
)

func TestNames(t *testing.T) {
	ts := time.Date(2024, 7, 22, 8, 31, 55, 999, time.FixedZone("x", 3600))
	tests := []struct{ got, want string }{
		{CollectionName("my-collection", 3766212330831337, ts), "my-collection-3766212330831337-2024-07-22-07-31-55.snapshot"},
		{ShardName("c", 2, ts), "c-shard-2-2024-07-22-07-31-55.snapshot"},
		{FullName(ts), "full-snapshot-2024-07-22-07-31-55.snapshot"},
		{withSuffix("a-1-2024-07-22-07-31-55.snapshot", 0), "a-1-2024-07-22-07-31-55.snapshot"},
		{withSuffix("a-1-2024-07-22-07-31-55.snapshot", 3), "a-1-2024-07-22-07-31-55-3.snapshot"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
		if err := ValidName(tt.got); err != nil {
			t.Errorf("ValidName(%q) = %v", tt.got, err)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"c-1-2024-07-22-07-31-55.snapshot", true},
		{"full-snapshot-2024-07-22-07-31-55.snapshot", true},
		{"with space.snapshot", true},
		{"x.snapshot", true},
		{"v1..2-7-2024-07-22-07-31-55.snapshot", true}, // a snapshot of the collection "v1..2"
		{"a...snapshot", true},
		{"", false},
		{".snapshot", false},
		{"x.snapshot.tmp", false},
		{"x.snapshot.checksum", false},
		{"x.tar", false},
		{"../x.snapshot", false},
		{"..snapshot", false},
		{"a/b.snapshot", false},
		{`a\b.snapshot`, false},
		{"/x.snapshot", false},
		{"a\x00b.snapshot", false},
		{"a\nb.snapshot", false},
		{"a%2Fb.snapshot", false},
		{"a%2fb.snapshot", false},
		{"a%5Cb.snapshot", false},
		{"%2E%2E%2Fx.snapshot", false},
		{"a%252Fb.snapshot", false}, // encoded twice
		{"a%00b.snapshot", false},
		{"100%.snapshot", true}, // not an escape: kept literally
		{".hidden.snapshot", false},
		{strings.Repeat("a", 300) + ".snapshot", false},
	}
	for _, tt := range tests {
		err := ValidName(tt.name)
		if tt.ok != (err == nil) {
			t.Errorf("ValidName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidName(%q) error %v does not wrap ErrInvalidName", tt.name, err)
		}
	}
}

func TestDirs(t *testing.T) {
	d, err := CollectionDir("/s", "c1")
	if err != nil || d != filepath.Join("/s", "c1") {
		t.Fatalf("CollectionDir = %q, %v", d, err)
	}
	d, err = ShardDir("/s", "c1", 3)
	if err != nil || d != filepath.Join("/s", "c1", "shards", "3") {
		t.Fatalf("ShardDir = %q, %v", d, err)
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "../x", "a\x00"} {
		if _, err := CollectionDir("/s", bad); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("CollectionDir(%q) = %v, want ErrInvalid", bad, err)
		}
		if _, err := ShardDir("/s", bad, 0); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("ShardDir(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	// One path element, whatever dots it holds: the engine decides which
	// names a collection may have.
	for _, good := range []string{"v1..2", "..x", "x..", ".x", "a b"} {
		if d, err := CollectionDir("/s", good); err != nil || filepath.Dir(d) != "/s" || filepath.Base(d) != good {
			t.Errorf("CollectionDir(%q) = %q, %v", good, d, err)
		}
	}
}

func TestParsePriority(t *testing.T) {
	for in, want := range map[string]Priority{"": PriorityReplica, "snapshot": PrioritySnapshot, "replica": PriorityReplica, "no_sync": PriorityNoSync} {
		if got, err := ParsePriority(in); err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"Snapshot", "nosync", "x"} {
		if _, err := ParsePriority(bad); !errors.Is(err, ErrBadPriority) {
			t.Errorf("ParsePriority(%q) = %v", bad, err)
		}
	}
}

// FuzzValidName checks that every accepted name stays a single element of
// its folder, before and after percent-decoding.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"a.snapshot", "../a.snapshot", "a%2Fb.snapshot", "%252e%252e.snapshot", "a\x00.snapshot"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidName(name) != nil {
			return
		}
		for s, i := name, 0; i < 3; i++ {
			if p := filepath.Join("/dir", s); filepath.Dir(p) != "/dir" || filepath.Base(p) != s {
				t.Fatalf("accepted %q escapes as %q", name, p)
			}
			if strings.ContainsAny(s, "/\\\x00") || s == "." || s == ".." || strings.HasPrefix(s, ".") {
				t.Fatalf("accepted %q contains %q", name, s)
			}
			d, err := url.PathUnescape(s)
			if err != nil {
				break
			}
			s = d
		}
	})
}

// TestNamesForEveryCollectionName: every valid collection name gives
// valid snapshot names with room for their derived files, Qdrant's form
// whenever it fits, and distinct names keep distinct keys.
func TestNamesForEveryCollectionName(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	names := []string{"a", strings.Repeat("n", 190), strings.Repeat("n", 194), strings.Repeat("n", 243), strings.Repeat("n", 255),
		strings.Repeat("n", 254) + "m", "a%2Fb", "100%", "tab\there", "café-" + strings.Repeat("é", 124), "full-snapshot-x.snapshot"}
	keys := map[string]string{}
	for _, n := range names {
		if err := engine.ValidateCollectionName(n); err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		for _, s := range []string{CollectionName(n, 1<<63, at), ShardName(n, 4294967295, at), withSuffix(CollectionName(n, 1<<63, at), maxNameTries-1)} {
			if err := ValidName(s); err != nil {
				t.Errorf("%q gives %q: %v", n, s, err)
			}
		}
		qdrant := n + "-7-" + stamp(at) + Ext
		if got := CollectionName(n, 7, at); len(qdrant) <= 200 && !strings.ContainsAny(n, "%\t") && got != qdrant {
			t.Errorf("CollectionName(%q) = %q, want Qdrant's %q", n, got, qdrant)
		}
		k := NameKey(n)
		if other, ok := keys[k]; ok {
			t.Errorf("%q and %q share key %q", n, other, k)
		}
		keys[k] = n
		if !utf8.ValidString(k) || len(k) > keyPrefixLen+1+keyHashLen {
			t.Errorf("NameKey(%q) = %q", n, k)
		}
		d, err := CollectionDir("/s", n)
		if err != nil || filepath.Dir(d) != "/s" || len(filepath.Base(d)) > 255 {
			t.Errorf("CollectionDir(%q) = %q, %v", n, d, err)
		}
	}
	if d, _ := CollectionDir("/s", "full-snapshot-x.snapshot"); filepath.Base(d) == "full-snapshot-x.snapshot" {
		t.Errorf("a collection named like a full snapshot has the folder %s", d)
	}
}
