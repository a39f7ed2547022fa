package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cairn-db/cairn/vfs"
)

// ManifestFile is the name of a shard's manifest; its format is in
// docs/format/manifest.md.
const ManifestFile = "manifest"

const (
	manifestMagic   = "CAIRNMAN"
	manifestVersion = 1
)

// manifest is a shard's durable state: the live segment folders and the
// last operation they contain. WAL records after SealedLSN are replayed on
// open; segment folders not listed are removed.
type manifest struct {
	SealedLSN   uint64          `json:"sealed_lsn"`
	NextSegment uint64          `json:"next_segment"`
	Segments    []manifestEntry `json:"segments"`
}

// manifestEntry is one live segment.
type manifestEntry struct {
	Name   string   `json:"name"`
	Points int      `json:"points"`
	Graphs []string `json:"graphs,omitempty"`
}

func encodeManifest(m *manifest) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return sealEnvelope(manifestMagic, manifestVersion, body), nil
}

func decodeManifest(b []byte) (*manifest, error) {
	body, err := openEnvelope(manifestMagic, manifestVersion, b)
	if err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w: %v", ErrCorrupt, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("decode manifest: %w: %v", ErrCorrupt, err)
	}
	return &m, nil
}

// check validates what a manifest says on its own, before any segment is
// opened: every segment is named seg-N with N below next_segment (the next
// seal or merge must not reuse a listed name), listed once (two entries for
// one folder would count its points twice, and the first merge would remove
// the folder the other entry still names), with a point count of 0 or more
// and each graph listed once.
func (m *manifest) check() error {
	seen := make(map[string]bool, len(m.Segments))
	for _, e := range m.Segments {
		if e.Name == "" || e.Name != filepath.Base(e.Name) || e.Name[0] == '.' {
			return fmt.Errorf("bad segment name %q", e.Name)
		}
		n, ok := segmentNumber(e.Name)
		switch {
		case !ok:
			return fmt.Errorf("segment name %q is not seg-N", e.Name)
		case n >= m.NextSegment:
			return fmt.Errorf("segment %s is not below next_segment %d", e.Name, m.NextSegment)
		case seen[e.Name]:
			return fmt.Errorf("segment %s listed twice", e.Name)
		case e.Points < 0:
			return fmt.Errorf("segment %s has %d points", e.Name, e.Points)
		}
		seen[e.Name] = true
		graphs := make(map[string]bool, len(e.Graphs))
		for _, g := range e.Graphs {
			if graphs[g] {
				return fmt.Errorf("segment %s lists the graph of %s twice", e.Name, vectorWhat(g))
			}
			graphs[g] = true
		}
	}
	return nil
}

// segmentNumber parses a segment folder name, seg-N (newSegNameLocked).
func segmentNumber(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, "seg-")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// loadManifest reads the manifest in dir; a missing file is an empty shard.
func loadManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &manifest{NextSegment: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return decodeManifest(b)
}

func storeManifest(fsys vfs.FS, dir string, m *manifest) error {
	b, err := encodeManifest(m)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(fsys, filepath.Join(dir, ManifestFile), b); err != nil {
		return fmt.Errorf("store manifest: %w", err)
	}
	return nil
}
