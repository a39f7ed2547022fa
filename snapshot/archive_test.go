package snapshot

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func collectionMeta() Meta {
	return Meta{Kind: KindCollection, Collection: "c", CreatedAt: testTime, Config: json.RawMessage(`{"vectors":{"size":4}}`)}
}

func TestRoundTrip(t *testing.T) {
	src, snaps, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree)
	if err := os.Mkdir(filepath.Join(src, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	name := CollectionName("c", 42, testTime)
	info, err := WriteArchive(vfs.OS, snaps, name, src, collectionMeta())
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != name || info.Path != filepath.Join(snaps, name) || !info.CreatedAt.Equal(testTime) {
		t.Fatalf("info = %+v", info)
	}
	st, err := os.Stat(info.Path)
	if err != nil || st.Size() != info.Size {
		t.Fatalf("archive size %v, info says %d (%v)", st, info.Size, err)
	}
	sumFile, err := os.ReadFile(info.Path + ChecksumExt)
	if err != nil || string(sumFile) != info.Checksum {
		t.Fatalf("checksum file %q, want bare %q (%v)", sumFile, info.Checksum, err)
	}
	list, err := List(snaps)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if d := list[0]; d.Name != name || d.Size != info.Size || d.Checksum != info.Checksum {
		t.Fatalf("listed %+v, want %+v", d, info)
	}
	if err := VerifyChecksum(info.Path, strings.ToUpper(info.Checksum)); err != nil {
		t.Fatalf("VerifyChecksum: %v", err)
	}
	dst := filepath.Join(tmp, "restore")
	f, err := os.Open(info.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Extract(f, dst, noDiskCheck)
	if err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dst); !reflect.DeepEqual(got, sampleTree) {
		t.Fatalf("extracted %v, want %v", got, sampleTree)
	}
	if st, err := os.Stat(filepath.Join(dst, "empty")); err != nil || !st.IsDir() {
		t.Fatalf("empty folder not restored: %v", err)
	}
	if m.Kind != KindCollection || m.Collection != "c" || !m.CreatedAt.Equal(testTime) ||
		string(m.Config) != `{"vectors":{"size":4}}` || len(m.Files) != len(sampleTree) {
		t.Fatalf("manifest = %+v", m)
	}
	if !reflect.DeepEqual(m, info.Manifest) {
		t.Fatalf("extracted manifest %+v differs from written %+v", m, info.Manifest)
	}
}

func TestStreamDeterministicLayout(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, sampleTree)
	var a, b bytes.Buffer
	if _, err := Stream(&a, src, collectionMeta()); err != nil {
		t.Fatal(err)
	}
	// Different source permissions and times must not change the bytes.
	if err := os.Chmod(filepath.Join(src, "wal/00000001.log"), 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := Stream(&b, src, collectionMeta()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two streams of the same folder differ")
	}
	tr := tar.NewReader(&a)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		wantMode := int64(0o644)
		if h.Typeflag == tar.TypeDir {
			wantMode = 0o755
		}
		if h.Mode != wantMode || !h.ModTime.Equal(testTime) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mode %o mtime %v uid %d gid %d", h.Name, h.Mode, h.ModTime, h.Uid, h.Gid)
		}
	}
	want := []string{"collection/", "collection/config.json", "segments/", "segments/0001/",
		"segments/0001/graph.hnsw", "segments/0001/vectors.bin", "segments/0002/", "segments/0002/ids.bin",
		"wal/", "wal/00000001.log", ManifestName}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
}

func TestStreamRejectsSpecialFiles(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": "x"})
	if err := os.Symlink("a", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := Stream(io.Discard, src, collectionMeta()); !errors.Is(err, ErrUnsafeEntry) {
		t.Fatalf("symlink in source: err = %v, want ErrUnsafeEntry", err)
	}
	src2 := t.TempDir()
	writeTree(t, src2, map[string]string{ManifestName: "{}"})
	if _, err := Stream(io.Discard, src2, collectionMeta()); !errors.Is(err, ErrUnsafeEntry) {
		t.Fatalf("reserved name in source: err = %v, want ErrUnsafeEntry", err)
	}
}

func TestSameSecondNamesDoNotCollide(t *testing.T) {
	src, snaps := t.TempDir(), t.TempDir()
	writeTree(t, src, map[string]string{"f": "one"})
	name := FullName(testTime)
	seen := map[string]string{}
	for i := range 4 {
		writeTree(t, src, map[string]string{"f": strings.Repeat("x", i)})
		info, err := WriteArchive(vfs.OS, snaps, name, src, Meta{Kind: KindFull, CreatedAt: testTime})
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := seen[info.Name]; dup {
			t.Fatalf("name %s reused", info.Name)
		}
		seen[info.Name] = info.Checksum
	}
	// A stale NAME.tmp from a crashed writer is skipped, not reused.
	if err := os.WriteFile(filepath.Join(snaps, withSuffix(name, 4)+TempExt), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := WriteArchive(vfs.OS, snaps, name, src, Meta{Kind: KindFull, CreatedAt: testTime})
	if err != nil || info.Name != withSuffix(name, 5) {
		t.Fatalf("after stale tmp: %q, %v", info.Name, err)
	}
	seen[info.Name] = info.Checksum
	list, err := List(snaps)
	if err != nil || len(list) != 5 {
		t.Fatalf("List = %v, %v", list, err)
	}
	for _, d := range list {
		if seen[d.Name] != d.Checksum {
			t.Errorf("%s: checksum %q, want %q", d.Name, d.Checksum, seen[d.Name])
		}
		if err := VerifyChecksum(filepath.Join(snaps, d.Name), d.Checksum); err != nil {
			t.Error(err)
		}
	}
}

func TestConcurrentSameSecond(t *testing.T) {
	src, snaps := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree)
	const n = 8
	names := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			info, err := WriteArchive(vfs.OS, snaps, FullName(testTime), src, Meta{Kind: KindFull, CreatedAt: testTime})
			names <- info.Name
			errs <- err
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		seen[<-names] = true
	}
	list, err := List(snaps)
	if err != nil || len(seen) != n || len(list) != n {
		t.Fatalf("%d distinct names, %d listed (%v)", len(seen), len(list), err)
	}
	for _, d := range list {
		if !seen[d.Name] {
			t.Errorf("unexpected %s", d.Name)
		}
		if err := VerifyChecksum(filepath.Join(snaps, d.Name), d.Checksum); err != nil {
			t.Error(err)
		}
	}
}

func TestWriteArchiveFaults(t *testing.T) {
	ops := []struct {
		op vfs.Op
		n  int
	}{
		{vfs.OpMkdir, 1}, {vfs.OpOpen, 1}, {vfs.OpOpen, 2}, {vfs.OpWrite, 1}, {vfs.OpWrite, 2},
		{vfs.OpSync, 1}, {vfs.OpSync, 2}, {vfs.OpRename, 1}, {vfs.OpRename, 2}, {vfs.OpSyncDir, 1},
		{vfs.OpSyncDir, 2}, {vfs.OpSyncDir, 3}, // the new folder's parent, then the folder twice
	}
	for _, o := range ops {
		t.Run(string(o.op)+"#"+string(rune('0'+o.n)), func(t *testing.T) {
			src, snaps := t.TempDir(), filepath.Join(t.TempDir(), "c")
			writeTree(t, src, sampleTree)
			fsys := vfs.NewFaulty(vfs.OS)
			fsys.FailNth(o.op, o.n)
			_, err := WriteArchive(fsys, snaps, CollectionName("c", 1, testTime), src, collectionMeta())
			if !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("err = %v, want injected", err)
			}
			entries, _ := os.ReadDir(snaps)
			for _, e := range entries {
				t.Errorf("left behind: %s", e.Name())
			}
		})
	}
}

func TestWriteArchiveSyncsParentOfNewFolder(t *testing.T) {
	src, parent := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree)
	fsys := vfs.NewFaulty(vfs.OS)
	fsys.FailWhen(func(op vfs.Op, p string) bool { return op == vfs.OpSyncDir && p == parent })
	_, err := WriteArchive(fsys, filepath.Join(parent, "c"), CollectionName("c", 1, testTime), src, collectionMeta())
	if !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("err = %v, want the parent's sync to fail", err)
	}
}

func TestWriteArchiveChecksumDurableBeforeArchive(t *testing.T) {
	src, snaps := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree)
	fsys := vfs.NewFaulty(vfs.OS)
	var ops []string
	fsys.FailWhen(func(op vfs.Op, p string) bool {
		if op == vfs.OpRename || op == vfs.OpSyncDir {
			ops = append(ops, string(op)+" "+filepath.Base(p))
		}
		return false
	})
	info, err := WriteArchive(fsys, snaps, CollectionName("c", 1, testTime), src, collectionMeta())
	if err != nil {
		t.Fatal(err)
	}
	// A listed archive always has its checksum file: the checksum's rename
	// is made durable before the archive gets its name.
	want := []string{"rename " + info.Name + ChecksumExt, "syncdir " + filepath.Base(snaps),
		"rename " + info.Name, "syncdir " + filepath.Base(snaps)}
	if !reflect.DeepEqual(ops, want) {
		t.Fatalf("operations %q, want %q", ops, want)
	}
}

func TestWriteArchiveRejectsBadName(t *testing.T) {
	src, snaps := t.TempDir(), t.TempDir()
	if _, err := WriteArchive(vfs.OS, snaps, "../x.snapshot", src, collectionMeta()); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("err = %v", err)
	}
}
