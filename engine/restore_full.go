package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"

	"github.com/cairn-db/cairn/vfs"
)

// A restore of several collections at once (a full snapshot) is one
// all-or-nothing change of the storage, guarded by ONE intent file,
// restore-all-intent-N (docs/format/snapshot.md, "Restore"):
//
//  1. every new folder is moved to collections/.restore-N-NAME and verified;
//     any failure removes them all and changes nothing;
//  2. restore-all-intent-N is written atomically, listing every swap (as
//     restore_intent.go's restoreIntent) and the alias table to install: from now
//     on the restore rolls forward as a whole;
//  3. for each collection, collections/NAME (if any) is renamed to its
//     trash name and the staged folder to NAME; then the alias table is
//     stored;
//  4. the intent file is removed, then the trash folders.
//
// A failure during step 3 while running undoes the steps already done
// (renames back, the old alias table kept) and removes the intent; should
// that undo fail, the intent stays and the next Open rolls forward.
// recoverAllRestores, run by Open before anything else reads the folder,
// completes step 3 for every intent left by a crash.

const (
	restoreAllPrefix  = "restore-all-intent-"
	restoreAllMagic   = "CAIRNRSA"
	restoreAllVersion = 1
)

// restoreAllIntent is the body of a restore-all-intent-N file.
type restoreAllIntent struct {
	Steps   []restoreIntent   `json:"steps"`
	Aliases map[string]string `json:"aliases"`
}

// RestoreAll makes each folder of collections (name → folder laid out as a
// live collection folder, e.g. extracted from a full snapshot) the
// collection of that name, created or replaced, and adds aliases (alias →
// collection of the map) to the alias table, replacing aliases of the same
// name; other collections and aliases are kept. A collection that failed
// to open is replaced as a live one is (its failed entry and issue go). It
// is all-or-nothing: every
// folder is moved next to the live collections and verified first (any
// failure removes them and changes nothing), then one intent file makes
// the switch of every collection and of the alias table a single step that
// a crash rolls forward. A name that is an existing alias, or an alias that
// names a collection outside collections or an existing collection, gives
// ErrBadRequest/ErrAlreadyExists before anything changes. Searches running
// on replaced collections finish on their files; writes in flight on them
// fail with their closed WAL. sums, when not nil, vouches for the
// checksums of files under the folders (FileSums).
func (st *Storage) RestoreAll(collections map[string]string, aliases map[string]string, sums FileSums) error {
	names := make([]string, 0, len(collections))
	for n := range collections {
		if err := validateName("collection_name", n); err != nil {
			return err
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for a, n := range aliases {
		if err := validateName("alias_name", a); err != nil {
			return err
		}
		if _, ok := collections[n]; !ok {
			return errBadRequest("alias %s points at %s, which the restore does not hold", a, n)
		}
		if _, ok := collections[a]; ok {
			return errAlreadyExists("Collection", a)
		}
	}
	if err := st.checkAliasConflicts(names, aliases); err != nil {
		return err // at once, before the folders are moved
	}
	root := filepath.Join(st.dir, collectionsDir)
	seq := st.seq.Add(1)
	var in restoreAllIntent
	for _, n := range names {
		in.Steps = append(in.Steps, restoreIntent{Name: n,
			Staged: workName("restore", seq, n), Trash: workName("deleted", seq, n)})
	}
	srcs := make([]string, len(in.Steps))
	for i, s := range in.Steps {
		srcs[i] = collections[s.Name]
	}
	verify := func(known []SumLookup) error {
		for i, s := range in.Steps {
			if err := st.VerifyCollectionDir(filepath.Join(root, s.Staged), known[i]); err != nil {
				return fmt.Errorf("%s: %w", s.what(), err)
			}
		}
		return nil
	}
	return st.stage(root, "restore", in.Steps, srcs, sums, verify, func() error {
		if err := st.conflictsLocked(names, aliases); err != nil {
			return err // changed meanwhile
		}
		for _, s := range in.Steps {
			if err := st.renewTimeline(filepath.Join(root, s.Staged)); err != nil {
				return fmt.Errorf("%s: %w", s.what(), err)
			}
		}
		in.Aliases = maps.Clone(st.aliases)
		maps.Copy(in.Aliases, aliases)
		return st.swapAllLocked(in, root, seq)
	})
}

// checkAliasConflicts refuses a restored collection named as an existing
// alias and a restored alias named as an existing collection.
func (st *Storage) checkAliasConflicts(names []string, aliases map[string]string) error {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.conflictsLocked(names, aliases)
}

// conflictsLocked is checkAliasConflicts. Caller holds mu.
func (st *Storage) conflictsLocked(names []string, aliases map[string]string) error {
	for _, n := range names {
		if _, ok := st.aliases[n]; ok {
			return errAlreadyExists("Alias", n)
		}
	}
	for a := range aliases {
		if st.hasCollectionLocked(a) {
			return errAlreadyExists("Collection", a)
		}
	}
	return nil
}

// swapAllLocked performs steps 2–4. Caller holds st.mu.
func (st *Storage) swapAllLocked(in restoreAllIntent, root string, seq uint64) error {
	fsys := st.opts.FS
	intentPath := filepath.Join(st.dir, fmt.Sprintf("%s%d", restoreAllPrefix, seq))
	if err := writeIntent(fsys, intentPath, restoreAllMagic, restoreAllVersion, in); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	olds := map[string]*Collection{}
	for _, s := range in.Steps {
		if old := st.collections[s.Name]; old != nil {
			if err := old.closeShards(); err != nil {
				st.opts.Logger.Warn("restore: close replaced collection", "name", s.Name, "err", err)
			}
			delete(st.collections, s.Name)
			olds[s.Name] = old
		}
	}
	done, err := applyAll(fsys, root, st.dir, in)
	opened := map[string]*Collection{}
	if err == nil {
		for _, s := range in.Steps {
			c, oerr := st.openRestored(s.Name, filepath.Join(root, s.Name)) // verified when staged
			if oerr != nil {
				err = fmt.Errorf("restore %s: open restored collection: %w", s.Name, oerr)
				break
			}
			opened[s.Name] = c
		}
	}
	if err != nil {
		for _, c := range opened {
			_ = c.closeShards()
		}
		return st.undoAll(in, intentPath, done, olds, err)
	}
	maps.Copy(st.collections, opened)
	for _, s := range in.Steps {
		delete(st.failed, s.Name) // a failed collection replaced, and its issue
	}
	st.aliases = in.Aliases
	trash := make([]string, len(in.Steps))
	for i, s := range in.Steps {
		trash[i] = filepath.Join(root, s.Trash)
	}
	st.removeTrash(trash...)
	if err := errors.Join(fsys.Remove(intentPath), fsys.SyncDir(st.dir)); err != nil {
		st.opts.Logger.Warn("restore: cleanup", "err", err)
	}
	st.opts.Logger.Info("restored collections", "collections", len(in.Steps), "replaced", len(olds), "aliases", len(in.Aliases))
	return nil
}

// applyAll performs step 3 (idempotent: rollForward skips a swap already
// done) and returns how many swaps it began.
func applyAll(fsys vfs.FS, root, dir string, in restoreAllIntent) (int, error) {
	for i, s := range in.Steps {
		if err := rollForward(fsys, root, s); err != nil {
			return i + 1, fmt.Errorf("restore %s: %w", s.Name, err) // step i may be half done
		}
	}
	if err := fsys.SyncDir(root); err != nil {
		return len(in.Steps), fmt.Errorf("restore: %w", err)
	}
	if err := storeAliases(fsys, dir, in.Aliases); err != nil {
		return len(in.Steps), fmt.Errorf("restore: %w", err)
	}
	return len(in.Steps), nil
}

// undoAll reverses the first done swaps (each may be half done), stores
// the old alias table again if step 3 got that far, removes the intent and
// reopens the replaced collections. Should the undo fail, the intent stays
// and the next Open rolls the restore forward.
func (st *Storage) undoAll(in restoreAllIntent, intentPath string, done int, olds map[string]*Collection, cause error) error {
	fsys := st.opts.FS
	root := filepath.Join(st.dir, collectionsDir)
	pending := func(err error) error { return fmt.Errorf("%w (roll back: %v): %w", cause, err, errIntentPending) }
	if done == len(in.Steps) {
		if err := storeAliases(fsys, st.dir, st.aliases); err != nil {
			return pending(err)
		}
	}
	for i := done - 1; i >= 0; i-- {
		s := in.Steps[i]
		final := s.target(root)
		if !exists(filepath.Join(root, s.Staged)) { // the new folder has its name
			if err := fsys.Rename(final, filepath.Join(root, s.Staged)); err != nil {
				return pending(err)
			}
		}
		if exists(filepath.Join(root, s.Trash)) { // the old folder is in the trash
			if err := fsys.Rename(filepath.Join(root, s.Trash), final); err != nil {
				return pending(err)
			}
		}
	}
	if err := errors.Join(fsys.SyncDir(root), fsys.Remove(intentPath), fsys.SyncDir(st.dir)); err != nil {
		return pending(err)
	}
	var errs []error
	for name := range olds {
		c, err := openCollection(name, filepath.Join(root, name), &st.opts, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("reopen %s: %w", name, err))
			continue
		}
		st.collections[name] = c
	}
	return errors.Join(append([]error{cause}, errs...)...)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// recoverAllRestores completes every multi-collection restore a crash
// interrupted after its intent file was written. Open calls it before
// reading the alias table and listing the collections folder.
func recoverAllRestores(fsys vfs.FS, dir string, logger *slog.Logger) error {
	root := filepath.Join(dir, collectionsDir)
	return completeIntents(fsys, dir, restoreAllPrefix, func(path string) error {
		in, err := loadRestoreAllIntent(path)
		if err != nil {
			return err
		}
		if _, err := applyAll(fsys, root, dir, in); err != nil {
			return fmt.Errorf("recover restore %s: %w", filepath.Base(path), err)
		}
		if logger != nil {
			logger.Info("completed interrupted restore", "collections", len(in.Steps))
		}
		return nil
	})
}

func loadRestoreAllIntent(path string) (restoreAllIntent, error) {
	var in restoreAllIntent
	b, err := os.ReadFile(path)
	if err != nil {
		return in, fmt.Errorf("read restore intent: %w", err)
	}
	body, err := openEnvelope(restoreAllMagic, restoreAllVersion, b)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	for _, s := range in.Steps {
		if err == nil {
			err = s.checkNames(false)
		}
	}
	if err == nil && in.Aliases == nil {
		in.Aliases = map[string]string{}
	}
	if err != nil {
		return in, fmt.Errorf("decode restore intent %s: %w", path, err)
	}
	return in, nil
}
