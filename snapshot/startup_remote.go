package snapshot

import (
	"context"
	"fmt"
	"strings"
)

// IsRemoteLocation says whether a start-up location is an s3:// URL, a
// snapshot of the Remote store (RecoverRemoteAtStartup,
// RecoverFullRemoteAtStartup) rather than a local archive.
func IsRemoteLocation(location string) bool {
	return strings.HasPrefix(strings.ToLower(location), "s3://")
}

// RecoverRemoteAtStartup restores the collection snapshot an
// s3://bucket/key location names in Remote (parsed as a recover location
// is, see PrepareRecover) as the collection name before the server starts
// (cairn serve --snapshot s3://…:NAME); force as for RecoverAtStartup.
func (m *Manager) RecoverRemoteAtStartup(ctx context.Context, location, name string, force bool) error {
	key, err := m.remoteLocation(location)
	if err != nil {
		return err
	}
	if !force && m.Storage.CollectionExists(name) {
		return fmt.Errorf("%w: collection %s (use --force-snapshot to overwrite)", ErrTargetExists, name)
	}
	return m.RecoverRemote(ctx, name, key, "", PrioritySnapshot)
}

// RecoverFullRemoteAtStartup restores the full snapshot an s3://bucket/key
// location names in Remote (its key {prefix}/snapshots/NAME) before the
// server starts (cairn serve --storage-snapshot s3://…); force as for
// RecoverFullRemote.
func (m *Manager) RecoverFullRemoteAtStartup(ctx context.Context, location string, force bool) error {
	key, err := m.remoteLocation(location)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(key, RemoteSnapshots+"/")
	if strings.Contains(name, "/") {
		return kindErrorf(ErrBadLocation, "Bad request: snapshot location %s names no full snapshot (want %s/NAME under the prefix)", location, RemoteSnapshots)
	}
	return m.RecoverFullRemote(ctx, name, force)
}
