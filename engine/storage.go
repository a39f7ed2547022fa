package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/vfs"
)

const collectionsDir = "collections"

// Storage is the set of collections under one folder, with their aliases.
// Its methods are safe for concurrent use.
type Storage struct {
	opts Options
	dir  string

	mu          sync.RWMutex
	collections map[string]*Collection
	aliases     map[string]string // alias → collection
	closed      bool
	seq         atomic.Uint64
	// trash counts the removals of replaced collection folders still
	// running in the background (see removeTrash); Close waits for them.
	trash sync.WaitGroup
}

// Open opens (creating if needed) the storage in opts.Dir and every
// collection in it, recovering each shard from its manifest and WAL.
// Leftovers of interrupted creations and deletions are removed.
func Open(opts Options) (*Storage, error) {
	if opts.FS == nil {
		opts.FS = vfs.OS
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("open storage: %w: empty Dir", ErrInvalid)
	}
	root := filepath.Join(opts.Dir, collectionsDir)
	if err := opts.FS.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	st := &Storage{opts: opts, dir: opts.Dir, collections: map[string]*Collection{}}
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
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			if err := opts.FS.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return nil, fmt.Errorf("open storage: remove leftover %s: %w", e.Name(), err)
			}
			continue
		}
		c, err := openCollection(e.Name(), filepath.Join(root, e.Name()), &st.opts, false)
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		st.collections[e.Name()] = c
	}
	for a, name := range st.aliases {
		if _, ok := st.collections[name]; !ok {
			delete(st.aliases, a)
		}
	}
	return st, nil
}

// ValidateCollectionName checks a collection name as CreateCollection and
// RestoreCollection do: an error wrapping ErrInvalid, with Qdrant's
// wording, for a name no collection may have.
func ValidateCollectionName(name string) error { return validateName("collection_name", name) }

// validateName checks a collection or alias name as Qdrant does.
func validateName(field, name string) error {
	switch {
	case name == "":
		return errInvalid(field, "name must not be empty")
	case len(name) > maxCollectionNameLen:
		return errInvalid(field, "name is longer than %d bytes", maxCollectionNameLen)
	case name == "." || name == ".." || strings.HasPrefix(name, "."):
		return errInvalid(field, "name must not start with \".\"")
	}
	for _, ch := range []string{"/", "\\", ":", "*", "?", "\"", "<", ">", "|", "\x00"} {
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
	cfg := req.Config()
	if err := cfg.Validate(); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	if _, ok := st.collections[name]; ok {
		return errAlreadyExists("Collection", name)
	}
	if _, ok := st.aliases[name]; ok {
		return errAlreadyExists("Alias", name)
	}
	root := filepath.Join(st.dir, collectionsDir)
	tmp := filepath.Join(root, workName("create", st.seq.Add(1), name))
	final := filepath.Join(root, name)
	err := st.opts.FS.MkdirAll(tmp, 0o755)
	if err == nil {
		err = storeCollectionFile(st.opts.FS, tmp, &collectionFile{Config: cfg, PayloadIndexes: map[string]payload.FieldSchema{}})
	}
	if err == nil {
		err = st.opts.FS.Rename(tmp, final)
	}
	if err == nil {
		err = st.opts.FS.SyncDir(root)
	}
	if err != nil {
		_ = st.opts.FS.RemoveAll(tmp)
		return fmt.Errorf("create collection %s: %w", name, err)
	}
	c, err := openCollection(name, final, &st.opts, false)
	if err != nil {
		return err
	}
	st.collections[name] = c
	st.opts.Logger.Info("created collection", "name", name, "shards", cfg.Params.ShardNumber)
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
	if c, ok := st.collections[st.resolveLocked(nameOrAlias)]; ok {
		return c, nil
	}
	return nil, errNotFound(nameOrAlias)
}

// CollectionExists reports whether a collection (or an alias) has the name.
func (st *Storage) CollectionExists(nameOrAlias string) bool {
	_, err := st.Collection(nameOrAlias)
	return err == nil
}

// ListCollections returns the collection names, sorted.
func (st *Storage) ListCollections() []string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	names := make([]string, 0, len(st.collections))
	for n := range st.collections {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DeleteCollection deletes the collection with the name (not an alias) and
// the aliases pointing at it. It reports false when there was none, as
// Qdrant answers `true`/`false`. Searches already running finish on the old
// files.
func (st *Storage) DeleteCollection(name string) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return false, ErrClosed
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
	errs = append(errs, st.opts.FS.SyncDir(root), c.closeShards(), st.opts.FS.RemoveAll(trash))
	if err := errors.Join(errs...); err != nil {
		st.opts.Logger.Warn("delete collection cleanup", "name", name, "err", err)
	}
	return true, nil
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
