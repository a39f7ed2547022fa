package snapshot

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// FormatVersion is the archive format this build writes and reads.
const FormatVersion = 1

// ManifestName is the path of the manifest inside an archive: always the
// last entry.
const ManifestName = "snapshot.json"

// maxManifestSize bounds the manifest read into memory from an untrusted
// archive.
const maxManifestSize = 64 << 20

// Kind says what a snapshot holds.
type Kind string

// The kinds of snapshot.
const (
	KindCollection Kind = "collection"
	KindShard      Kind = "shard"
	KindFull       Kind = "full"
)

// Meta describes a snapshot being made; it is copied into the manifest.
type Meta struct {
	// Kind says what the snapshot holds.
	Kind Kind
	// Collection names the collection of a collection or shard snapshot.
	Collection string
	// Shard is the shard id of a shard snapshot.
	Shard uint32
	// CreatedAt is the snapshot's cut time; it is also every entry's mtime.
	// The zero time means now.
	CreatedAt time.Time
	// Config is the owner's configuration (JSON), opaque to this package.
	Config json.RawMessage
	// WALLSNs is, per shard, the last WAL LSN a collection snapshot covers.
	WALLSNs []uint64
	// Timelines maps each collection the snapshot holds to the timeline it
	// was cut on (engine.Timeline, FormatTimeline form).
	Timelines map[string]string
}

// FileEntry describes one regular file of an archive.
type FileEntry struct {
	// Path is the file's slash-separated path inside the archive.
	Path string `json:"path"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// CRC32C is the file's CRC-32C (Castagnoli).
	CRC32C uint32 `json:"crc32c"`
}

// Manifest is the archive's table of contents, stored as its last entry.
type Manifest struct {
	// Format is the archive format version (FormatVersion).
	Format int `json:"format"`
	// Kind says what the snapshot holds.
	Kind Kind `json:"kind"`
	// Collection names the collection of a collection or shard snapshot.
	Collection string `json:"collection,omitempty"`
	// Shard is the shard id of a shard snapshot.
	Shard uint32 `json:"shard,omitempty"`
	// CreatedAt is the snapshot's cut time in UTC.
	CreatedAt time.Time `json:"created_at"`
	// Config is the owner's configuration, opaque to this package and
	// informational only: restores and verify ignore it and read the
	// archive's collection file instead (docs/format/snapshot.md).
	Config json.RawMessage `json:"config,omitempty"`
	// WALLSNs is, per shard, the last WAL LSN a collection snapshot covers:
	// a point-in-time recovery replays the WAL archive after it. Absent in
	// older snapshots and in shard and full ones.
	WALLSNs []uint64 `json:"wal_lsns,omitempty"`
	// Timelines maps each collection the snapshot holds to the timeline
	// (engine.FormatTimeline) it was cut on: the WAL archive a
	// point-in-time recovery replays. Absent in older snapshots and for a
	// collection on timeline 0 (docs/format/wal-archive.md).
	Timelines map[string]string `json:"timelines,omitempty"`
	// Files lists every regular file of the archive except the manifest, in
	// archive order.
	Files []FileEntry `json:"files"`
}

func newManifest(m Meta) *Manifest {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	return &Manifest{
		Format: FormatVersion, Kind: m.Kind, Collection: m.Collection, Shard: m.Shard,
		CreatedAt: m.CreatedAt.UTC().Truncate(time.Second), Config: m.Config, WALLSNs: m.WALLSNs, Timelines: m.Timelines, Files: []FileEntry{},
	}
}

// parseManifest decodes and checks a manifest read from an untrusted archive.
func parseManifest(b []byte) (*Manifest, error) {
	var probe struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: decode %s: %v", ErrManifest, ManifestName, err)
	}
	if probe.Format == nil {
		return nil, fmt.Errorf("%w: %s has no format version", ErrManifest, ManifestName)
	}
	if *probe.Format != FormatVersion {
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrFormatVersion, *probe.Format, FormatVersion)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: decode %s: %v", ErrManifest, ManifestName, err)
	}
	switch m.Kind {
	case KindCollection, KindShard, KindFull:
	default:
		return nil, fmt.Errorf("%w: unknown kind %q", ErrManifest, m.Kind)
	}
	if err := checkTimelines(m.Timelines); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if err := checkEntryName(f.Path); err != nil || f.Path == ManifestName {
			return nil, fmt.Errorf("%w: bad file path %q", ErrManifest, f.Path)
		}
		if seen[f.Path] {
			return nil, fmt.Errorf("%w: %q listed twice", ErrManifest, f.Path)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("%w: %q has a negative size", ErrManifest, f.Path)
		}
		seen[f.Path] = true
	}
	return &m, nil
}

// verifyFiles checks that the files found in an archive are exactly those
// the manifest lists, with the same sizes and checksums.
func (m *Manifest) verifyFiles(got map[string]FileEntry) error {
	if len(got) != len(m.Files) {
		return fmt.Errorf("%w: archive holds %d files, manifest lists %d", ErrManifest, len(got), len(m.Files))
	}
	for _, want := range m.Files {
		g, ok := got[want.Path]
		switch {
		case !ok:
			return fmt.Errorf("%w: %q listed but absent", ErrManifest, want.Path)
		case g.Size != want.Size:
			return fmt.Errorf("%w: %q is %d bytes, manifest says %d", ErrManifest, want.Path, g.Size, want.Size)
		case g.CRC32C != want.CRC32C:
			return fmt.Errorf("%w: %q fails its CRC-32C", ErrManifest, want.Path)
		}
	}
	return nil
}

// Bounds on an entry's path. Extracting a path costs time in the square of
// its depth (every folder of it is created, remembered and synced), so an
// unbounded "a/a/a/…" of a few KiB would hold the server for minutes.
const (
	maxEntryPathLen = 1024
	maxEntryDepth   = 32
)

// checkEntryName accepts the canonical, local, slash-separated paths this
// package writes, and nothing else.
func checkEntryName(name string) error {
	switch {
	case name == "" || name == ".":
		return fmt.Errorf("%w: empty name", ErrUnsafeEntry)
	case len(name) > maxEntryPathLen:
		return fmt.Errorf("%w: path of %d bytes, more than %d", ErrUnsafeEntry, len(name), maxEntryPathLen)
	case strings.Count(name, "/") >= maxEntryDepth:
		return fmt.Errorf("%w: path deeper than %d elements", ErrUnsafeEntry, maxEntryDepth)
	case strings.ContainsAny(name, "\x00\\"):
		return fmt.Errorf("%w: %q contains NUL or a backslash", ErrUnsafeEntry, name)
	case path.IsAbs(name):
		return fmt.Errorf("%w: %q is absolute", ErrUnsafeEntry, name)
	case path.Clean(name) != name:
		return fmt.Errorf("%w: %q is not a clean path", ErrUnsafeEntry, name)
	case !filepath.IsLocal(name):
		return fmt.Errorf("%w: %q leaves the folder", ErrUnsafeEntry, name)
	}
	return nil
}
