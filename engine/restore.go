package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
		if err := st.renewTimeline(filepath.Join(root, in.Staged)); err != nil {
			return fmt.Errorf("%s: %w", in.what(), err)
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
