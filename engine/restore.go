package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
)

// A restore replaces a collection folder with a rename-based swap guarded by
// an intent file in the storage folder (docs/format/snapshot.md, "Restore"):
//
//  1. the verified new folder is moved to collections/.restore-N-NAME;
//  2. restore-intent-N is written atomically: from now on the restore
//     rolls forward;
//  3. collections/NAME is renamed to collections/.deleted-N-NAME;
//  4. collections/.restore-N-NAME is renamed to collections/NAME;
//  5. the intent file is removed, then the .deleted folder.
//
// recoverRestores, run by Open before it lists the collections, finishes
// steps 3–5 for every intent file left by a crash. Without an intent file
// the dot-prefixed folders are leftovers that Open removes, so a crash
// leaves either the old collection or the new one.

const (
	restoreIntentPrefix  = "restore-intent-"
	restoreIntentMagic   = "CAIRNRST"
	restoreIntentVersion = 1
)

// restoreIntent is the body of a restore-intent-N file: folder names inside
// the collections folder.
type restoreIntent struct {
	Name   string `json:"name"`
	Staged string `json:"staged"`
	Trash  string `json:"trash"`
	// Shard, when set, names the shard folder inside collection Name that
	// the restore replaces (restore_shard.go); empty replaces the whole
	// collection folder.
	Shard string `json:"shard,omitempty"`
}

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
// correctly routed ids, WAL reach, replayed records), the full checksum of
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
	if err := checkStaged(dir, st.freeSpace); err != nil {
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

// RestoreCollection makes the collection folder src (laid out as a live
// collection folder, e.g. extracted from a snapshot under the temp path) the
// collection name: created if absent, otherwise replaced atomically (a
// collection that failed to open included: the restored one takes its
// place, and its failed entry and issue go). src is
// moved next to the live collections (copied when it lies on another
// filesystem) and verified there first (VerifyCollectionDir); on any error
// before the swap the live collection is untouched and the moved folder is
// removed. Searches running on the old collection finish on its files; new
// calls see the restored one, nothing in between; writes still in flight on
// the old collection fail with its closed WAL. Aliases are kept. A crash at
// any moment leaves the old or the new collection at the next Open. sums,
// when not nil, vouches for the checksums of files under src (FileSums).
func (st *Storage) RestoreCollection(name, src string, sums FileSums) error {
	if err := validateName("collection_name", name); err != nil {
		return err
	}
	root := filepath.Join(st.dir, collectionsDir)
	seq := st.seq.Add(1)
	in := restoreIntent{
		Name:   name,
		Staged: workName("restore", seq, name),
		Trash:  workName("deleted", seq, name),
	}
	verify := func(known []SumLookup) error {
		if err := st.VerifyCollectionDir(filepath.Join(root, in.Staged), known[0]); err != nil {
			return fmt.Errorf("%s: %w", in.what(), err)
		}
		return nil
	}
	return st.stage(root, in.what(), []restoreIntent{in}, []string{src}, sums, verify, func() error {
		if _, ok := st.aliases[name]; ok {
			return errAlreadyExists("Alias", name)
		}
		return st.swapLocked(in, root)
	})
}

// stage runs what every restore does around its swap. It moves each
// srcs[i] to root/steps[i].Staged, then fsyncs root (the staged names must
// be durable before an intent names them) while verify checks the staged
// folders, then runs swap under st.mu unless the storage is closed. verify
// gets, for each step, the checksums of sums that still hold for the
// staged folder (nil when a move had to copy it), by staged path. The
// staged folders are removed on return (a successful swap has renamed
// them already) unless swap failed leaving its intent (errIntentPending),
// which the next Open completes with them. label names the restore in a
// sync error; verify wraps its own errors.
func (st *Storage) stage(root, label string, steps []restoreIntent, srcs []string, sums FileSums, verify func(known []SumLookup) error, swap func() error) error {
	keep := false // an intent that could not be removed needs the staged folders
	defer func() {
		if !keep {
			for _, s := range steps {
				_ = st.opts.FS.RemoveAll(filepath.Join(root, s.Staged))
			}
		}
	}()
	known := make([]SumLookup, len(steps))
	for i, s := range steps {
		staged := filepath.Join(root, s.Staged)
		copied, err := moveDir(st.opts.FS, srcs[i], staged)
		if err != nil {
			return fmt.Errorf("%s: stage: %w", s.what(), err)
		}
		if !copied {
			known[i] = sums.lookup(srcs[i], staged)
		}
	}
	if err := concurrently(func() error { return verify(known) }, func() error {
		if err := st.opts.FS.SyncDir(root); err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		return nil
	}); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	err := swap()
	keep = errors.Is(err, errIntentPending)
	return err
}

// what names the restore of in in errors.
func (in restoreIntent) what() string {
	if in.Shard != "" {
		return fmt.Sprintf("restore %s %s", in.Name, in.Shard)
	}
	return "restore " + in.Name
}

// errIntentPending marks a failed restore whose intent file stayed: the
// next Open completes it, so its staged folder must be kept.
var errIntentPending = errors.New("the next Open completes the restore")

// writeIntent writes an intent file durably (temp file, fsync, rename, fsync
// of the folder) as the envelope magic/version around in's JSON. On error no
// intent file is left.
func writeIntent(fsys vfs.FS, path, magic string, version uint32, in any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(fsys, path, sealEnvelope(magic, version, body)); err != nil {
		_ = fsys.Remove(path)
		return fmt.Errorf("write intent: %w", err)
	}
	return nil
}

// swapLocked performs steps 2–5 of a restore. Caller holds st.mu.
func (st *Storage) swapLocked(in restoreIntent, root string) error {
	fsys := st.opts.FS
	final := in.target(root)
	intentPath := filepath.Join(st.dir, restoreIntentPrefix+strings.TrimPrefix(in.Staged, ".restore-"))
	if err := writeIntent(fsys, intentPath, restoreIntentMagic, restoreIntentVersion, in); err != nil {
		return fmt.Errorf("restore %s: %w", in.Name, err)
	}
	old := st.collections[in.Name]
	// A collection that failed to open is replaced as a live one is: its
	// folder goes to the trash; its failed entry stays until the restored
	// collection is open, so that a failure leaves it as it was.
	replaced := old != nil || st.failed[in.Name] != nil && exists(final)
	if old != nil {
		// Closing stops the workers (nothing may write under the old path once
		// it names the new folder) and makes the old WAL durable; readers keep
		// their segment references.
		if err := old.closeShards(); err != nil {
			st.opts.Logger.Warn("restore: close replaced collection", "name", in.Name, "err", err)
		}
		delete(st.collections, in.Name)
	}
	if replaced {
		if err := fsys.Rename(final, filepath.Join(root, in.Trash)); err != nil {
			return st.abortSwap(in, intentPath, fmt.Errorf("restore %s: %w", in.Name, err))
		}
	}
	if err := fsys.Rename(filepath.Join(root, in.Staged), final); err != nil {
		if replaced {
			if rerr := fsys.Rename(filepath.Join(root, in.Trash), final); rerr != nil {
				return fmt.Errorf("restore %s: %w (roll back: %v): %w", in.Name, err, rerr, errIntentPending)
			}
		}
		return st.abortSwap(in, intentPath, fmt.Errorf("restore %s: %w", in.Name, err))
	}
	// The new folder has its name. Should the renames not be durable yet,
	// the intent stays and the next Open completes them. The restored
	// collection opens while the folder is synced.
	var synced error
	var c *Collection
	err := concurrently(
		func() (err error) {
			c, err = st.openRestored(in.Name, filepath.Join(root, in.Name))
			return err
		},
		func() error { synced = fsys.SyncDir(root); return nil },
	)
	if err != nil {
		return st.rollBack(in, intentPath, replaced, fmt.Errorf("restore %s: open restored collection: %w", in.Name, err))
	}
	st.collections[in.Name] = c
	_, wasFailed := st.failed[in.Name]
	delete(st.failed, in.Name) // and with it its issue
	// The intent goes once the renames are durable; the replaced folder
	// (a dot-prefixed leftover that Open removes, should this stop) is
	// removed in the background.
	st.removeTrash(filepath.Join(root, in.Trash))
	cleanup := synced
	if cleanup == nil {
		cleanup = errors.Join(fsys.Remove(intentPath), fsys.SyncDir(st.dir))
	}
	if err := cleanup; err != nil {
		st.opts.Logger.Warn("restore: cleanup", "name", in.Name, "err", err)
	}
	st.opts.Logger.Info("restored collection", "name", in.Name, "replaced", replaced, "replaced_failed", wasFailed)
	return nil
}

// openRestored opens the collection a restore (of a collection, of one
// shard, or of all collections) has just renamed into place. Its HNSW graphs
// are mapped without being read again (hnsw.OpenUnverified); everything else
// is checked as at start-up. This relies on an invariant: every graph it can
// find was checked in full by this process before, and nothing wrote it
// since.
//
//   - A segment that was live (a shard restore reopens the other shards of
//     the collection) had its graphs checked in full when this process
//     opened it (start-up, hnsw.Open), wrote it (seal and optimizer reopen
//     what they write with full checks), or restored it (below).
//   - A staged folder (the restored collection or shard) was checked by
//     VerifyCollectionDir or verifyShardDir just before the swap: every file
//     against meta.seg's checksum, and every graph's links. It lay under a
//     dot-prefixed name that no other code opens.
//   - Segment files are immutable once written: a change makes a new
//     segment folder, opened with full checks.
func (st *Storage) openRestored(name, dir string) (*Collection, error) {
	return openCollection(name, dir, &st.opts, true)
}

// concurrently runs fns at the same time and returns their errors joined.
// The first runs on the calling goroutine; a panic in another one (a test's
// simulated crash) is raised again on the calling goroutine once all have
// returned.
func concurrently(fns ...func() error) error {
	errs := make([]error, len(fns))
	panics := make([]any, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i+1] = recover() }()
			errs[i+1] = fn()
		}()
	}
	func() {
		defer wg.Wait()
		errs[0] = fns[0]()
	}()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
	return errors.Join(errs...)
}

// rollBack undoes steps 3 and 4 after the restored collection failed to
// open: the new folder goes back to its staged name, the old one (hadOld)
// to its name, and abortSwap reopens it.
func (st *Storage) rollBack(in restoreIntent, intentPath string, hadOld bool, cause error) error {
	fsys := st.opts.FS
	root := filepath.Join(st.dir, collectionsDir)
	final := in.target(root)
	if err := fsys.Rename(final, filepath.Join(root, in.Staged)); err != nil {
		return fmt.Errorf("%w (roll back: %v): %w", cause, err, errIntentPending)
	}
	if hadOld {
		if err := fsys.Rename(filepath.Join(root, in.Trash), final); err != nil {
			return fmt.Errorf("%w (roll back: %v): %w", cause, err, errIntentPending)
		}
	}
	if err := fsys.SyncDir(root); err != nil {
		return fmt.Errorf("%w (roll back: %v): %w", cause, err, errIntentPending)
	}
	return st.abortSwap(in, intentPath, cause)
}

// abortSwap undoes a swap that failed before the new folder got its name:
// it removes the intent and reopens the old collection, if any (one that
// had failed to open stays failed, as it was).
func (st *Storage) abortSwap(in restoreIntent, intentPath string, cause error) error {
	fsys := st.opts.FS
	if err := errors.Join(fsys.Remove(intentPath), fsys.SyncDir(st.dir)); err != nil {
		return errors.Join(cause, fmt.Errorf("remove restore intent: %w: %w", err, errIntentPending))
	}
	final := filepath.Join(st.dir, collectionsDir, in.Name)
	if _, err := os.Stat(final); err != nil || st.failed[in.Name] != nil {
		return cause
	}
	c, err := openCollection(in.Name, final, &st.opts, false)
	if err != nil {
		return errors.Join(cause, fmt.Errorf("reopen %s: %w", in.Name, err))
	}
	st.collections[in.Name] = c
	return cause
}

// recoverRestores completes every restore a crash interrupted after its
// intent file was written. Open must call it before listing the
// collections folder (which removes dot-prefixed leftovers).
func recoverRestores(fsys vfs.FS, dir string, logger *slog.Logger) error {
	root := filepath.Join(dir, collectionsDir)
	return completeIntents(fsys, dir, restoreIntentPrefix, func(path string) error {
		in, err := loadRestoreIntent(path)
		if err != nil {
			return err
		}
		if err := rollForward(fsys, root, in); err != nil {
			return fmt.Errorf("recover restore %s: %w", in.Name, err)
		}
		if logger != nil {
			logger.Info("completed interrupted restore", "name", in.Name)
		}
		return nil
	})
}

// completeIntents finishes the interrupted restores whose intent files in
// dir start with prefix: an intent never written (still ".tmp") means no
// swap began and is removed; a written one is carried out by apply, then
// removed, and dir synced.
func completeIntents(fsys vfs.FS, dir, prefix string, apply func(path string) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("recover restores: %w", err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), ".tmp") {
			if err := fsys.Remove(path); err != nil {
				return fmt.Errorf("recover restores: %w", err)
			}
			continue
		}
		if err := apply(path); err != nil {
			return err
		}
		if err := errors.Join(fsys.Remove(path), fsys.SyncDir(dir)); err != nil {
			return fmt.Errorf("recover restore %s: %w", e.Name(), err)
		}
	}
	return nil
}

func loadRestoreIntent(path string) (restoreIntent, error) {
	var in restoreIntent
	b, err := os.ReadFile(path)
	if err != nil {
		return in, fmt.Errorf("read restore intent: %w", err)
	}
	body, err := openEnvelope(restoreIntentMagic, restoreIntentVersion, b)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err == nil {
		err = in.checkNames(true)
	}
	if err != nil {
		return in, fmt.Errorf("decode restore intent %s: %w", path, err)
	}
	return in, nil
}

// checkNames refuses an intent read from disk whose folder names are not
// single path elements (nothing outside the collections folder may be
// renamed), or that names a shard where shard is false (the steps of a
// restore-all intent replace whole collections).
func (in restoreIntent) checkNames(shard bool) error {
	if !plainName(in.Name) || !plainName(in.Staged) || !plainName(in.Trash) ||
		in.Shard != "" && (!shard || !plainName(in.Shard)) {
		return fmt.Errorf("%w: bad folder name", ErrCorrupt)
	}
	return nil
}

func plainName(s string) bool {
	return s != "" && filepath.IsLocal(s) && filepath.Base(s) == s
}

// rollForward finishes steps 3 and 4 of an interrupted restore.
func rollForward(fsys vfs.FS, root string, in restoreIntent) error {
	staged := filepath.Join(root, in.Staged)
	if _, err := os.Stat(staged); errors.Is(err, os.ErrNotExist) {
		return nil // step 4 was done: the new folder has its name
	}
	final := in.target(root)
	if _, err := os.Stat(final); err == nil {
		if err := fsys.Rename(final, filepath.Join(root, in.Trash)); err != nil {
			return err
		}
	}
	if err := fsys.Rename(staged, final); err != nil {
		return err
	}
	return fsys.SyncDir(root)
}

// moveDir renames src to dst, or copies the tree (syncing every file and
// folder) when they lie on different filesystems and then removes src;
// copied reports the latter.
func moveDir(fsys vfs.FS, src, dst string) (copied bool, err error) {
	err = fsys.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return false, err
	}
	if err := copyTree(fsys, src, dst); err != nil {
		_ = fsys.RemoveAll(dst)
		return true, err
	}
	return true, fsys.RemoveAll(src)
}

func copyTree(fsys vfs.FS, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := fsys.MkdirAll(target, 0o755); err != nil || rel == "." {
				return err
			}
			// A folder holding only folders gets no file's SyncDir.
			return fsys.SyncDir(filepath.Dir(target))
		case d.Type().IsRegular():
			if err := copyFileSynced(fsys, p, target); err != nil {
				return err
			}
			return fsys.SyncDir(filepath.Dir(target))
		default:
			return fmt.Errorf("copy %s: not a regular file", p)
		}
	})
}

func copyFileSynced(fsys vfs.FS, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsys.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	return errors.Join(err, out.Close())
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
