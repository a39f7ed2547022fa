package engine

import (
	"fmt"
	"path/filepath"

	"github.com/cairn-db/cairn/vfs"
)

// checkCreateSpace refuses, before anything is written, a collection whose
// WAL preallocation (per shard, one segment of wal_capacity_mb and
// wal_segments_ahead more) does not fit in the free space of the storage's
// filesystem.
func (st *Storage) checkCreateSpace(name string, cfg *CollectionConfig) error {
	free, err := st.freeSpace(filepath.Join(st.dir, collectionsDir))
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

// freeSpace returns the bytes free on the filesystem holding dir:
// Options.FreeSpace, vfs.FreeSpace when that is nil.
func (st *Storage) freeSpace(dir string) (int64, error) {
	if st.opts.FreeSpace != nil {
		return st.opts.FreeSpace(dir)
	}
	return vfs.FreeSpace(dir)
}
