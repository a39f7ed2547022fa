package engine

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/cairn-db/cairn/vfs"
)

// checkCreateSpace refuses, before anything is written, a collection whose
// WAL preallocation (per shard, one segment of wal_capacity_mb and
// wal_segments_ahead more) does not fit in the free space of the storage's
// filesystem.
func (st *Storage) checkCreateSpace(name string, cfg *CollectionConfig) error {
	free, err := st.opts.FreeSpace(filepath.Join(st.dir, collectionsDir))
	if err != nil {
		return fmt.Errorf("create collection %s: check free space: %w", name, err)
	}
	shards, segMB, segs := cfg.Params.ShardNumber, cfg.WalConfig.WalCapacityMB, 1+cfg.WalConfig.WalSegmentsAhead
	need := int64(shards) * int64(segs) * int64(segMB) << 20
	if need > free {
		return &engineError{ErrNoSpace, fmt.Sprintf(
			"Not enough free space to create collection %s: its WAL needs %d bytes (%d shards × %d segments × %d MiB), the storage has %d bytes free",
			name, need, shards, segs, segMB, free)}
	}
	return nil
}

// setDefaults fills the Options fields whose nil means a default: FS,
// Logger, FreeSpace and Memory. Open and verifyStorage call it, so nothing past
// them checks for nil.
func (o *Options) setDefaults() {
	if o.FS == nil {
		o.FS = vfs.OS
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FreeSpace == nil {
		o.FreeSpace = vfs.FreeSpace
	}
	if o.Memory == nil {
		o.Memory = readMemory
	}
}
