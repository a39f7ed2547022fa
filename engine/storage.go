package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/cairn-db/cairn/payload"
)

const collectionsDir = "collections"

// Storage is the set of collections under one folder, with their aliases.
// Its methods are safe for concurrent use.
type Storage struct {
	opts Options
	dir  string

	mu          sync.RWMutex
	collections map[string]*Collection
	failed      map[string]*failedCollection // folders that did not open at Open
	aliases     map[string]string            // alias → collection
	closed      bool
	seq         atomic.Uint64
	// trash counts the removals of replaced collection folders still
	// running in the background (see removeTrash); Close waits for them.
	trash sync.WaitGroup
	// peerID is the node's peer id (PeerFile).
	peerID uint64
}

// Open opens (creating if needed) the storage in opts.Dir and every
// collection in it, recovering each shard from its manifest and WAL.
// Leftovers of interrupted creations and deletions are removed. A
// collection that does not open is kept as failed (see failedCollection)
// and logged; it never stops the others from being served.
func Open(opts Options) (*Storage, error) {
	opts.setDefaults()
	if opts.Dir == "" {
		return nil, fmt.Errorf("open storage: %w: empty Dir", ErrInvalid)
	}
	root := filepath.Join(opts.Dir, collectionsDir)
	if err := opts.FS.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	st := &Storage{opts: opts, dir: opts.Dir, collections: map[string]*Collection{}, failed: map[string]*failedCollection{}}
	st.opts.lookup = st.Collection
	// Two passes, collection and shard intents first, then restore-all
	// intents, on purpose: both kinds can be left at once (a restore whose
	// roll-back failed keeps its intent, errIntentPending, and later
	// restores still run), and when two name the same collection the one
	// applied last wins, so the order is part of recovery. One pass in the
	// folder's listing order would apply "restore-all-intent-*" before
	// "restore-intent-*".
	if err := recoverRestores(opts.FS, opts.Dir, opts.Logger); err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	if err := recoverAllRestores(opts.FS, opts.Dir, opts.Logger); err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	aliases, err := loadAliases(opts.Dir)
	if err != nil {
		return nil, err
	}
	st.aliases = aliases
	if st.peerID, err = loadOrCreatePeerID(opts.FS, opts.Dir); err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			// An unfinished create (.create-*) or delete (.deleted-*).
			opts.Logger.Info("removing leftover of an interrupted create or delete", "dir", filepath.Join(collectionsDir, e.Name()))
			if err := opts.FS.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return nil, fmt.Errorf("open storage: remove leftover %s: %w", e.Name(), err)
			}
			continue
		}
		dir := filepath.Join(root, e.Name())
		c, err := openCollection(e.Name(), dir, &st.opts, false)
		if err != nil {
			st.addFailed(e.Name(), dir, err)
			continue
		}
		st.collections[e.Name()] = c
	}
	for a, name := range st.aliases {
		if _, ok := st.collections[name]; !ok && st.failed[name] == nil {
			delete(st.aliases, a)
		}
	}
	return st, nil
}

// ValidateCollectionName checks a collection name as CreateCollection and
// RestoreCollection do: an error wrapping ErrInvalid, with Qdrant's
// wording, for a name no collection may have.
func ValidateCollectionName(name string) error { return validateName("collection_name", name) }

// validateName checks a collection or alias name as Qdrant does, and that
// it is valid UTF-8 and makes a plain folder name (names from a URL path
// are not checked by the JSON text checks).
func validateName(field, name string) error {
	switch {
	case name == "":
		return errInvalid(field, "name must not be empty")
	case len(name) > maxCollectionNameLen:
		return errInvalid(field, "name is longer than %d bytes", maxCollectionNameLen)
	case !utf8.ValidString(name):
		return errInvalid(field, "name must be valid UTF-8")
	case name == "." || name == ".." || strings.HasPrefix(name, "."):
		return errInvalid(field, "name must not start with \".\"")
	}
	// Qdrant's INVALID_CHARS (validate_collection_name), in its order.
	for _, ch := range []string{"<", ">", ":", "\"", "/", "\\", "|", "?", "*", "\x00", "\x1f"} {
		if strings.Contains(name, ch) {
			return errInvalid(field, "collection name cannot contain %q char", ch)
		}
	}
	return nil
}

// CreateCollection creates a collection with the requested configuration
// (Qdrant's defaults for what it leaves unset). It fails with ErrAlreadyExists
// when the name is taken and ErrInvalid when a field is out of range.
func (st *Storage) CreateCollection(name string, req CreateCollection) error {
	if err := validateName("collection_name", name); err != nil {
		return err
	}
	if err := checkUnsigned(&req); err != nil {
		return err
	}
	if err := validateHnswDiff("hnsw_config", req.HnswConfig); err != nil {
		return err
	}
	cfg := req.Config()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := checkMemoryReadable(cfg.StrictModeConfig, st.opts.Memory); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	if _, ok := st.collections[name]; ok || st.failed[name] != nil {
		return errAlreadyExists("Collection", name)
	}
	if _, ok := st.aliases[name]; ok {
		// Qdrant answers this with bad_input (400), not AlreadyExists (409).
		return errBadRequest("Can't create collection with name %s. Alias with the same name already exists", name)
	}
	// Measured under the lock: creates run one at a time from here, each
	// preallocating its WAL before the next measures, so two cannot pass
	// the check together on the space only one of them fits in.
	if err := st.checkCreateSpace(name, &cfg); err != nil {
		return err
	}
	root := filepath.Join(st.dir, collectionsDir)
	final := filepath.Join(root, name)
	if err := st.stageCollection(name, root, final, cfg); err != nil {
		return fmt.Errorf("create collection %s: %w", name, err)
	}
	c, err := openCollection(name, final, &st.opts, false)
	if err != nil {
		// Move it out of the way first: a dot-prefixed leftover is what
		// the next Open removes, should the removal fail now.
		trash := filepath.Join(root, workName("deleted", st.seq.Add(1), name))
		if rerr := st.opts.FS.Rename(final, trash); rerr == nil {
			_ = st.opts.FS.SyncDir(root)
			_ = st.opts.FS.RemoveAll(trash)
		}
		return fmt.Errorf("create collection %s: %w", name, err)
	}
	st.collections[name] = c
	st.opts.Logger.Info("created collection", "name", name, "shards", cfg.Params.ShardNumber)
	return nil
}

// stageCollection builds the whole collection folder (collection file,
// every shard's folder, manifest-less segments folder and WAL with its
// preallocated first segment) under a dot-prefixed temporary name, makes it
// durable and renames it to final: temp -> fsync -> rename -> fsync dir. On
// failure it removes everything it wrote; a crash leaves only the
// temporary folder, which Open removes.
func (st *Storage) stageCollection(name, root, final string, cfg CollectionConfig) (err error) {
	fsys := st.opts.FS
	tmp := filepath.Join(root, workName("create", st.seq.Add(1), name))
	defer func() {
		if err != nil {
			if rerr := fsys.RemoveAll(tmp); rerr != nil {
				st.opts.Logger.Warn("create collection: remove the unfinished folder (the next start-up removes it)",
					"dir", filepath.Join(collectionsDir, filepath.Base(tmp)), "err", rerr)
			}
		}
	}()
	if err := fsys.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	f := &collectionFile{Config: cfg, PayloadIndexes: map[string]payload.FieldSchema{}}
	f.setTimeline(newTimeline(st.opts.now()()))
	if err := storeCollectionFile(fsys, tmp, f); err != nil {
		return err
	}
	// Opening the staged folder creates every shard's files; closing makes
	// them durable.
	opts := st.opts
	opts.DisableBackground, opts.Hooks = true, nil // not a live collection yet
	c, err := openCollection(name, tmp, &opts, false)
	if err != nil {
		return err
	}
	if err := c.closeShards(); err != nil {
		return err
	}
	for i := range cfg.Params.ShardNumber {
		if err := fsys.SyncDir(shardDir(tmp, i)); err != nil {
			return err
		}
	}
	if err := fsys.SyncDir(tmp); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, final); err != nil {
		return err
	}
	if err := fsys.SyncDir(root); err != nil {
		// The rename happened: undo it so that nothing is left behind.
		if rerr := fsys.Rename(final, tmp); rerr != nil {
			return fmt.Errorf("%w (and moving it back: %v)", err, rerr)
		}
		return err
	}
	return nil
}

// resolveLocked maps an alias to its collection name. Caller holds mu.
func (st *Storage) resolveLocked(nameOrAlias string) string {
	if n, ok := st.aliases[nameOrAlias]; ok {
		return n
	}
	return nameOrAlias
}

// Collection returns the collection with the name, or the one the alias
// points at; ErrNotFound when there is none.
func (st *Storage) Collection(nameOrAlias string) (*Collection, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed {
		return nil, ErrClosed
	}
	name := st.resolveLocked(nameOrAlias)
	if c, ok := st.collections[name]; ok {
		return c, nil
	}
	if f := st.failed[name]; f != nil {
		return nil, errFailedCollection(name, f)
	}
	return nil, errNotFound(nameOrAlias)
}

// CollectionExists reports whether a collection (or an alias) has the name,
// a collection that failed to open included.
func (st *Storage) CollectionExists(nameOrAlias string) bool {
	_, err := st.Collection(nameOrAlias)
	return err == nil || errors.Is(err, ErrFailed)
}

// ListCollections returns the collection names, sorted, those that failed
// to open included.
func (st *Storage) ListCollections() []string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	names := make([]string, 0, len(st.collections)+len(st.failed))
	for n := range st.collections {
		names = append(names, n)
	}
	for n := range st.failed {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DeleteCollection deletes the collection with the name (not an alias) and
// the aliases pointing at it. It reports false when there was none, as
// Qdrant answers `true`/`false`. Searches already running finish on the old
// files. A collection that failed to open is deleted the same way.
func (st *Storage) DeleteCollection(name string) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return false, ErrClosed
	}
	if f := st.failed[name]; f != nil {
		return st.deleteFailedLocked(name, f)
	}
	c, ok := st.collections[name]
	if !ok {
		return false, nil
	}
	root := filepath.Join(st.dir, collectionsDir)
	trash := filepath.Join(root, workName("deleted", st.seq.Add(1), name))
	c.stopWorkers()
	if err := st.opts.FS.Rename(c.core.dir, trash); err != nil {
		return false, fmt.Errorf("delete collection %s: %w", name, err)
	}
	delete(st.collections, name)
	if err := c.closeShards(); err != nil {
		st.opts.Logger.Warn("delete collection cleanup", "name", name, "err", err)
	}
	st.dropAliasesLocked(name, root, trash)
	return true, nil
}

// dropAliasesLocked ends a delete whose folder was renamed to trash: it
// removes the aliases of name, syncs root and removes trash. A failure is
// logged: trash is a dot-prefixed leftover the next Open removes. Caller
// holds mu.
func (st *Storage) dropAliasesLocked(name, root, trash string) {
	changed := false
	for a, n := range st.aliases {
		if n == name {
			delete(st.aliases, a)
			changed = true
		}
	}
	var errs []error
	if changed {
		errs = append(errs, storeAliases(st.opts.FS, st.dir, st.aliases))
	}
	errs = append(errs, st.opts.FS.SyncDir(root), st.opts.FS.RemoveAll(trash))
	if err := errors.Join(errs...); err != nil {
		st.opts.Logger.Warn("delete collection cleanup", "name", name, "err", err)
	}
}

// UpdateCollection changes the updatable parameters of a collection.
func (st *Storage) UpdateCollection(nameOrAlias string, u CollectionUpdate) error {
	c, err := st.Collection(nameOrAlias)
	if err != nil {
		return err
	}
	return c.update(u)
}

// Close stops every background worker and closes every collection, making
// every acknowledged write durable. Later calls return ErrClosed.
func (st *Storage) Close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	st.closed = true
	var errs []error
	for _, c := range st.collections {
		errs = append(errs, c.closeShards())
	}
	st.trash.Wait()
	return errors.Join(errs...)
}

// removeTrash removes the folders a restore replaced, in the background:
// a restore returns once the new data is live and durable, not after
// unlinking the old files (hundreds of milliseconds for a large
// collection). Searches still running on the old collection keep reading
// its mapped files, which unlinking does not disturb. Should the process
// stop first, the folders are dot-prefixed leftovers that Open removes.
// Close waits for the removals.
func (st *Storage) removeTrash(dirs ...string) {
	st.trash.Add(1)
	go func() {
		defer st.trash.Done()
		for _, d := range dirs {
			if err := st.opts.FS.RemoveAll(d); err != nil {
				st.opts.Logger.Warn("restore: remove the replaced folder", "dir", d, "err", err)
			}
		}
	}()
}

func unmarshalJSONNumber(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func contextBackground() context.Context { return context.Background() }
