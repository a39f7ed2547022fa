package snapshot

import (
	"archive/tar"
	"bytes"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func TestExtractRejects(t *testing.T) {
	ok := reg("segments/1/a", "aaaa")
	hdrOnly := func(typ byte, name, link string) tarEntry {
		return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Linkname: link, Mode: 0o644}}
	}
	badVersion := manifestFor([]tarEntry{ok})
	badVersion.Format = 99
	wrongSize := manifestFor([]tarEntry{ok})
	wrongSize.Files[0].Size = 5
	wrongCRC := manifestFor([]tarEntry{ok})
	wrongCRC.Files[0].CRC32C++
	extraListed := manifestFor([]tarEntry{ok, reg("b", "b")})
	unknownKind := manifestFor([]tarEntry{ok})
	unknownKind.Kind = "weird"
	badPath := manifestFor([]tarEntry{ok})
	badPath.Files = append(badPath.Files, FileEntry{Path: "../x"})

	tests := []struct {
		name string
		tar  []byte
		want error
	}{
		{"absolute path", withManifest(t, reg("/etc/evil", "x")), ErrUnsafeEntry},
		{"dot-dot path", withManifest(t, reg("../evil", "x")), ErrUnsafeEntry},
		{"inner dot-dot", withManifest(t, reg("a/../../evil", "x")), ErrUnsafeEntry},
		{"unclean path", withManifest(t, reg("a//b", "x")), ErrUnsafeEntry},
		{"dot path", withManifest(t, reg("./a", "x")), ErrUnsafeEntry},
		{"NUL in name", nulName(t), ErrCorrupt},
		{"PAX sparse file", paxSparse(t), ErrUnsafeEntry},
		// Extraction cost grows with the square of the depth: a few KiB of
		// "a/a/a/…" would hold the server for minutes.
		{"deep path", withManifest(t, reg(strings.Repeat("a/", maxEntryDepth)+"f", "x")), ErrUnsafeEntry},
		{"long path", withManifest(t, reg(strings.Repeat(strings.Repeat("b", 99)+"/", maxEntryPathLen/100+1)+"f", "x")), ErrUnsafeEntry},
		{"backslash", withManifest(t, reg(`a\..\..\evil`, "x")), ErrUnsafeEntry},
		{"symlink", withManifest(t, hdrOnly(tar.TypeSymlink, "link", "/etc/passwd")), ErrUnsafeEntry},
		{"relative symlink", withManifest(t, hdrOnly(tar.TypeSymlink, "link", "a")), ErrUnsafeEntry},
		{"hard link", withManifest(t, ok, hdrOnly(tar.TypeLink, "hl", "segments/1/a")), ErrUnsafeEntry},
		{"char device", withManifest(t, hdrOnly(tar.TypeChar, "null", "")), ErrUnsafeEntry},
		{"block device", withManifest(t, hdrOnly(tar.TypeBlock, "sda", "")), ErrUnsafeEntry},
		{"fifo", withManifest(t, hdrOnly(tar.TypeFifo, "pipe", "")), ErrUnsafeEntry},
		{"duplicate file", withManifest(t, reg("a", "1"), reg("a", "2")), ErrUnsafeEntry},
		{"duplicate dir", withManifest(t, dirEntry("d/"), dirEntry("d/")), ErrUnsafeEntry},
		{"file then dir", withManifest(t, reg("d", "1"), dirEntry("d/")), ErrUnsafeEntry},
		{"file under file", withManifest(t, reg("d", "1"), reg("d/e", "2")), ErrUnsafeEntry},
		{"no manifest", buildTar(t, ok), ErrManifest},
		{"empty archive", buildTar(t), ErrManifest},
		{"garbage manifest", buildTar(t, ok, reg(ManifestName, "not json")), ErrManifest},
		{"manifest without version", buildTar(t, ok, reg(ManifestName, `{"kind":"full","files":[]}`)), ErrManifest},
		{"manifest as dir", buildTar(t, dirEntry(ManifestName+"/")), ErrManifest},
		{"entry after manifest", buildTar(t, ok, manifestEntry(t, manifestFor([]tarEntry{ok})), reg("late", "x")), ErrManifest},
		{"unknown version", buildTar(t, ok, manifestEntry(t, badVersion)), ErrFormatVersion},
		{"unknown kind", buildTar(t, ok, manifestEntry(t, unknownKind)), ErrManifest},
		{"unlisted file", buildTar(t, ok, reg("extra", "x"), manifestEntry(t, manifestFor([]tarEntry{ok}))), ErrManifest},
		{"listed but absent", buildTar(t, ok, manifestEntry(t, extraListed)), ErrManifest},
		{"wrong size", buildTar(t, ok, manifestEntry(t, wrongSize)), ErrManifest},
		{"wrong crc", buildTar(t, ok, manifestEntry(t, wrongCRC)), ErrManifest},
		{"bad listed path", buildTar(t, ok, manifestEntry(t, badPath)), ErrManifest},
		{"truncated body", withManifest(t, ok)[:514], ErrCorrupt},
		{"truncated padding", withManifest(t, ok)[:700], ErrManifest}, // reads as a clean end
		{"truncated manifest", withManifest(t, ok)[:1024+520], ErrCorrupt},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "x")
			_, err := Extract(bytes.NewReader(tt.tar), dst, noDiskCheck)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Fatalf("left behind after error: %v", entries)
			}
		})
	}
}

// nulName builds an archive whose PAX path record holds a NUL byte, which
// archive/tar's writer refuses to produce.
func nulName(t *testing.T) []byte {
	e := reg("aXb", "x")
	e.hdr.PAXRecords = map[string]string{"path": "aXb"}
	b := buildTar(t, e)
	i := bytes.Index(b, []byte("path=aXb"))
	if i < 0 {
		t.Fatal("no PAX path record")
	}
	b[i+len("path=a")] = 0
	return b
}

// paxSparse builds an archive whose regular file "s" carries GNU sparse
// PAX records (format 0.1): three stored bytes that archive/tar's reader
// expands to a 100000-byte file. archive/tar's writer drops those records,
// so they are written under placeholder keys of the same length and renamed
// in the bytes. The manifest matches the expanded file.
func paxSparse(t *testing.T) []byte {
	rename := map[string]string{
		"aaaaaaaaaaaaaaaa": "GNU.sparse.major", "bbbbbbbbbbbbbbbb": "GNU.sparse.minor",
		"ccccccccccccccccccc": "GNU.sparse.realsize", "dddddddddddddd": "GNU.sparse.map",
		"eeeeeeeeeeeeeeeeeeee": "GNU.sparse.numblocks",
	}
	e := reg("s", "abc")
	e.hdr.Format = tar.FormatPAX
	e.hdr.PAXRecords = map[string]string{"aaaaaaaaaaaaaaaa": "0", "bbbbbbbbbbbbbbbb": "1",
		"ccccccccccccccccccc": "100000", "dddddddddddddd": "0,3", "eeeeeeeeeeeeeeeeeeee": "1"}
	expanded := append([]byte("abc"), make([]byte, 100000-3)...)
	m := manifestFor(nil)
	m.Files = []FileEntry{{Path: "s", Size: int64(len(expanded)), CRC32C: crc32.Checksum(expanded, castagnoli)}}
	b := buildTar(t, e, manifestEntry(t, m))
	for from, to := range rename {
		i := bytes.Index(b, []byte(from))
		if i < 0 {
			t.Fatalf("no PAX record %s", from)
		}
		copy(b[i:], to)
	}
	return b
}

func TestExtractAcceptsPathsAtTheLimits(t *testing.T) {
	deep := strings.Repeat("a/", maxEntryDepth-1) + "f"
	long := strings.Repeat(strings.Repeat("b", 99)+"/", maxEntryPathLen/100)
	long += strings.Repeat("c", maxEntryPathLen-len(long))
	dst := filepath.Join(t.TempDir(), "x")
	if _, err := Extract(bytes.NewReader(withManifest(t, reg(deep, "1"), reg(long, "2"))), dst, noDiskCheck); err != nil {
		t.Fatal(err)
	}
}

func TestExtractLimits(t *testing.T) {
	archive := withManifest(t, reg("a", strings.Repeat("a", 600)), reg("b", strings.Repeat("b", 600)))
	tests := []struct {
		name string
		lim  Limits
		want error
	}{
		{"fits", Limits{MaxBytes: 1200, IgnoreFreeSpace: true}, nil},
		{"too many bytes", Limits{MaxBytes: 1199, IgnoreFreeSpace: true}, ErrTooLarge},
		{"too many entries", Limits{MaxEntries: 2, IgnoreFreeSpace: true}, ErrTooLarge},
		{"free space checked", Limits{MaxBytes: 1200}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "x")
			_, err := Extract(bytes.NewReader(archive), dst, tt.lim)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExtractBeyondFreeSpace(t *testing.T) {
	dir := t.TempDir()
	free, err := vfs.FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The header claims more than the disk holds; the body is never read.
	h := tar.Header{Typeflag: tar.TypeReg, Name: "huge", Size: free + 1<<30, Mode: 0o644}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&h); err != nil {
		t.Fatal(err)
	}
	_, err = Extract(bytes.NewReader(buf.Bytes()), filepath.Join(dir, "x"), Limits{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if err := CheckFreeSpace(dir, free+1<<30); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("CheckFreeSpace = %v", err)
	}
	if err := CheckFreeSpace(dir, 1); err != nil {
		t.Fatalf("CheckFreeSpace(1) = %v", err)
	}
}

func TestExtractExistingTarget(t *testing.T) {
	dst := t.TempDir() // exists
	writeTree(t, dst, map[string]string{"keep": "me"})
	if _, err := Extract(bytes.NewReader(withManifest(t, reg("a", "x"))), dst, noDiskCheck); err == nil {
		t.Fatal("extracted into an existing folder")
	}
	if got := readTree(t, dst); got["keep"] != "me" || len(got) != 1 {
		t.Fatalf("existing folder changed: %v", got)
	}
}

func TestExtractAcceptsImplicitAndExplicitDirs(t *testing.T) {
	archive := withManifest(t, dirEntry("d/"), reg("d/a", "1"), reg("e/f/g", "2"), dirEntry("e/"), dirEntry("empty/"))
	dst := filepath.Join(t.TempDir(), "x")
	m, err := Extract(bytes.NewReader(archive), dst, noDiskCheck)
	if err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dst); got["d/a"] != "1" || got["e/f/g"] != "2" || len(got) != 2 || len(m.Files) != 2 {
		t.Fatalf("extracted %v", got)
	}
}

func TestChecksums(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	writeTree(t, filepath.Dir(p), map[string]string{"f": "abc"})
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	tests := []struct {
		sum  string
		want error
	}{
		{abc, nil},
		{strings.ToUpper(abc), nil},
		{strings.Replace(abc, "b", "c", 1), ErrChecksumMismatch},
		{abc[:63], ErrMalformedChecksum},
		{abc + "0", ErrMalformedChecksum},
		{"", ErrMalformedChecksum},
		{strings.Replace(abc, "b", "g", 1), ErrMalformedChecksum},
		{" " + abc[1:], ErrMalformedChecksum},
	}
	for _, tt := range tests {
		err := VerifyChecksum(p, tt.sum)
		if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("VerifyChecksum(%q) = %v, want %v", tt.sum, err, tt.want)
		}
	}
	if s, err := ParseChecksum(strings.ToUpper(abc)); err != nil || s != abc {
		t.Fatalf("ParseChecksum = %q, %v", s, err)
	}
}

// FuzzExtract feeds arbitrary bytes to Extract: it must return an error or a
// clean extraction, never panic, and never create anything outside the
// target folder. Its seeds include a real collection snapshot and its lying
// variants (archiveSeeds).
func FuzzExtract(f *testing.F) {
	f.Add(withManifest(f, reg("a", "x"), dirEntry("d/"), reg("d/b", "yy")))
	f.Add(withManifest(f, reg("../evil", "x")))
	f.Add(withManifest(f, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "/"}}))
	f.Add(buildTar(f, reg(ManifestName, `{"format":1,"kind":"full","files":[]}`)))
	f.Add([]byte{})
	e := newEnv(f, nil) // real archives, and their lying variants (issue 21)
	fill(f, e.create(f, "c", dim, 1), 51, dim)
	for _, s := range archiveSeeds(f, e) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "x")
		m, err := Extract(bytes.NewReader(data), dst, Limits{MaxBytes: 1 << 20, MaxEntries: 1000, IgnoreFreeSpace: true})
		entries, rerr := os.ReadDir(parent)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if len(entries) != 0 {
				t.Fatalf("error %v left %v", err, entries)
			}
			return
		}
		if len(entries) != 1 || entries[0].Name() != "x" || m == nil {
			t.Fatalf("success left %v", entries)
		}
		got := readTree(t, dst)
		if len(got) != len(m.Files) {
			t.Fatalf("extracted %d files, manifest lists %d", len(got), len(m.Files))
		}
	})
}

// TestExtractLargeFiles extracts files that span several writeback chunks
// (and end mid-chunk) byte for byte, and rejects one cut short mid-chunk.
func TestExtractLargeFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	body := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return string(b)
	}
	big, exact := body(2*writebackChunk+12345), body(writebackChunk)
	archive := withManifest(t, reg("seg/big", big), reg("seg/exact", exact), reg("seg/empty", ""), reg("small", "x"))
	dst := filepath.Join(t.TempDir(), "x")
	m, err := Extract(bytes.NewReader(archive), dst, noDiskCheck)
	if err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dst)
	if got["seg/big"] != big || got["seg/exact"] != exact || got["seg/empty"] != "" || got["small"] != "x" || len(m.Files) != 4 {
		t.Fatalf("extracted %d files, big %v, exact %v", len(got), got["seg/big"] == big, got["seg/exact"] == exact)
	}

	cut := withManifest(t, reg("seg/big", big))
	cut = cut[:512+writebackChunk+100] // header, then a chunk and a bit of the body
	dst = filepath.Join(t.TempDir(), "y")
	if _, err := Extract(bytes.NewReader(cut), dst, noDiskCheck); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated archive: %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatalf("target left after a failed extraction: %v", err)
	}
}
