package snapshot

import (
	"context"
	"fmt"
	"path/filepath"
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
	if _, _, err := m.shard(name, id); err != nil {
		return err
	}
	dir, err := m.unpack(name, archivePath, checksum, priority, KindShard)
	if err != nil {
		return err
	}
	defer m.removeTemp(dir)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.Storage.RestoreShard(name, id, dir); err != nil {
		return fmt.Errorf("recover %s shard %d: %w", name, id, archiveError(err))
	}
	m.log().Info("recovered shard from snapshot", "collection", name, "shard", id,
		"archive", filepath.Base(archivePath), "priority", priority)
	return nil
}

// RecoverShardFromLocation is RecoverShard for PUT
// …/shards/{id}/snapshots/recover: location is a file:// URL inside the
// snapshots folder (ErrForbiddenLocation otherwise), an http(s):// URL
// downloaded into the temp path within MaxBytes and the free disk space
// (apiKey, when not "", sent as the api-key header), or, as Qdrant's
// ShardSnapshotLocation allows, the plain name of one of the shard's own
// snapshots (ErrInvalidName or ErrNotFound when it names none).
func (m *Manager) RecoverShardFromLocation(ctx context.Context, name string, id uint32, location, checksum string, priority Priority, apiKey string) error {
	if _, _, err := m.shard(name, id); err != nil {
		return err
	}
	plain := func(snap string) (string, error) {
		f, _, err := m.OpenShard(name, id, snap)
		if err != nil {
			return "", err
		}
		path := f.Name()
		return path, f.Close()
	}
	return m.fromLocation(ctx, location, checksum, priority, apiKey, plain, func(path, checksum string) error {
		return m.RecoverShard(ctx, name, id, path, checksum, priority)
	})
}
