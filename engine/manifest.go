package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	for _, e := range m.Segments {
		if e.Name == "" || e.Name != filepath.Base(e.Name) || e.Name[0] == '.' {
			return nil, fmt.Errorf("decode manifest: %w: bad segment name %q", ErrCorrupt, e.Name)
		}
	}
	return &m, nil
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
