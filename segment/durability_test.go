package segment

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

var testExtra = map[string][]byte{"graph.hnsw": bytes.Repeat([]byte("g"), 1000)}

func smallSegment(t *testing.T) (string, []Record) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := genRecords(rng, 200, testSpecs, 0.2)
	return writeTestSegment(t, recs, WriteOptions{Vectors: testSpecs, Extra: testExtra}), recs
}

func TestFilesAreImmutable(t *testing.T) {
	dir, recs := smallSegment(t)
	s := openTestSegment(t, dir)
	snap := t.TempDir()
	before := map[string][]byte{}
	for _, p := range s.Files() {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s is writable: %v", p, fi.Mode())
		}
		if err := os.Link(p, filepath.Join(snap, filepath.Base(p))); err != nil {
			t.Fatal(err)
		}
		before[filepath.Base(p)], _ = os.ReadFile(p)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening, reading and verifying must not touch a byte.
	s2 := openTestSegment(t, dir)
	checkSegment(t, s2, sortedRecords(recs), testSpecs, testExtra)
	if err := s2.Verify(); err != nil {
		t.Fatal(err)
	}
	if err := StoreDeleted(nil, dir, NewBitmap(s2.Len())); err != nil {
		t.Fatal(err)
	}
	for name, want := range before {
		got, err := os.ReadFile(filepath.Join(snap, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("hard link %s changed (err %v)", name, err)
		}
	}
	linked := openTestSegment(t, snap)
	checkSegment(t, linked, sortedRecords(recs), testSpecs, testExtra)
}

// flip inverts one byte of a file, bypassing its read-only mode.
func flip(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off += int64(len(b))
	}
	off %= int64(len(b))
	b[off] ^= 0x40
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDetectsCorruptSmallFiles(t *testing.T) {
	cases := []struct {
		file string
		off  int64
	}{
		{MetaFile, 3}, {MetaFile, 20}, {MetaFile, -1},
		{IDsFile, 9}, {IDsFile, HeaderSize + 5}, {IDsFile, -1},
		{VersionsFile, 17}, {VersionsFile, -3},
		{PayloadFile, 30}, {PayloadFile, HeaderSize + 8},
		{vectorFile(""), 24}, {vectorFile("image"), 2},
		{vectorFile("image"), -1}, // presence bitmap
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			dir, _ := smallSegment(t)
			flip(t, filepath.Join(dir, tc.file), tc.off)
			s, err := Open(dir)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded with %s byte %d flipped", tc.file, tc.off)
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("Open = %v, want ErrCorrupt naming %s", err, tc.file)
			}
		})
	}
}

func TestVerifyDetectsCorruptLargeFiles(t *testing.T) {
	for _, file := range []string{vectorFile(""), vectorFile("image"), PayloadFile, "graph.hnsw"} {
		t.Run(file, func(t *testing.T) {
			dir, _ := smallSegment(t)
			flip(t, filepath.Join(dir, file), HeaderSize+(200+1)*8+100)
			s := openTestSegment(t, dir)
			err := s.Verify()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), file) {
				t.Fatalf("Verify = %v, want ErrCorrupt naming %s", err, file)
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	dir, _ := smallSegment(t)
	if err := os.Remove(filepath.Join(dir, VersionsFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), VersionsFile) {
		t.Fatalf("Open = %v, want a not-exist error naming %s", err, VersionsFile)
	}
	// The files are read-only: make ids.seg writable so the truncation also
	// happens when the tests do not run as root.
	ids := filepath.Join(dir, IDsFile)
	if err := os.Chmod(ids, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(ids, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), IDsFile) {
		t.Fatalf("Open with a truncated %s = %v", IDsFile, err)
	}
}

func TestHalfWrittenTmpIsNotASegment(t *testing.T) {
	dir, recs := smallSegment(t)
	tmp := dir + ".tmp"
	if err := os.Rename(dir, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(tmp, MetaFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("Open found a segment where only a .tmp folder exists")
	}
	if _, err := Open(tmp); err == nil {
		t.Fatal("Open accepted a folder without meta.seg")
	}
	if err := Write(dir, recs, WriteOptions{Vectors: testSpecs}); err != nil {
		t.Fatalf("Write over a stale .tmp folder: %v", err)
	}
	openTestSegment(t, dir)
	if _, err := os.Lstat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale %s survived", tmp)
	}
}

func TestWriteFaults(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	recs := genRecords(rng, 50, testSpecs, 0.1)
	opts := WriteOptions{Vectors: testSpecs, Extra: map[string][]byte{"x.idx": []byte("x")}, Attach: sumAttach}
	clean := vfs.NewFaulty(vfs.OS)
	opts.FS = clean
	if err := Write(filepath.Join(t.TempDir(), "seg"), recs, opts); err != nil {
		t.Fatal(err)
	}
	for _, op := range []vfs.Op{vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir, vfs.OpMkdir, vfs.OpRemove} {
		total := clean.Count(op)
		if total == 0 {
			t.Fatalf("a clean Write performs no %s", op)
		}
		for n := 1; n <= total; n++ {
			fs := vfs.NewFaulty(vfs.OS)
			fs.FailNth(op, n)
			opts.FS = fs
			dir := filepath.Join(t.TempDir(), "seg")
			err := Write(dir, recs, opts)
			if !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("%s #%d/%d: Write = %v, want ErrInjected", op, n, total, err)
			}
			assertAbsent(t, dir)
		}
	}
}

func TestWriteSyncsNewParentFolders(t *testing.T) {
	base := t.TempDir()
	fs := vfs.NewFaulty(vfs.OS)
	fs.FailWhen(func(op vfs.Op, p string) bool { return op == vfs.OpSyncDir && p == base })
	// base/segments is created by Write: its entry in base must be synced
	// too, or a crash can lose the published segment with its folder.
	dir := filepath.Join(base, "segments", "seg")
	if err := Write(dir, nil, WriteOptions{FS: fs}); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Write = %v, want the sync of %s to fail", err, base)
	}
	assertAbsent(t, dir)
}

// TestVerifyChecksKnown: a file whose checksum the caller vouches for is
// checked against meta.seg without being read (a flipped byte goes
// unnoticed), a vouched-for checksum that differs from meta.seg's fails,
// and files without one are still read.
func TestVerifyChecksKnown(t *testing.T) {
	vec := vectorFile("")
	run := func(s *Segment, known func(string) (uint32, bool)) error {
		var errs []error
		for _, c := range s.VerifyChecks(known) {
			errs = append(errs, c.Run())
		}
		return errors.Join(errs...)
	}
	dir, _ := smallSegment(t)
	clean := openTestSegment(t, dir)
	want := map[string]uint32{}
	for _, f := range clean.meta.Files {
		want[f.Name] = f.CRC
	}
	all := func(name string) (uint32, bool) { crc, ok := want[name]; return crc, ok }
	if err := run(clean, all); err != nil {
		t.Fatalf("every checksum vouched for, as meta.seg lists: %v", err)
	}

	dir, _ = smallSegment(t)
	flip(t, filepath.Join(dir, vec), HeaderSize+(200+1)*8+100)
	s := openTestSegment(t, dir)
	if err := run(s, all); err != nil {
		t.Fatalf("a vouched-for file was read: %v", err)
	}
	if err := run(s, func(name string) (uint32, bool) {
		if name == vec {
			return 0, false
		}
		return all(name)
	}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), vec) {
		t.Fatalf("file without a vouched-for checksum: %v, want ErrCorrupt naming %s", err, vec)
	}
	if err := run(s, func(name string) (uint32, bool) {
		crc, ok := all(name)
		if name == PayloadFile {
			crc++
		}
		return crc, ok
	}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), PayloadFile) {
		t.Fatalf("vouched-for checksum unlike meta.seg's: %v, want ErrCorrupt naming %s", err, PayloadFile)
	}
}
