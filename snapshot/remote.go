package snapshot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

// The layout of a Remote store (docs/format/remote.md).
const (
	// RemoteSnapshots is the key prefix of the snapshot manifests, laid
	// out as Qdrant lays out its snapshots in a bucket:
	// snapshots/{collection}/{name}, snapshots/{collection}/shards/{id}/{name}
	// and snapshots/{name} for full snapshots.
	RemoteSnapshots = "snapshots"
	// RemoteObjects is the key prefix of the content-addressed files:
	// objects/{sha256[:2]}/{sha256}, with ".zst" appended when compressed.
	RemoteObjects = "objects"
	// RemoteLeases is the key prefix of the leases creates write before
	// they rely on objects already present (see sweep).
	RemoteLeases = "leases"
	// zstdSuffix ends the key of a zstd-compressed object.
	zstdSuffix = ".zst"
)

// Compression settings of Manager.Compression.
const (
	CompressionNone = "none"
	CompressionZstd = "zstd"
	// DefaultCompression is used when Manager.Compression is "": chosen from
	// the figures in docs/BENCHMARKS.md ("Snapshot compression"): vector
	// files barely compress and zstd would cap a snapshot's speed below the
	// link's.
	DefaultCompression = CompressionNone
)

// DefaultRemoteGrace is the age below which a sweep keeps an unreferenced
// object and a lease: longer than any create takes between writing its
// lease and writing its manifest.
const DefaultRemoteGrace = 6 * time.Hour

// remoteWorkers bounds the uploads and downloads of one snapshot in flight.
const remoteWorkers = 4

// remoteOpTimeout bounds a listing, delete or manifest read against Remote
// made by a call that has no context of its own.
const remoteOpTimeout = 2 * time.Minute

// remoteState is a Manager's per-process state for Remote.
type remoteState struct {
	// gc is held shared by a create from before its lease is written until
	// its manifest is, and exclusively by a sweep: within one process a
	// sweep never sees a create half done.
	gc sync.RWMutex
	// mu guards names, last and described.
	mu sync.Mutex
	// names are the manifest keys being created, so two creates in the
	// same second take different names.
	names map[string]bool
	// hashes caches the digests of immutable files (remote_hashcache.go).
	hashes hashCache
	// last is, per manifest folder, the manifest this process wrote last
	// there (guarded by mu).
	last map[string]lastManifest
	// described keeps the listing entries of the manifests read, by key
	// (guarded by mu).
	described map[string]described
}

func (m *Manager) compression() (string, error) {
	switch m.Compression {
	case "":
		return DefaultCompression, nil
	case CompressionNone, CompressionZstd:
		return m.Compression, nil
	}
	return "", fmt.Errorf("snapshot compression %q: want %q or %q", m.Compression, CompressionNone, CompressionZstd)
}

func (m *Manager) grace() time.Duration {
	if m.RemoteGrace > 0 {
		return m.RemoteGrace
	}
	return DefaultRemoteGrace
}

// objectKey is the key of the object holding content of SHA-256 sum.
func objectKey(sum string, zstd bool) string {
	k := RemoteObjects + "/" + sum[:2] + "/" + sum
	if zstd {
		k += zstdSuffix
	}
	return k
}

// parseObjectKey checks that key is an object key and returns its digest
// and whether it is compressed.
func parseObjectKey(key string) (sum string, zstd bool, err error) {
	rest, ok := strings.CutPrefix(key, RemoteObjects+"/")
	if !ok {
		return "", false, fmt.Errorf("%q is not under %s/", key, RemoteObjects)
	}
	rest, zstd = strings.CutSuffix(rest, zstdSuffix)
	shard, sum, ok := strings.Cut(rest, "/")
	if !ok || len(sum) != 64 || shard != sum[:2] {
		return "", false, fmt.Errorf("%q is not %s/XX/SHA256", key, RemoteObjects)
	}
	for i := range len(sum) {
		if c := sum[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false, fmt.Errorf("%q holds no lowercase SHA-256", key)
		}
	}
	return sum, zstd, nil
}

// remoteDir is the folder of snapshots, relative to RemoteSnapshots, of a
// collection ("{collection}"), a shard ("{collection}/shards/{id}") or the
// full snapshots (""), named as the local folders (CollectionDir).
func remoteDir(collection string, shard *uint32) (string, error) {
	if collection == "" {
		return "", nil
	}
	dir, err := CollectionDir("", collection)
	if err != nil {
		return "", err
	}
	if shard != nil {
		dir = path.Join(dir, "shards", strconv.FormatUint(uint64(*shard), 10))
	}
	return dir, nil
}

// manifestKey is the key of the snapshot name in the folder dir.
func manifestKey(dir, name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	k := path.Join(RemoteSnapshots, dir, name)
	if err := objstore.ValidKey(k); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidName, name, err)
	}
	return k, nil
}

// reserveName claims the first free name from name (see withSuffix) in
// dir: one no manifest has and no create in this process is making. The
// caller calls release once its manifest is written or it failed.
func (m *Manager) reserveName(ctx context.Context, dir, name string) (key, final string, release func(), err error) {
	for n := range maxNameTries {
		cand := withSuffix(name, n)
		k, err := manifestKey(dir, cand)
		if err != nil {
			return "", "", nil, err
		}
		m.remote.mu.Lock()
		if m.remote.names == nil {
			m.remote.names = map[string]bool{}
		}
		taken := m.remote.names[k]
		m.remote.names[k] = true
		m.remote.mu.Unlock()
		if taken {
			continue
		}
		release = func() {
			m.remote.mu.Lock()
			defer m.remote.mu.Unlock()
			delete(m.remote.names, k)
		}
		_, err = m.Remote.Stat(ctx, k)
		if err == nil {
			release()
			continue
		}
		if !errors.Is(err, objstore.ErrNotExist) {
			release()
			return "", "", nil, fmt.Errorf("check snapshot name %s: %w", cand, err)
		}
		return k, cand, release, nil
	}
	return "", "", nil, fmt.Errorf("%w: %s and %d others in %s", ErrExists, name, maxNameTries-1, m.Remote)
}

// randomID returns 16 random hex digits.
func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// opContext bounds a Remote call made without a caller's context.
func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), remoteOpTimeout)
}
