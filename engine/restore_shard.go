package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cairn-db/cairn/payload"
)

// A shard restore replaces one shard folder of a live collection with the
// restore machinery of restore.go: the intent names the collection and, in
// its Shard field, the shard folder inside it. The staged and trash folders
// live in the collections folder (dot-prefixed, so Open removes them when no
// intent names them), and the swap reopens the whole collection: searches
// running on the old Collection finish on its files, new calls see the
// restored shard, the other shards reopen from their own (untouched)
// folders.

// target returns the folder a restore replaces: the collection folder, or
// the shard folder inside it when in.Shard is set.
func (in restoreIntent) target(root string) string {
	if in.Shard != "" {
		return filepath.Join(root, in.Name, in.Shard)
	}
	return filepath.Join(root, in.Name)
}

// errShardNotFound reports a shard id the collection does not have.
func errShardNotFound(name string, id uint32) error {
	return &engineError{ErrNotFound, fmt.Sprintf("Not found: Shard %d of collection `%s` doesn't exist!", id, name)}
}

// RestoreShard replaces shard id of the collection name (or the collection
// an alias points at) with the shard held by src: a folder laid out as a
// collection folder (as a shard snapshot unpacks) holding at least the
// collection file and the folder shard-ID. The snapshot's collection file
// must agree with the live collection on the shard number and on every
// vector's name, size and distance (ErrBadRequest otherwise); a shard id out
// of range gives ErrNotFound. The shard folder is moved next to the live
// collections and verified there (manifest, segment checksums, graph links,
// WAL replay)
// before anything changes; on any error before the swap the collection is
// untouched. The swap is the collection restore's (swapLocked): searches
// running on the old data finish, new ones see the restored shard, the
// other shards keep their data; writes in flight on the collection fail
// with its closed WAL. A crash at any moment leaves the old or the new
// shard at the next Open. The live collection's configuration and payload
// index definitions are kept. sums, when not nil, vouches for the
// checksums of files under src (FileSums).
func (st *Storage) RestoreShard(name string, id uint32, src string, sums FileSums) error {
	c, err := st.Collection(name)
	if err != nil {
		return err
	}
	name = c.Name()
	cfg := c.Config()
	if err := checkShardSource(name, cfg, id, src); err != nil {
		return err
	}
	root := filepath.Join(st.dir, collectionsDir)
	seq := st.seq.Add(1)
	in := restoreIntent{
		Name:   name,
		Shard:  shardName(int(id)),
		Staged: workName("restore", seq, name+"."+shardName(int(id))),
		Trash:  workName("deleted", seq, name+"."+shardName(int(id))),
	}
	verify := func(known []SumLookup) error {
		if err := st.verifyShardDir(name, cfg, id, filepath.Join(root, in.Staged), known[0], nil); err != nil {
			return fmt.Errorf("%s: %w", in.what(), err)
		}
		return nil
	}
	return st.stage(root, in.what(), []restoreIntent{in}, []string{filepath.Join(src, in.Shard)}, sums, verify, func() error {
		cur, ok := st.collections[name]
		if !ok {
			return errNotFound(name) // deleted meanwhile
		}
		if err := sameShardLayout(name, cur.Config(), cfg); err != nil {
			return err // recreated meanwhile with another layout
		}
		if err := st.renewLiveTimeline(cur); err != nil {
			return fmt.Errorf("%s: %w", in.what(), err)
		}
		return st.swapLocked(in, root)
	})
}

// checkShardSource checks that src holds shard id of a collection laid out
// as cfg.
func checkShardSource(name string, cfg CollectionConfig, id uint32, src string) error {
	if int(id) >= cfg.Params.ShardNumber {
		return errShardNotFound(name, id)
	}
	f, err := loadCollectionFile(src)
	if err != nil {
		return errBadRequest("shard snapshot of %s: %v", name, err)
	}
	if err := sameShardLayout(name, cfg, f.Config); err != nil {
		return err
	}
	fi, err := os.Stat(filepath.Join(src, shardName(int(id))))
	if err == nil && fi.IsDir() {
		return nil
	}
	held := []string{}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "shard-") {
			held = append(held, e.Name())
		}
	}
	return errBadRequest("shard snapshot of %s holds %v, not %s", name, held, shardName(int(id)))
}

// sameShardLayout reports (ErrBadRequest) how snap differs from live in what
// a shard's files depend on: the shard number (point routing) and every
// vector's name, size and distance.
func sameShardLayout(name string, live, snap CollectionConfig) error {
	if live.Params.ShardNumber != snap.Params.ShardNumber {
		return errBadRequest("shard snapshot of %s is from a collection of %d shards, the collection has %d",
			name, snap.Params.ShardNumber, live.Params.ShardNumber)
	}
	lv, sv := live.Params.Vectors, snap.Params.Vectors
	if len(lv) != len(sv) {
		return errBadRequest("shard snapshot of %s has vectors %v, the collection has %v", name, sv.Names(), lv.Names())
	}
	for n, p := range lv {
		q, ok := sv[n]
		switch {
		case !ok:
			return errBadRequest("shard snapshot of %s has no vector %s", name, vectorLabel(n))
		case p.Size != q.Size:
			return errBadRequest("shard snapshot of %s: vector %s has size %d, the collection's has %d", name, vectorLabel(n), q.Size, p.Size)
		case p.Distance != q.Distance:
			return errBadRequest("shard snapshot of %s: vector %s uses distance %s, the collection's uses %s", name, vectorLabel(n), q.Distance, p.Distance)
		}
	}
	ls, ss := live.Params.SparseVectors.Names(), snap.Params.SparseVectors.Names()
	if !slices.Equal(ls, ss) {
		return errBadRequest("shard snapshot of %s has sparse vectors %v, the collection has %v", name, ss, ls)
	}
	return nil
}

// verifyShardDir reads the WAL of the shard folder dir (not live) whole
// (checkShardWAL), opens it as shard id of a collection configured as cfg,
// replays its WAL, checks its manifest and
// contents against the files and cfg (checkContents: vectors, point
// counts, graphs, ids unique and routed to shard id, WAL reach, replayed
// records), the full checksum of every listed segment file (known: see
// verifyShards) and every graph, then closes it. Its errors wrap the
// cause, and ErrVerify unless it is a fault of this machine (see
// verifyErr).
func (st *Storage) verifyShardDir(name string, cfg CollectionConfig, id uint32, dir string, known SumLookup, stats *VerifyStats) error {
	if err := checkWALRoom(st.opts.FreeSpace, dir, 1, cfg.WalConfig.WalCapacityMB); err != nil {
		return verifyErr(err)
	}
	n, err := checkShardWAL(dir)
	if err != nil {
		return verifyErr(err)
	}
	if stats != nil {
		stats.WALRecords += n
	}
	core := &collCore{name: name, dir: filepath.Dir(dir), fs: st.opts.FS, logger: st.opts.Logger,
		cfg: cfg, indexes: map[string]payload.FieldSchema{}, specs: vectorSpecs(&cfg), now: st.opts.now()}
	s, err := openShard(core, int(id), dir, true) // verifyShards checks the graphs
	if err != nil {
		return verifyErr(fmt.Errorf("open shard: %w", err))
	}
	err = s.checkContents()
	if err == nil {
		err = verifyShards([]*shard{s}, known)
	}
	if err == nil && stats != nil {
		stats.add([]*shard{s})
	}
	if err := errors.Join(err, s.close()); err != nil {
		return verifyErr(err)
	}
	return nil
}
