package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

// RemoteMagic and RemoteVersion open every remote snapshot manifest this
// build writes; it reads versions remoteMinVersion to RemoteVersion
// (version 2 added cut_at, wal_lsns and timelines).
const (
	RemoteMagic      = "cairn-remote-snapshot"
	RemoteVersion    = 2
	remoteMinVersion = 1
)

// maxRemoteFileSize bounds one file a remote manifest may list (1 TiB).
const maxRemoteFileSize = 1 << 40

// RemoteChunkSize is the length of every chunk of a file but its last:
// files are stored as fixed chunks, so a file that only grows (a WAL
// segment) uploads only its new chunks, and a large file uploads and
// downloads in parallel.
const RemoteChunkSize = 4 << 20

// maxChunks bounds the chunks a remote manifest may list in all.
const maxChunks = 1 << 22

// RemoteChunk is one chunk of a file: its bytes from the end of the chunk
// before it.
type RemoteChunk struct {
	// Size is the chunk's length in bytes (uncompressed).
	Size int64 `json:"size"`
	// SHA256 is the chunk's SHA-256 in lowercase hex (uncompressed).
	SHA256 string `json:"sha256"`
	// Object is the key of the object holding it (objectKey).
	Object string `json:"object"`
}

// RemoteEntry is one folder or regular file of a remote snapshot, in
// archive order.
type RemoteEntry struct {
	// Path is the slash-separated path inside the archive.
	Path string `json:"path"`
	// Dir marks a folder; a folder has no other field.
	Dir bool `json:"dir,omitempty"`
	// Size is the file's length in bytes (uncompressed).
	Size int64 `json:"size,omitempty"`
	// CRC32C is the file's CRC-32C (Castagnoli), as in the archive manifest.
	CRC32C uint32 `json:"crc32c,omitempty"`
	// Chunks hold the file's content in order; an empty file has none.
	Chunks []RemoteChunk `json:"chunks,omitempty"`
}

// RemoteManifest is the body of a remote snapshot's manifest object.
type RemoteManifest struct {
	// Kind says what the snapshot holds.
	Kind Kind `json:"kind"`
	// Name is the snapshot's name, as listed.
	Name string `json:"name"`
	// Collection names the collection of a collection or shard snapshot.
	Collection string `json:"collection,omitempty"`
	// Shard is the shard id of a shard snapshot.
	Shard uint32 `json:"shard,omitempty"`
	// CreatedAt is the cut time in UTC, to the second.
	CreatedAt time.Time `json:"created_at"`
	// Config is the owner's configuration, as in the archive manifest.
	Config json.RawMessage `json:"config,omitempty"`
	// CutAt is when the cut's hold on writes had ended, UTC, to the
	// nanosecond: every write the snapshot holds is older (a
	// point-in-time recovery's choice of snapshot). Version 2; zero in
	// version 1 manifests.
	CutAt time.Time `json:"cut_at,omitzero"`
	// WALLSNs and Timelines are as in the archive manifest. Version 2.
	WALLSNs   []uint64          `json:"wal_lsns,omitempty"`
	Timelines map[string]string `json:"timelines,omitempty"`
	// Entries lists every folder and file of the archive but its manifest.
	Entries []RemoteEntry `json:"entries"`
}

// remoteEnvelope is the manifest object: the body and its SHA-256, taken
// over the body's bytes exactly as stored.
type remoteEnvelope struct {
	Magic   string          `json:"magic"`
	Version int             `json:"version"`
	SHA256  string          `json:"sha256"`
	Body    json.RawMessage `json:"body"`
}

// encodeRemote returns the manifest object of rm.
func encodeRemote(rm *RemoteManifest) ([]byte, error) {
	body, err := json.Marshal(rm)
	if err != nil {
		return nil, fmt.Errorf("encode remote manifest: %w", err)
	}
	sum := sha256.Sum256(body)
	return json.Marshal(remoteEnvelope{Magic: RemoteMagic, Version: RemoteVersion, SHA256: hex.EncodeToString(sum[:]), Body: body})
}

// parseRemote decodes and checks an untrusted manifest object: magic,
// version, checksum, kind, name, and every entry (paths confined and
// canonical, no duplicates, no file under a path taken by a file, sizes
// bounded, object keys of the file's own digest).
func parseRemote(b []byte) (*RemoteManifest, error) {
	var env remoteEnvelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: decode remote manifest: %v", ErrManifest, err)
	}
	if env.Magic != RemoteMagic {
		return nil, fmt.Errorf("%w: not a remote snapshot manifest (magic %q)", ErrManifest, env.Magic)
	}
	if env.Version < remoteMinVersion || env.Version > RemoteVersion {
		return nil, fmt.Errorf("%w: remote manifest version %d (this build reads %d to %d)", ErrFormatVersion, env.Version, remoteMinVersion, RemoteVersion)
	}
	sum := sha256.Sum256(env.Body)
	if hex.EncodeToString(sum[:]) != env.SHA256 {
		return nil, fmt.Errorf("%w: remote manifest fails its SHA-256", ErrCorrupt)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Body))
	dec.DisallowUnknownFields()
	var rm RemoteManifest
	if err := dec.Decode(&rm); err != nil {
		return nil, fmt.Errorf("%w: decode remote manifest body: %v", ErrManifest, err)
	}
	if env.Version < 2 && (!rm.CutAt.IsZero() || rm.WALLSNs != nil || rm.Timelines != nil) {
		return nil, fmt.Errorf("%w: a version %d remote manifest has version 2 fields", ErrManifest, env.Version)
	}
	if err := rm.check(); err != nil {
		return nil, err
	}
	return &rm, nil
}

func (rm *RemoteManifest) check() error {
	if err := checkTimelines(rm.Timelines); err != nil {
		return err
	}
	switch rm.Kind {
	case KindCollection, KindShard, KindFull:
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrManifest, rm.Kind)
	}
	if err := ValidName(rm.Name); err != nil {
		return fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if len(rm.Entries) > DefaultMaxEntries {
		return fmt.Errorf("%w: %d entries, at most %d", ErrTooLarge, len(rm.Entries), DefaultMaxEntries)
	}
	kinds := make(map[string]bool, len(rm.Entries)) // path -> is a folder
	chunks := 0
	for _, e := range rm.Entries {
		if err := checkEntryName(e.Path); err != nil || e.Path == ManifestName {
			return fmt.Errorf("%w: bad entry path %q", ErrManifest, e.Path)
		}
		if _, dup := kinds[e.Path]; dup {
			return fmt.Errorf("%w: %q listed twice", ErrManifest, e.Path)
		}
		kinds[e.Path] = e.Dir
		if e.Dir {
			if e.Size != 0 || len(e.Chunks) != 0 || e.CRC32C != 0 {
				return fmt.Errorf("%w: folder %q has file fields", ErrManifest, e.Path)
			}
			continue
		}
		if e.Size < 0 || e.Size > maxRemoteFileSize {
			return fmt.Errorf("%w: %q has size %d", ErrManifest, e.Path, e.Size)
		}
		if chunks += len(e.Chunks); chunks > maxChunks {
			return fmt.Errorf("%w: more than %d chunks", ErrTooLarge, maxChunks)
		}
		var total int64
		for _, c := range e.Chunks {
			sum, _, err := parseObjectKey(c.Object)
			if err != nil || sum != c.SHA256 || objstore.ValidKey(c.Object) != nil {
				return fmt.Errorf("%w: %q has object %q for SHA-256 %q", ErrManifest, e.Path, c.Object, c.SHA256)
			}
			if c.Size <= 0 || c.Size > RemoteChunkSize {
				return fmt.Errorf("%w: %q has a chunk of %d bytes", ErrManifest, e.Path, c.Size)
			}
			total += c.Size
		}
		if total != e.Size {
			return fmt.Errorf("%w: the chunks of %q hold %d bytes, its size is %d", ErrManifest, e.Path, total, e.Size)
		}
	}
	for _, e := range rm.Entries {
		for d := path.Dir(e.Path); d != "."; d = path.Dir(d) {
			if isDir, ok := kinds[d]; ok && !isDir {
				return fmt.Errorf("%w: %q lies under the file %q", ErrManifest, e.Path, d)
			}
		}
	}
	return nil
}

// archiveManifest is the manifest the synthesized archive ends with, the
// one a local archive of the same snapshot holds.
func (rm *RemoteManifest) archiveManifest() *Manifest {
	m := newManifest(Meta{Kind: rm.Kind, Collection: rm.Collection, Shard: rm.Shard, CreatedAt: rm.CreatedAt, Config: rm.Config,
		WALLSNs: rm.WALLSNs, Timelines: rm.Timelines})
	for _, e := range rm.Entries {
		if !e.Dir {
			m.Files = append(m.Files, FileEntry{Path: e.Path, Size: e.Size, CRC32C: e.CRC32C})
		}
	}
	return m
}

// readRemote reads and checks the manifest object key; a missing one gives
// ErrNotFound naming the snapshot.
func (m *Manager) readRemote(ctx context.Context, key string) (*RemoteManifest, error) {
	rc, err := m.Remote.Get(ctx, key, 0, -1)
	if errors.Is(err, objstore.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path.Base(key))
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot manifest %s: %w", path.Base(key), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("read snapshot manifest %s: %w", path.Base(key), err)
	}
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("%w: manifest %s is over %d bytes", ErrTooLarge, path.Base(key), maxManifestSize)
	}
	rm, err := parseRemote(b)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path.Base(key), err)
	}
	if rm.Name != path.Base(key) {
		return nil, fmt.Errorf("snapshot %s: %w: manifest names %q", path.Base(key), ErrManifest, rm.Name)
	}
	return rm, nil
}
