package snapshot

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

func TestListSkipsNonSnapshots(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("ab", 32)
	writeTree(t, dir, map[string]string{
		"b-1-2026-01-01-00-00-00.snapshot":          "bb",
		"b-1-2026-01-01-00-00-00.snapshot.checksum": sum,
		"a-1-2026-01-01-00-00-00.snapshot":          "a",
		"a-1-2026-01-01-00-00-00.snapshot.checksum": "not a checksum",
		"half.snapshot.tmp":                         "partial",
		"half.snapshot.checksum.tmp":                sum,
		"orphan.snapshot.checksum":                  sum,
		"notes.txt":                                 "x",
		".hidden.snapshot":                          "x",
		"sub/inner.snapshot":                        "x",
	})
	if err := os.Mkdir(filepath.Join(dir, "dir.snapshot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link.snapshot")); err != nil {
		t.Fatal(err)
	}
	older := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "b-1-2026-01-01-00-00-00.snapshot"), older, older); err != nil {
		t.Fatal(err)
	}
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("listed %+v", list)
	}
	b, a := list[0], list[1] // b is older
	if b.Name != "b-1-2026-01-01-00-00-00.snapshot" || b.Size != 2 || b.Checksum != sum || !time.Time(b.CreationTime).Equal(older) {
		t.Errorf("b = %+v", b)
	}
	if a.Name != "a-1-2026-01-01-00-00-00.snapshot" || a.Checksum != "" {
		t.Errorf("a = %+v", a)
	}
	js, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"b-1-2026-01-01-00-00-00.snapshot","creation_time":"2026-01-01T00:00:00","size":2,"checksum":"` + sum + `"}`
	if string(js) != want {
		t.Errorf("JSON %s, want %s", js, want)
	}
	var back Description
	if err := json.Unmarshal(js, &back); err != nil || !time.Time(back.CreationTime).Equal(older) {
		t.Errorf("round trip %+v, %v", back, err)
	}
	if l, err := List(filepath.Join(dir, "missing")); err != nil || len(l) != 0 || l == nil {
		t.Errorf("missing folder lists %v, %v", l, err)
	}
}

func TestOpenDescribeDelete(t *testing.T) {
	dir := t.TempDir()
	name := "c-1-2026-01-01-00-00-00.snapshot"
	writeTree(t, dir, map[string]string{name: "data", name + ChecksumExt: strings.Repeat("0", 64), "other.snapshot": "x"})
	f, st, err := Open(dir, name)
	if err != nil || st.Size() != 4 {
		t.Fatalf("Open: %v", err)
	}
	f.Close()
	for _, bad := range []string{"../" + name, "a%2F" + name, name + ".tmp", "", "missing.snapshot", "dir.snapshot"} {
		_ = os.Mkdir(filepath.Join(dir, "dir.snapshot"), 0o755)
		if _, _, err := Open(dir, bad); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidName) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
		if _, err := Describe(dir, bad); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidName) {
			t.Errorf("Describe(%q) = %v", bad, err)
		}
		if err := Delete(vfs.OS, dir, bad); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidName) {
			t.Errorf("Delete(%q) = %v", bad, err)
		}
	}
	// A download opened before the delete keeps reading the old file.
	f, _, err = Open(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Delete(vfs.OS, dir, name); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := f.Read(buf); err != nil || string(buf[:n]) != "data" {
		t.Fatalf("open download after delete read %q, %v", buf[:n], err)
	}
	got := readTree(t, dir)
	if _, ok := got[name]; ok {
		t.Fatal("snapshot still there")
	}
	if _, ok := got[name+ChecksumExt]; ok {
		t.Fatal("checksum still there")
	}
	if got["other.snapshot"] != "x" {
		t.Fatal("other snapshot removed")
	}
	if err := Delete(vfs.OS, dir, name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
}

func TestDeleteFault(t *testing.T) {
	dir := t.TempDir()
	name := "c.snapshot"
	writeTree(t, dir, map[string]string{name: "data"})
	fsys := vfs.NewFaulty(vfs.OS)
	fsys.FailNth(vfs.OpRemove, 1)
	if err := Delete(fsys, dir, name); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		t.Fatal("failed delete removed the snapshot")
	}
}

// TestOpenRefusesSymlinks: a symbolic link in a snapshots folder, even one
// with a valid snapshot name, is not a snapshot: Open answers not found
// rather than serve what it points to (a file outside the folder).
func TestOpenRefusesSymlinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("not a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "real.snapshot"), []byte("archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, link := range []struct{ name, target string }{
		{"out.snapshot", outside},
		{"in.snapshot", filepath.Join(dir, "real.snapshot")},
	} {
		if err := os.Symlink(link.target, filepath.Join(dir, link.name)); err != nil {
			t.Fatal(err)
		}
		if f, _, err := Open(dir, link.name); !errors.Is(err, ErrNotFound) {
			if f != nil {
				f.Close()
			}
			t.Fatalf("Open(%s → %s): %v, want ErrNotFound", link.name, link.target, err)
		}
	}
	f, st, err := Open(dir, "real.snapshot")
	if err != nil || st.Size() != int64(len("archive")) {
		t.Fatalf("Open(real.snapshot): %v %v", st, err)
	}
	f.Close()
}
