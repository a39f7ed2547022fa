package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cairn-db/cairn/wal"
)

// VerifyStats counts what a folder verification checked.
type VerifyStats struct {
	// Shards is the number of shards opened.
	Shards int `json:"shards"`
	// Segments is the number of sealed segments checked.
	Segments int `json:"segments"`
	// Points is the number of points stored in those segments (deleted
	// ones included) plus the slots of the heads the WAL replay filled.
	Points int64 `json:"points"`
	// GraphNodes is the number of nodes of the HNSW graphs whose links
	// were checked.
	GraphNodes int64 `json:"graph_nodes"`
	// WALRecords is the number of WAL records read (wal.Check).
	WALRecords int64 `json:"wal_records"`
}

// Add adds o's counts to v.
func (v *VerifyStats) Add(o VerifyStats) {
	v.Shards += o.Shards
	v.Segments += o.Segments
	v.Points += o.Points
	v.GraphNodes += o.GraphNodes
	v.WALRecords += o.WALRecords
}

// add counts the opened shards' segments, points and graph nodes.
func (v *VerifyStats) add(shards []*shard) {
	for _, s := range shards {
		v.Shards++
		for _, h := range s.segs {
			v.Segments++
			v.Points += int64(h.seg.Len())
			for _, g := range h.graphs {
				v.GraphNodes += int64(g.Len())
			}
		}
		v.Points += int64(s.head.slots())
	}
}

// verifyStorage is a Storage that only verifies folders: no collection, no
// background work.
func verifyStorage(opts Options) *Storage {
	opts.setDefaults()
	opts.DisableBackground = true
	opts.Hooks = nil
	return &Storage{opts: opts, dir: opts.Dir}
}

// VerifyFolder runs on the collection folder dir, which is not live (for
// example one unpacked from a snapshot into a temp folder), every check a
// restore runs (VerifyCollectionDir, the whole-WAL check included),
// without an open Storage: opts gives the filesystem, logger and
// free-space measure (Dir is not used). It returns the counts of what it
// checked. It
// changes nothing in dir except what opening a WAL does (preallocation);
// errors wrap ErrVerify unless they are a fault of this machine.
func VerifyFolder(dir string, opts Options, known SumLookup) (VerifyStats, error) {
	var stats VerifyStats
	err := verifyStorage(opts).verifyCollectionDir(dir, known, &stats)
	return stats, err
}

// VerifyShardFolder runs on dir, a folder holding a collection file and the
// folder of shard id (a shard snapshot unpacked), the checks a shard
// restore runs on that shard, with the collection file's configuration
// standing for the live collection's.
func VerifyShardFolder(dir string, id uint32, opts Options, known SumLookup) (VerifyStats, error) {
	var stats VerifyStats
	f, err := loadCollectionFile(dir)
	if err != nil {
		return stats, verifyErr(err)
	}
	if int(id) >= f.Config.Params.ShardNumber {
		return stats, verifyErr(fmt.Errorf("%w: shard %d of a collection of %d shards", ErrCorrupt, id, f.Config.Params.ShardNumber))
	}
	sd := filepath.Join(dir, shardName(int(id)))
	if fi, err := os.Stat(sd); err != nil || !fi.IsDir() {
		return stats, verifyErr(fmt.Errorf("%w: %s missing", ErrCorrupt, shardName(int(id))))
	}
	err = verifyStorage(opts).verifyShardDir(filepath.Base(dir), f.Config, id, sd, known, &stats)
	return stats, err
}

// checkWALs reads the WAL of every shard folder of the collection folder
// dir whole (checkShardWAL), adding the records to stats when not nil.
func checkWALs(dir string, stats *VerifyStats) error {
	shards, err := shardDirs(dir)
	if err != nil {
		return err
	}
	for _, sd := range shards {
		n, err := checkShardWAL(sd)
		if err != nil {
			return err
		}
		if stats != nil {
			stats.WALRecords += n
		}
	}
	return nil
}

// shardDirs lists the shard-N folders of a collection folder.
func shardDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list collection folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) > len("shard-") && e.Name()[:len("shard-")] == "shard-" {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// checkShardWAL reads the WAL of the shard folder sd whole (wal.Check),
// before the shard is opened: a gap or a corrupt record, which opening the
// WAL would cut silently (losing the records after it), is an error naming
// the segment file. A shard without a WAL folder holds no record (opening
// it creates an empty one).
func checkShardWAL(sd string) (int64, error) {
	d := filepath.Join(sd, "wal")
	if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	n, err := wal.Check(d)
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return n, nil
}
