package snapshot

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

var testTime = time.Date(2026, 11, 21, 12, 30, 45, 0, time.UTC)

// writeTree creates files (path → content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under dir (slash path → content) and
// fails on anything else but folders.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		if !info.Mode().IsRegular() {
			t.Fatalf("%s is not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var sampleTree = map[string]string{
	"collection/config.json":    `{"vectors":{"size":4}}`,
	"segments/0001/vectors.bin": "0123456789abcdef",
	"segments/0001/graph.hnsw":  "graph bytes",
	"segments/0002/ids.bin":     "",
	"wal/00000001.log":          "wal records",
}

// tarEntry is one entry of a crafted archive.
type tarEntry struct {
	hdr  tar.Header
	body string
}

func reg(name, body string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o644}, body: body}
}

func dirEntry(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}

// manifestFor builds the manifest that matches the regular entries.
func manifestFor(entries []tarEntry) Manifest {
	m := Manifest{Format: FormatVersion, Kind: KindCollection, Collection: "c", CreatedAt: testTime, Files: []FileEntry{}}
	for _, e := range entries {
		if e.hdr.Typeflag == tar.TypeReg {
			m.Files = append(m.Files, FileEntry{Path: e.hdr.Name, Size: int64(len(e.body)),
				CRC32C: crc32.Checksum([]byte(e.body), castagnoli)})
		}
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

func manifestEntry(t testing.TB, m any) tarEntry {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return reg(ManifestName, string(b))
}

// buildTar writes entries as a tar archive.
func buildTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("header %q: %v", h.Name, err)
		}
		if e.body != "" {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withManifest appends the matching manifest to entries and builds the tar.
func withManifest(t testing.TB, entries ...tarEntry) []byte {
	return buildTar(t, append(entries, manifestEntry(t, manifestFor(entries)))...)
}

var noDiskCheck = Limits{IgnoreFreeSpace: true}
