// Package snaptest crafts snapshot archives for tests: archives whose tar
// layout and checksums are valid while the engine files inside lie (a
// vector size over segments of another, a segment listed twice, a
// shard_number other than the shards present). It knows the archive and
// envelope formats from docs/format/snapshot.md and docs/format/manifest.md
// only, so that the tests of the snapshot package itself can use it.
package snaptest

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// manifestName is the archive's table of contents, its last entry.
const manifestName = "snapshot.json"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// RewriteArchive returns the archive b with change applied to the content
// of every non-empty regular file whose path ends in suffix (the table of
// contents excepted), and the table of contents' size and CRC-32C of those
// files recomputed, so that the archive passes the tar and manifest checks
// whatever change did. It fails when no file matches.
func RewriteArchive(b []byte, suffix string, change func([]byte) ([]byte, error)) ([]byte, error) {
	type entry struct {
		hdr  *tar.Header
		body []byte
	}
	var entries []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		entries = append(entries, entry{h, body})
	}
	if len(entries) == 0 || entries[len(entries)-1].hdr.Name != manifestName {
		return nil, fmt.Errorf("archive does not end with %s", manifestName)
	}
	changed := map[string][]byte{}
	for i := range entries {
		e := &entries[i]
		if e.hdr.Typeflag != tar.TypeReg || e.hdr.Name == manifestName || !strings.HasSuffix(e.hdr.Name, suffix) || len(e.body) == 0 {
			continue
		}
		body, err := change(e.body)
		if err != nil {
			return nil, fmt.Errorf("change %s: %w", e.hdr.Name, err)
		}
		e.body, e.hdr.Size = body, int64(len(body))
		changed[e.hdr.Name] = body
	}
	if len(changed) == 0 {
		return nil, fmt.Errorf("no file of the archive ends in %s", suffix)
	}
	last := &entries[len(entries)-1]
	var man map[string]json.RawMessage
	if err := json.Unmarshal(last.body, &man); err != nil {
		return nil, fmt.Errorf("decode %s: %w", manifestName, err)
	}
	var files []map[string]any
	if err := json.Unmarshal(man["files"], &files); err != nil {
		return nil, fmt.Errorf("decode %s: %w", manifestName, err)
	}
	for _, f := range files {
		if body, ok := changed[fmt.Sprint(f["path"])]; ok {
			f["size"], f["crc32c"] = len(body), crc32.Checksum(body, castagnoli)
		}
	}
	var err error
	if man["files"], err = json.Marshal(files); err == nil {
		last.body, err = json.Marshal(man)
	}
	if err != nil {
		return nil, err
	}
	last.hdr.Size = int64(len(last.body))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// envelopeHeader is the size of the engine envelope before its JSON body:
// magic (8), version (4), body length (4), CRC-32C of the body (4).
const envelopeHeader = 20

// Reseal returns the engine file b (collection file, shard manifest) with
// edit applied to its JSON body (numbers kept as json.Number) and the
// envelope's length and CRC-32C recomputed.
func Reseal(b []byte, edit func(body map[string]any)) ([]byte, error) {
	if len(b) < envelopeHeader {
		return nil, fmt.Errorf("engine file of %d bytes", len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b[envelopeHeader:]))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("decode engine file: %w", err)
	}
	edit(body)
	nb, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), b[:12]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(nb)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(nb, castagnoli))
	return append(out, nb...), nil
}

// A Lie edits the JSON body of the engine files whose archive paths end in
// Suffix.
type Lie struct {
	// Name says what the lie is.
	Name string
	// Suffix selects the files: CollectionFile or ShardManifest.
	Suffix string
	// Edit changes the decoded body.
	Edit func(body map[string]any)
}

// Suffixes of the engine files a Lie edits.
const (
	// CollectionFile is the collection file (engine.CollectionFile).
	CollectionFile = "collection"
	// ShardManifest is shard 0's manifest (engine.ManifestFile).
	ShardManifest = "shard-0/manifest"
)

// Apply returns the archive b with lie told.
func Apply(b []byte, lie Lie) ([]byte, error) {
	return RewriteArchive(b, lie.Suffix, func(f []byte) ([]byte, error) { return Reseal(f, lie.Edit) })
}

// Lies are the crafted archives of issue 21 for an archive of a
// collection of one shard whose unnamed vector has dimension dim (and, for
// the manifest lie, at least one sealed segment in shard 0).
func Lies(dim int) []Lie {
	return []Lie{
		{"vector size over segments of another", CollectionFile, func(m map[string]any) {
			object(m, "config", "params", "vectors")["size"] = dim + 1
		}},
		{"segment listed twice", ShardManifest, func(m map[string]any) {
			if segs, ok := m["segments"].([]any); ok && len(segs) > 0 {
				m["segments"] = append(segs, segs[0])
			}
		}},
		{"shard_number 8 over one shard", CollectionFile, func(m map[string]any) {
			object(m, "config", "params")["shard_number"] = 8
		}},
		{"shard_number 1024 over one shard", CollectionFile, func(m map[string]any) {
			object(m, "config", "params")["shard_number"] = 1024
		}},
		{"wal_capacity_mb 0", CollectionFile, func(m map[string]any) {
			object(m, "config", "wal_config")["wal_capacity_mb"] = 0
		}},
		// Beyond engine.MaxWalCapacityMB: refused by the config's bounds
		// (400), before the free-space check would answer it with ENOSPC
		// (500) on a disk without 1 TB free, or a WAL segment that size
		// were preallocated on one with it.
		{"wal_capacity_mb 1000000", CollectionFile, func(m map[string]any) {
			object(m, "config", "wal_config")["wal_capacity_mb"] = 1000000
		}},
	}
}

// object walks keys down nested JSON objects, creating missing ones.
func object(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}
