package snapshot

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/cairn-db/cairn/engine"
)

// RecoverShard restores shard id of the existing collection name from the
// shard snapshot archivePath (POST …/shards/{id}/snapshots/upload). The
// collection and the shard must exist (engine.ErrNotFound, ErrNoShard); the
// checksum, when not "", is checked first (ErrMalformedChecksum,
// ErrChecksumMismatch); the archive must be a shard snapshot (ErrWrongKind)
// and is unpacked under the temp path and verified before anything replaces
// live data (files that fail the engine's check give ErrCorrupt). The engine then refuses a snapshot whose collection differs in
// shard number or vectors (engine.ErrBadRequest) and swaps the shard
// atomically: searches running on the old data finish, new ones see the
// restored shard, the other shards keep theirs. Every priority restores the
// snapshot in full on a single node (see Priority).
func (m *Manager) RecoverShard(ctx context.Context, name string, id uint32, archivePath, checksum string, priority Priority) error {
	if err := m.CheckShard(name, id); err != nil {
		return err
	}
	err := m.restoreArchive(ctx, name, archivePath, checksum, priority, KindShard, func(dir string, sums engine.FileSums) error {
		return m.Storage.RestoreShard(name, id, dir, sums)
	})
	if err != nil {
		return fmt.Errorf("recover %s shard %d: %w", name, id, err)
	}
	m.prefetch(name)
	m.log().Info("recovered shard from snapshot", "collection", name, "shard", id,
		"archive", filepath.Base(archivePath), "priority", priority)
	return nil
}

// CheckShard returns nil when collection name exists and has shard id;
// otherwise an error wrapping engine.ErrNotFound or ErrNoShard (both 404).
func (m *Manager) CheckShard(name string, id uint32) error {
	_, _, err := m.shard(name, id)
	return err
}

// RecoverShardFromLocation is RecoverShard for PUT
// …/shards/{id}/snapshots/recover: location is a file:// URL inside the
// snapshots folder (see ResolveFileLocation), an http(s):// URL downloaded
// into the temp path (see PrepareRecover; apiKey, when not "", sent as the
// api-key header), or, as Qdrant's ShardSnapshotLocation allows, the plain
// name of one of the shard's own snapshots (ErrInvalidName or ErrNotFound
// when it names none).
func (m *Manager) RecoverShardFromLocation(ctx context.Context, name string, id uint32, location, checksum string, priority Priority, apiKey string) error {
	r, err := m.PrepareRecoverShard(name, id, location, checksum, priority, apiKey)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}

// PrepareRecoverShard is PrepareRecover for RecoverShardFromLocation: the
// collection and the shard must exist (engine.ErrNotFound, ErrNoShard).
func (m *Manager) PrepareRecoverShard(name string, id uint32, location, checksum string, priority Priority, apiKey string) (*Recovery, error) {
	c, dir, err := m.shard(name, id)
	if err != nil {
		return nil, err
	}
	rplain := func(snap string) (string, error) {
		rdir, err := remoteDir(c.Name(), &id)
		if err != nil {
			return "", err
		}
		return manifestKey(rdir, snap)
	}
	r, ok, err := m.prepareRemote(location, checksum, priority, rplain, func(ctx context.Context, key, checksum string) error {
		return m.RecoverShardRemote(ctx, name, id, key, checksum, priority)
	})
	if ok {
		return r, err
	}
	plain := func(snap string) (string, error) { return snapshotFile(dir, snap) }
	return m.prepare(location, checksum, priority, apiKey, plain, func(ctx context.Context, path, checksum string) error {
		return m.RecoverShard(ctx, name, id, path, checksum, priority)
	})
}
