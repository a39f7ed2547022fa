package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"

	"github.com/cairn-db/cairn/vfs"
)

// AliasesFile is the name of the storage's alias table; format in
// docs/format/collection.md.
const AliasesFile = "aliases"

const (
	aliasesMagic   = "CAIRNALS"
	aliasesVersion = 1
)

func loadAliases(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, AliasesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read aliases: %w", err)
	}
	body, err := openEnvelope(aliasesMagic, aliasesVersion, b)
	if err != nil {
		return nil, fmt.Errorf("decode aliases: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode aliases: %w: %v", ErrCorrupt, err)
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

func storeAliases(fsys vfs.FS, dir string, m map[string]string) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode aliases: %w", err)
	}
	if err := vfs.WriteFileAtomic(fsys, filepath.Join(dir, AliasesFile), sealEnvelope(aliasesMagic, aliasesVersion, body)); err != nil {
		return fmt.Errorf("store aliases: %w", err)
	}
	return nil
}

// UpdateAliases applies the actions in order, all or nothing: when one
// fails (ErrNotFound for a missing collection or alias, ErrAlreadyExists
// for a rename onto an existing alias, ErrInvalid for a bad name) none is
// applied. The table is persisted atomically.
func (st *Storage) UpdateAliases(ops []AliasOp) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	next := maps.Clone(st.aliases)
	for _, o := range ops {
		// The error is returned as is: its text is Qdrant's message.
		if err := st.applyAliasOp(next, o); err != nil {
			return err
		}
	}
	if err := storeAliases(st.opts.FS, st.dir, next); err != nil {
		return err
	}
	st.aliases = next
	return nil
}

func (st *Storage) applyAliasOp(m map[string]string, o AliasOp) error {
	switch {
	case o.CreateAlias != nil:
		a := o.CreateAlias
		if err := validateName("alias_name", a.AliasName); err != nil {
			return err
		}
		// A collection that failed to open exists (CollectionExists, the
		// listing): it may get aliases, and its name is taken.
		if !st.hasCollectionLocked(a.CollectionName) {
			return errNotFound(a.CollectionName)
		}
		if err := st.aliasFreeLocked(a.AliasName); err != nil {
			return err
		}
		m[a.AliasName] = a.CollectionName
	case o.DeleteAlias != nil:
		if _, ok := m[o.DeleteAlias.AliasName]; !ok {
			return &engineError{ErrNotFound, fmt.Sprintf("Not found: Alias %s does not exists!", o.DeleteAlias.AliasName)}
		}
		delete(m, o.DeleteAlias.AliasName)
	case o.RenameAlias != nil:
		r := o.RenameAlias
		target, ok := m[r.OldAliasName]
		if !ok {
			return &engineError{ErrNotFound, fmt.Sprintf("Not found: Alias %s does not exists!", r.OldAliasName)}
		}
		if err := validateName("new_alias_name", r.NewAliasName); err != nil {
			return err
		}
		if _, ok := m[r.NewAliasName]; ok {
			return errAlreadyExists("Alias", r.NewAliasName)
		}
		if err := st.aliasFreeLocked(r.NewAliasName); err != nil {
			return err
		}
		delete(m, r.OldAliasName)
		m[r.NewAliasName] = target
	default:
		return errBadRequest("empty alias action")
	}
	return nil
}

// aliasFreeLocked refuses an alias name a collection has (one that failed
// to open included): a name resolves to one thing, and a full snapshot
// holding both could not be restored. Qdrant's answer for create_alias
// (validate_collection_not_exists: BadInput, 400). Caller holds mu.
func (st *Storage) aliasFreeLocked(name string) error {
	if st.hasCollectionLocked(name) {
		return errBadRequest("Collection `%s` already exists!", name)
	}
	return nil
}

// hasCollectionLocked reports whether a collection has the name (not an
// alias), a collection that failed to open included. Caller holds mu.
func (st *Storage) hasCollectionLocked(name string) bool {
	_, ok := st.collections[name]
	return ok || st.failed[name] != nil
}

// ListAliases returns every alias, sorted by alias name.
func (st *Storage) ListAliases() []AliasDescription {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return listAliases(st.aliases, "")
}

// CollectionAliases returns the aliases of one collection (given by name
// or alias), one that failed to open included; ErrNotFound when there is
// no such collection.
func (st *Storage) CollectionAliases(nameOrAlias string) ([]AliasDescription, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	name := st.resolveLocked(nameOrAlias)
	if !st.hasCollectionLocked(name) {
		return nil, errNotFound(nameOrAlias)
	}
	return listAliases(st.aliases, name), nil
}

func listAliases(m map[string]string, only string) []AliasDescription {
	out := []AliasDescription{}
	for a, c := range m {
		if only == "" || c == only {
			out = append(out, AliasDescription{AliasName: a, CollectionName: c})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AliasName < out[j].AliasName })
	return out
}
