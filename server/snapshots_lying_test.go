package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// resealed returns an engine file (docs/format/manifest.md envelope) with
// edit applied to its JSON body and a valid checksum.
func resealed(t *testing.T, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
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
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(nb, crc32.MakeTable(crc32.Castagnoli)))
	return append(out, nb...)
}

// TestRecoverLyingArchive: archives with valid checksums whose collection
// file or shard manifest lies (a vector size over segments of another, a
// segment listed twice, a shard_number other than the shards present) are
// refused with 400 by the upload and recover routes, and the collection
// keeps its points.
func TestRecoverLyingArchive(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 6)
	c, err := e.m.Storage.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil { // a sealed segment in the snapshot
		t.Fatal(err)
	}
	colPath, _ := e.archive(t, "c")
	col, err := os.ReadFile(colPath)
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 7, 9)
	wantPoint := string(mustOK(t, e.s, "GET", "/collections/c/points/2", ""))
	params := func(m map[string]any) map[string]any {
		return m["config"].(map[string]any)["params"].(map[string]any)
	}
	lies := []struct {
		what, suffix string
		edit         func(map[string]any)
	}{
		{"vector size", engine.CollectionFile, func(m map[string]any) { params(m)["vectors"].(map[string]any)["size"] = 5 }},
		{"shard_number 8", engine.CollectionFile, func(m map[string]any) { params(m)["shard_number"] = 8 }},
		{"segment twice", "shard-0/" + engine.ManifestFile, func(m map[string]any) {
			segs := m["segments"].([]any)
			m["segments"] = append(segs, segs[0])
		}},
	}
	for i, lie := range lies {
		bad := replaceInArchive(t, col, lie.suffix, func(b []byte) []byte { return resealed(t, b, lie.edit) })
		rec := upload(t, e.s, "/collections/c/snapshots/upload", "snapshot", bad)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("upload, %s: %d %s, want 400", lie.what, rec.Code, rec.Body)
		}
		path := filepath.Join(e.snaps, "c", fmt.Sprintf("lie-%d.snapshot", i))
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 400)
		mustFail(t, e.s, "PUT", "/collections/fresh/snapshots/recover", fmt.Sprintf(`{"location":"file://%s"}`, path), 400)
		if n := e.count(t, "c"); n != 9 {
			t.Fatalf("%s: c has %d points", lie.what, n)
		}
		if got := string(mustOK(t, e.s, "GET", "/collections/c/points/2", "")); got != wantPoint {
			t.Fatalf("%s: point 2 is %s, want %s", lie.what, got, wantPoint)
		}
		if e.m.Storage.CollectionExists("fresh") {
			t.Fatalf("%s: a lying archive created a collection", lie.what)
		}
		if left := e.tempEntries(t); len(left) != 0 {
			t.Fatalf("%s: temp path holds %v", lie.what, left)
		}
	}
}
