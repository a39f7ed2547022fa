package snapshot

import (
	"context"
	"fmt"
	"strings"
)

// ParseSnapshotFlag splits the value of `cairn serve --snapshot PATH:NAME`
// on its last ':' (a path may hold colons, a collection name may not).
func ParseSnapshotFlag(v string) (path, name string, err error) {
	i := strings.LastIndexByte(v, ':')
	if i <= 0 || i == len(v)-1 {
		return "", "", fmt.Errorf("--snapshot %q: want PATH:COLLECTION", v)
	}
	return v[:i], v[i+1:], nil
}

// RecoverAtStartup restores the collection snapshot archivePath as the
// collection name before the server starts (cairn serve --snapshot). An
// existing collection stops it with ErrTargetExists unless force is set
// (--force-snapshot), in which case it is replaced. The archive's own
// checksum file, when present beside it, is checked.
func (m *Manager) RecoverAtStartup(ctx context.Context, archivePath, name string, force bool) error {
	if !force && m.Storage.CollectionExists(name) {
		return fmt.Errorf("%w: collection %s (use --force-snapshot to overwrite)", ErrTargetExists, name)
	}
	return m.Recover(ctx, name, archivePath, ReadChecksumFile(archivePath), PrioritySnapshot)
}
