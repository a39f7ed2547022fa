package snapshot

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// rewriteCopy writes to dst the archive src with change applied to the
// body of every regular file whose path ends in suffix, and the manifest's
// size and CRC-32C of those files recomputed: an archive that passes the
// tar and manifest checks whatever change did.
func rewriteCopy(t testing.TB, src, dst, suffix string, change func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, rewriteBytes(t, b, suffix, change), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// rewriteBytes is rewriteCopy on the archive's bytes.
func rewriteBytes(t testing.TB, b []byte, suffix string, change func([]byte) []byte) []byte {
	t.Helper()
	type entry struct {
		hdr  *tar.Header
		body []byte
	}
	var entries []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{h, body})
	}
	changed := map[string][]byte{}
	for i := range entries {
		if e := &entries[i]; e.hdr.Typeflag == tar.TypeReg && e.hdr.Name != ManifestName && strings.HasSuffix(e.hdr.Name, suffix) && len(e.body) > 0 {
			e.body = change(e.body)
			e.hdr.Size = int64(len(e.body))
			changed[e.hdr.Name] = e.body
		}
	}
	if len(changed) == 0 {
		t.Fatalf("no file of the archive ends in %s", suffix)
	}
	last := &entries[len(entries)-1]
	var man Manifest
	if err := json.Unmarshal(last.body, &man); err != nil {
		t.Fatal(err)
	}
	for i, f := range man.Files {
		if body, ok := changed[f.Path]; ok {
			man.Files[i].Size, man.Files[i].CRC32C = int64(len(body)), crc32.Checksum(body, castagnoli)
		}
	}
	var err error
	if last.body, err = json.Marshal(man); err != nil {
		t.Fatal(err)
	}
	last.hdr.Size = int64(len(last.body))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// editEnvelope decodes an engine file (docs/format/manifest.md, envelope:
// magic, version, length, CRC-32C, JSON body), applies edit to its JSON
// body and seals it again with a valid checksum.
func editEnvelope(t testing.TB, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
	if len(b) < 20 {
		t.Fatalf("engine file of %d bytes", len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b[20:]))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	nb, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), b[:12]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(nb)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(nb, castagnoli))
	return append(out, nb...)
}

func obj(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

// An archiveLie edits the engine files ending in suffix of an archive.
type archiveLie struct {
	name, suffix string
	edit         func(map[string]any)
}

// archiveLies are the crafted archives of issue 21: checksums valid,
// contents lying to the engine.
var archiveLies = []archiveLie{
	{"vector size 9 over 8-d segments", engine.CollectionFile, func(m map[string]any) {
		obj(m, "config", "params", "vectors")["size"] = dim + 1
	}},
	{"segment listed twice", "shard-0/" + engine.ManifestFile, func(m map[string]any) {
		segs := m["segments"].([]any)
		m["segments"] = append(segs, segs[0])
	}},
	{"shard_number 8", engine.CollectionFile, func(m map[string]any) { obj(m, "config", "params")["shard_number"] = 8 }},
	{"shard_number 1024", engine.CollectionFile, func(m map[string]any) { obj(m, "config", "params")["shard_number"] = 1024 }},
	{"wal_capacity_mb 0", engine.CollectionFile, func(m map[string]any) { obj(m, "config", "wal_config")["wal_capacity_mb"] = 0 }},
}

// lyingArchive writes the lie applied to the archive src next to dst.
func lyingArchive(t testing.TB, src, dst string, lie archiveLie) string {
	t.Helper()
	return rewriteCopy(t, src, dst, lie.suffix, func(b []byte) []byte { return editEnvelope(t, b, lie.edit) })
}

// TestRecoverLyingArchives: collection, shard, full and start-up restores
// refuse every archive of archiveLies with ErrCorrupt (400) wrapping
// engine.ErrVerify, and the live collection keeps its points and files.
func TestRecoverLyingArchives(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 41, dim)
	col, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := e.m.CreateShard(ctxb, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	full, err := e.m.CreateFull(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	upsert(t, c, points(seeded(42), 500, 10, dim))
	want := dump(t, c)
	live := filepath.Join(e.dir, "storage", "collections", "c")
	files := readTree(t, live)
	colPath := filepath.Join(e.m.SnapshotsPath, "c", col.Name)
	shPath := filepath.Join(e.m.SnapshotsPath, "c", "shards", "0", sh.Name)
	fullPath := filepath.Join(e.m.SnapshotsPath, full.Name)
	restores := []struct {
		what string
		src  string
		run  func(path string) error
	}{
		{"collection", colPath, func(p string) error { return e.m.Recover(ctxb, "c", p, "", PrioritySnapshot) }},
		{"new collection", colPath, func(p string) error { return e.m.Recover(ctxb, "d", p, "", PrioritySnapshot) }},
		{"start-up", colPath, func(p string) error { return e.m.RecoverAtStartup(ctxb, p, "c", true) }},
		{"full", fullPath, func(p string) error { return e.m.RecoverFull(ctxb, p, "", true) }},
		{"shard", shPath, func(p string) error { return e.m.RecoverShard(ctxb, "c", 0, p, "", PrioritySnapshot) }},
	}
	for i, lie := range archiveLies {
		for j, r := range restores {
			what := r.what + ": " + lie.name
			if r.what == "shard" && lie.suffix == engine.CollectionFile {
				continue // a shard restore keeps the live collection file (TestRecoverShardLyingConfig)
			}
			bad := lyingArchive(t, r.src, filepath.Join(e.dir, "lie-"+itoa(i)+"-"+itoa(j)+".snapshot"), lie)
			err := r.run(bad)
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, engine.ErrVerify) {
				t.Errorf("%s: %v, want ErrCorrupt wrapping engine.ErrVerify", what, err)
			}
			if got := dump(t, c); got != want {
				t.Fatalf("%s: the collection changed", what)
			}
			if got := readTree(t, live); !sameTree(got, files) {
				t.Fatalf("%s: the collection's files changed", what)
			}
			if e.st.CollectionExists("d") {
				t.Fatalf("%s: a collection was created", what)
			}
			assertNoTemps(t, e.m.TempPath)
		}
	}
	if err := e.m.Recover(ctxb, "c", colPath, "", PrioritySnapshot); err != nil {
		t.Fatalf("the unaltered archive: %v", err)
	}
}

// TestRecoverShardLyingConfig: a shard snapshot whose collection file
// says another shard number, or fails validation, is refused (400).
func TestRecoverShardLyingConfig(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", dim, 1)
	fill(t, c, 43, dim)
	sh, err := e.m.CreateShard(ctxb, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, c)
	shPath := filepath.Join(e.m.SnapshotsPath, "c", "shards", "0", sh.Name)
	for i, lie := range archiveLies {
		if lie.suffix != engine.CollectionFile {
			continue
		}
		bad := lyingArchive(t, shPath, filepath.Join(e.dir, "shard-lie-"+itoa(i)+".snapshot"), lie)
		err := e.m.RecoverShard(ctxb, "c", 0, bad, "", PrioritySnapshot)
		if !errors.Is(err, engine.ErrBadRequest) {
			t.Errorf("%s: %v, want engine.ErrBadRequest", lie.name, err)
		}
		if got := dump(t, c); got != want {
			t.Fatalf("%s: the collection changed", lie.name)
		}
	}
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
