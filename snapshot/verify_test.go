package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot/snaptest"
)

// verifyDim is the vector size of the verify tests' collection.
const verifyDim = 16

// verifyEnv is a storage holding collection "g" (one shard, a sealed
// segment with an HNSW graph, a WAL of 1 MiB segments spanning several
// files, points in the head) and a collection, a shard and a full snapshot
// of it.
type verifyEnv struct {
	*env
	col, shard, full string // archive paths
}

func newVerifyEnv(t *testing.T) *verifyEnv {
	t.Helper()
	e := newEnv(t, nil)
	threshold, walMB := 20, 1 // kB: the sealed segment of 600 points gets a graph
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: verifyDim, Distance: point.Euclid}},
		OptimizersConfig: &engine.OptimizersConfigDiff{IndexingThreshold: &threshold},
		WalConfig:        &engine.WalConfigDiff{WalCapacityMB: &walMB}}
	if err := e.st.CreateCollection("g", req); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.Collection("g")
	if err != nil {
		t.Fatal(err)
	}
	upsert(t, c, points(seeded(51), 0, 600, verifyDim))
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	r := seeded(52)
	for i := range 80 { // about 2.1 MiB of WAL: three segment files
		upsert(t, c, points(r, 600+i*250, 250, verifyDim))
	}
	ve := &verifyEnv{env: e}
	ve.col, ve.shard, ve.full = e.snapshotAll(t, "g")
	return ve
}

// TestVerifyGood: the collection, shard and full snapshots of a collection
// with a graph, sealed and head points and a WAL of several files pass,
// with their checksum compared and the engine's checks counted, and
// verifying writes nothing to the storage or the snapshots folder and
// leaves no temp folder.
func TestVerifyGood(t *testing.T) {
	e := newVerifyEnv(t)
	storage := readTree(t, filepath.Join(e.dir, "storage", "collections"))
	snaps := readTree(t, e.m.SnapshotsPath)
	for _, v := range []struct {
		what string
		run  func() (Report, error)
	}{
		{"collection", func() (Report, error) { return e.m.VerifyCollection(ctxb, "g", filepath.Base(e.col)) }},
		{"shard", func() (Report, error) { return e.m.VerifyShard(ctxb, "g", 0, filepath.Base(e.shard)) }},
		{"full", func() (Report, error) { return e.m.VerifyFull(ctxb, filepath.Base(e.full)) }},
	} {
		rep, err := v.run()
		if err != nil {
			t.Fatalf("%s: %v", v.what, err)
		}
		if !rep.OK || len(rep.Failures) != 0 || !rep.ChecksumChecked || !rep.EngineChecked {
			t.Fatalf("%s: %+v", v.what, rep)
		}
		if rep.Files == 0 || rep.Bytes == 0 || rep.ArchiveBytes <= rep.Bytes || rep.Shards != 1 || rep.Segments == 0 ||
			rep.Points < 20600 || rep.GraphNodes < 600 || rep.WALRecords < 80 {
			t.Fatalf("%s: counts %+v", v.what, rep)
		}
		if (v.what == "shard") != (rep.Shard != nil) || rep.Shard != nil && *rep.Shard != 0 || string(rep.Kind) != v.what {
			t.Fatalf("%s: kind %s, shard %v", v.what, rep.Kind, rep.Shard)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	}
	if got := readTree(t, filepath.Join(e.dir, "storage", "collections")); !sameTree(got, storage) {
		t.Fatal("verify changed the storage")
	}
	if got := readTree(t, e.m.SnapshotsPath); !sameTree(got, snaps) {
		t.Fatal("verify changed the snapshots folder")
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestVerifyUnknown: an unknown snapshot or collection is ErrNotFound (or
// the engine's not-found), an archive of another kind a failure.
func TestVerifyUnknown(t *testing.T) {
	e := newVerifyEnv(t)
	if _, err := e.m.VerifyCollection(ctxb, "g", "nope.snapshot"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown snapshot: %v", err)
	}
	if _, err := e.m.VerifyCollection(ctxb, "zz", filepath.Base(e.col)); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("unknown collection: %v", err)
	}
	rep, err := e.m.VerifyFile(ctxb, e.full, KindCollection)
	if err != nil || rep.OK || !hasFailure(rep, ManifestName, "want collection") {
		t.Fatalf("full as collection: %+v, %v", rep, err)
	}
}

func hasFailure(rep Report, file, reason string) bool {
	for _, f := range rep.Failures {
		if f.File == file && strings.Contains(f.Reason, reason) {
			return true
		}
	}
	return false
}

// entryEnding returns the path inside the archive b of the first regular
// file whose path ends in suffix.
func entryEnding(t *testing.T, b []byte, suffix string) string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no file ending in %s: %v", suffix, err)
		}
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, suffix) && h.Size > 0 {
			return h.Name
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// flipIn returns a copy of the archive b with one byte flipped in the
// middle of the body of the file name, the manifest left as it was.
func flipIn(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(b)}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the archive: %v", name, err)
		}
		if h.Name == name {
			out := bytes.Clone(b)
			out[cr.n+h.Size/2] ^= 0x40 // archive/tar reads no further than the header
			return out
		}
	}
}

// rewriteTar returns the archive b with each entry passed through edit,
// which returns the entry's new body (its header's size is set to it) or
// false to drop the entry.
func rewriteTar(t *testing.T, b []byte, edit func(h *tar.Header, body []byte) ([]byte, bool)) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		body, keep := edit(h, body)
		if !keep {
			continue
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// editManifest returns the archive b with its manifest changed by edit.
func editManifest(t *testing.T, b []byte, edit func(m *Manifest)) []byte {
	t.Helper()
	return rewriteTar(t, b, func(h *tar.Header, body []byte) ([]byte, bool) {
		if h.Name != ManifestName {
			return body, true
		}
		var m Manifest
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		edit(&m)
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return body, true
	})
}

// dropFile returns the archive b without the file name, the manifest's
// entry for it removed too: an archive whose every check of the archive
// itself passes.
func dropFile(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	b = editManifest(t, b, func(m *Manifest) {
		for i, f := range m.Files {
			if f.Path == name {
				m.Files = append(m.Files[:i], m.Files[i+1:]...)
				return
			}
		}
		t.Fatalf("%s not listed", name)
	})
	return rewriteTar(t, b, func(h *tar.Header, body []byte) ([]byte, bool) {
		return body, h.Name != name
	})
}

// archiveWALs lists the WAL segment files of the archive b, in order.
func archiveWALs(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			return out
		}
		if base := filepath.Base(h.Name); strings.Contains(h.Name, "/wal/") && strings.HasPrefix(base, "wal-") && strings.HasSuffix(base, ".log") {
			out = append(out, h.Name)
		}
	}
}

// TestVerifyCorrupt: each damaged or lying archive fails with the file and
// the reason named, and verifying it changes nothing in the storage.
func TestVerifyCorrupt(t *testing.T) {
	e := newVerifyEnv(t)
	good, err := os.ReadFile(e.col)
	if err != nil {
		t.Fatal(err)
	}
	storage := readTree(t, filepath.Join(e.dir, "storage", "collections"))
	vectors := entryEnding(t, good, "vectors-default.seg")
	graph := entryEnding(t, good, ".hnsw")
	wals := archiveWALs(t, good)
	if len(wals) < 3 {
		t.Fatalf("the WAL has %d files, want 3 or more: %q", len(wals), wals)
	}
	rewrite := func(suffix string, change func([]byte) []byte) []byte {
		b, err := snaptest.RewriteArchive(good, suffix, func(f []byte) ([]byte, error) { return change(f), nil })
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	flip := func(f []byte) []byte { f = bytes.Clone(f); f[len(f)/2] ^= 0x40; return f }
	lie, err := snaptest.Apply(good, snaptest.Lies(verifyDim)[0]) // vector size over segments of another
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		what         string
		archive      []byte
		checksum     bool // compare the good archive's checksum
		file, reason string
	}{
		{"flipped byte in a segment file", flipIn(t, good, vectors), false, vectors, "CRC-32C"},
		{"flipped byte in a graph file", flipIn(t, good, graph), false, graph, "CRC-32C"},
		{"flipped byte, checksum known", flipIn(t, good, graph), true, "", "SHA-256"},
		{"flipped byte in a segment file, manifest resealed", rewrite("vectors-default.seg", flip), false, vectors, "meta says"},
		{"flipped byte in a graph file, manifest resealed", rewrite(".hnsw", flip), false, graph, "links out of range"},
		{"manifest lists a missing file", editManifest(t, good, func(m *Manifest) {
			m.Files = append(m.Files, FileEntry{Path: "shard-0/segments/ghost.bin", Size: 3})
		}), false, "shard-0/segments/ghost.bin", "absent"},
		{"file not listed", editManifest(t, good, func(m *Manifest) { m.Files = m.Files[1:] }), false, "", "not listed"},
		{"truncated archive", good[:len(good)*2/3], false, "", "truncated"},
		{"WAL gap", dropFile(t, good, wals[1]), false, wals[2], "gap: records"},
		{"wrong dims", lie, false, "shard-0/wal", "has size 16, the collection's 17"},
	}
	for i := range 2 * len(cases) {
		c := cases[i/2]
		opts := e.m.VerifyOptions("", "")
		if c.checksum {
			opts.Checksum = ReadChecksumFile(e.col)
		}
		var r io.Reader = bytes.NewReader(c.archive) // hashed beside the parse
		if i%2 == 1 {
			r, c.what = struct{ io.Reader }{r}, c.what+" (stream)" // hashed in the single pass
		}
		rep, err := VerifyArchive(ctxb, r, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if rep.OK || len(rep.Failures) == 0 {
			t.Fatalf("%s: passed: %+v", c.what, rep)
		}
		found := false
		for _, f := range rep.Failures {
			if (c.file == "" || f.File == c.file) && strings.Contains(f.Reason, c.reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: failures %+v, want file %q and a reason with %q", c.what, rep.Failures, c.file, c.reason)
		}
		for _, f := range rep.Failures {
			if strings.Contains(f.Reason, e.m.TempPath) {
				t.Errorf("%s: the reason names the temp folder: %s", c.what, f.Reason)
			}
		}
		t.Logf("%s: %+v", c.what, rep.Failures)
	}
	if got := readTree(t, filepath.Join(e.dir, "storage", "collections")); !sameTree(got, storage) {
		t.Fatal("verify changed the storage")
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestVerifyMachineFault: an engine check stopped by this machine (here no
// room for the WAL the check opens) is an error, not a failure of the
// archive, and the spill is removed.
func TestVerifyMachineFault(t *testing.T) {
	e := newVerifyEnv(t)
	f, err := os.Open(e.col)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := e.m.VerifyOptions("", KindCollection)
	opts.Engine.FreeSpace = func(string) (int64, error) { return 0, nil }
	rep, err := VerifyArchive(ctxb, f, opts)
	if !errors.Is(err, syscall.ENOSPC) || rep.OK || len(rep.Failures) != 0 {
		t.Fatalf("%+v, %v; want an error wrapping ENOSPC and no failure", rep, err)
	}
	assertNoTemps(t, e.m.TempPath)
}

// failingReader returns its bytes, then err.
type failingReader struct {
	b   []byte
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, f.err
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

// TestVerifyStops: a cancelled context and a reader that fails midway are
// VerifyArchive's errors (not failures of the archive), and the spill is
// removed.
func TestVerifyStops(t *testing.T) {
	e := newVerifyEnv(t)
	good, err := os.ReadFile(e.col)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctxb)
	cancel()
	if _, err := VerifyArchive(ctx, bytes.NewReader(good), e.m.VerifyOptions("", "")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	boom := errors.New("disk on fire")
	if _, err := VerifyArchive(ctxb, &failingReader{good[:len(good)/2], boom}, e.m.VerifyOptions("", "")); !errors.Is(err, boom) {
		t.Fatalf("failing reader: %v", err)
	}
	assertNoTemps(t, e.m.TempPath)
}
