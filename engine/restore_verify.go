package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cairn-db/cairn/segment"
)

// FileSums holds the CRC-32C of files handed to a restore, keyed by their
// path under the src folder the caller passes (src joined with the file's
// path relative to it). The caller vouches that each checksum was computed
// over the very bytes it wrote into that file and that nothing has written
// the file since: the snapshot extractor computes them as it writes. The
// restore's check then compares a segment file's checksum with the one its
// meta.seg lists instead of reading the file again; files without one are
// read. A restore that has to copy src (another filesystem) reads every
// file. nil means none.
type FileSums map[string]uint32

// SumLookup gives the vouched-for CRC-32C of the file at path, if any.
type SumLookup func(path string) (crc uint32, ok bool)

// lookup returns a SumLookup for the folder src now at staged: nil when
// sums is empty.
func (sums FileSums) lookup(src, staged string) SumLookup {
	if len(sums) == 0 {
		return nil
	}
	return func(p string) (uint32, bool) {
		rel, err := filepath.Rel(staged, p)
		if err != nil || !filepath.IsLocal(rel) {
			return 0, false
		}
		crc, ok := sums[filepath.Join(src, rel)]
		return crc, ok
	}
}

// VerifyCollectionDir checks a collection folder that is not live (for
// example one extracted from a snapshot): the collection file (its config
// through CollectionConfig.Validate), its shard folders against
// shard_number, every shard's manifest and contents against the files and
// the config (checkContents: vectors, point counts, graphs, unique and
// correctly routed ids, WAL reach, replayed records), every shard's WAL
// read whole before it is opened (no gap, no corrupt record: checkShardWAL),
// the full checksum of
// every listed segment file (graph files included; a file whose checksum
// known vouches for is compared without being read), every HNSW graph's
// structure, and the WAL, which it replays. It
// changes nothing in dir except what opening a WAL does (cutting a torn
// tail). Its errors wrap the cause, and ErrVerify unless the cause is a
// fault of this machine (see verifyErr).
//
// known, when not nil, gives the CRC-32C of files under dir that need not
// be read again (see FileSums).
func (st *Storage) VerifyCollectionDir(dir string, known SumLookup) error {
	return st.verifyCollectionDir(dir, known, nil)
}

// verifyCollectionDir is VerifyCollectionDir; stats, when not nil, receives
// the counts of what was checked.
func (st *Storage) verifyCollectionDir(dir string, known SumLookup, stats *VerifyStats) error {
	if err := checkStaged(dir, st.opts.FreeSpace); err != nil {
		return verifyErr(err)
	}
	if err := checkWALs(dir, stats); err != nil {
		return verifyErr(err)
	}
	opts := st.opts
	opts.DisableBackground = true
	opts.Hooks = nil
	c, err := openCollection(filepath.Base(dir), dir, &opts, true) // verifyShards checks the graphs
	if err != nil {
		return verifyErr(fmt.Errorf("open collection: %w", err))
	}
	for _, s := range c.shards {
		if err = s.checkContents(); err != nil {
			break
		}
	}
	if err == nil {
		err = verifyShards(c.shards, known)
	}
	if err == nil && stats != nil {
		stats.add(c.shards)
	}
	if err := errors.Join(err, c.closeShards()); err != nil {
		return verifyErr(err)
	}
	return nil
}

// verifyShards checks in full what opening shards checks only in part:
// every segment file against its checksum (segment.VerifyChecks, one check
// per file: read in full, or, for a file whose checksum known vouches for,
// that checksum compared with meta.seg's), and every HNSW graph's links
// (hnsw.Graph.CheckLinks, needed when the shards were opened with
// unverified graphs). A graph file is an extra file of its segment, listed
// in meta.seg with its checksum, so VerifyChecks has already covered its
// bytes; the graph's own body checksum would only read it again. The checks run on up
// to GOMAXPROCS goroutines, largest first; the errors are joined in
// segment order.
func verifyShards(shards []*shard, known SumLookup) error {
	var checks []segment.Check
	for _, s := range shards {
		for _, h := range s.segs {
			var inSeg func(string) (uint32, bool)
			if known != nil {
				dir := h.dir
				inSeg = func(name string) (uint32, bool) { return known(filepath.Join(dir, name)) }
			}
			checks = append(checks, h.seg.VerifyChecks(inSeg)...) // their errors name the segment
			for _, name := range h.graphNames() {
				g, dir := h.graphs[name], h.dir
				checks = append(checks, segment.Check{
					Size: int64(len(h.seg.Extra(graphFile(name)))), // links: one pass over the body
					Run: func() error {
						if err := g.CheckLinks(); err != nil {
							return fmt.Errorf("verify graph of %s: %w", dir, err)
						}
						return nil
					}})
			}
		}
	}
	order := make([]int, len(checks))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return checks[order[a]].Size > checks[order[b]].Size })
	errs := make([]error, len(checks))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(checks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1)) - 1; k < len(order); k = int(next.Add(1)) - 1 {
				errs[order[k]] = checks[order[k]].Run()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// verifyErr marks err, met while checking a folder to restore, as the
// folder failing its check (ErrVerify: a corrupt or crafted archive),
// unless it is a fault of this machine rather than of the files: out of
// file descriptors, memory or disk space, or an I/O error. Those stay
// what they are (a server error, not the client's).
func verifyErr(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EAGAIN, syscall.EINTR:
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrVerify, err)
}
