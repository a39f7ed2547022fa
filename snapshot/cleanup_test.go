package snapshot

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func TestRemoveTemps(t *testing.T) {
	tmp := t.TempDir()
	stage, err := NewTempDir(vfs.OS, tmp, "stage")
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, stage, sampleTree)
	upload, err := TempName(tmp, "upload")
	if err != nil || !strings.HasPrefix(filepath.Base(upload), TempPrefix+"upload-") {
		t.Fatalf("TempName = %q, %v", upload, err)
	}
	writeTree(t, tmp, map[string]string{filepath.Base(upload): "partial", "engine-owned": "keep"})
	if err := RemoveTemps(vfs.OS, tmp); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, tmp); !reflect.DeepEqual(got, map[string]string{"engine-owned": "keep"}) {
		t.Fatalf("left %v", got)
	}
	if err := RemoveTemps(vfs.OS, filepath.Join(tmp, "missing")); err != nil {
		t.Fatalf("missing temp path: %v", err)
	}
}

func TestRemovePartial(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("0", 64)
	writeTree(t, dir, map[string]string{
		"c/ok.snapshot":                          "a",
		"c/ok.snapshot.checksum":                 sum,
		"c/half.snapshot.tmp":                    "a",
		"c/half.snapshot.checksum.tmp":           sum,
		"c/orphan.snapshot.checksum":             sum,
		"c/shards/0/s.snapshot.tmp":              "a",
		"full-snapshot-x.snapshot":               "a",
		"full-snapshot-x.snapshot.checksum":      sum,
		"full-snapshot-y.snapshot.checksum":      sum,
		"c/unrelated.tmp":                        "keep",
		"c/shards/0/kept.snapshot":               "a",
		"c/shards/0/kept.snapshot.checksum":      sum,
		"c/shards/0/orph.snapshot.checksum":      sum,
		"c/shards/0/orph2.snapshot.checksum.tmp": sum,
	})
	if err := RemovePartial(vfs.OS, dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"c/ok.snapshot": "a", "c/ok.snapshot.checksum": sum,
		"full-snapshot-x.snapshot": "a", "full-snapshot-x.snapshot.checksum": sum,
		"c/unrelated.tmp":          "keep",
		"c/shards/0/kept.snapshot": "a", "c/shards/0/kept.snapshot.checksum": sum,
	}
	if got := readTree(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatalf("left %v\nwant %v", got, want)
	}
	if err := RemovePartial(vfs.OS, filepath.Join(dir, "missing")); err != nil {
		t.Fatalf("missing folder: %v", err)
	}
}

func TestLoadNodeID(t *testing.T) {
	p := filepath.Join(t.TempDir(), "node_id")
	id, err := LoadNodeID(vfs.OS, p)
	if err != nil || id == 0 {
		t.Fatalf("first load: %d, %v", id, err)
	}
	again, err := LoadNodeID(vfs.OS, p)
	if err != nil || again != id {
		t.Fatalf("second load %d, want %d (%v)", again, id, err)
	}
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNodeID(vfs.OS, p); err == nil {
		t.Fatal("malformed node id accepted")
	}
	fsys := vfs.NewFaulty(vfs.OS)
	fsys.FailNth(vfs.OpSync, 1)
	if _, err := LoadNodeID(fsys, filepath.Join(t.TempDir(), "node_id")); err == nil {
		t.Fatal("failed sync not reported")
	}
}
