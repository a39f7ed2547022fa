package engine

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// failedCollection is a collection folder that did not open at Open (a
// missing or corrupt collection file, manifest, segment or WAL). It is
// listed, its info shows status red, every other operation answers
// ErrFailed, and DeleteCollection removes it. The other collections are
// served as usual.
type failedCollection struct {
	dir string
	// cfg is the configuration, when the collection file could be read.
	cfg *CollectionConfig
	// reason is the error, paths relative to the storage folder.
	reason string
	since  time.Time
	// cleared hides the issue from Issues (DELETE /issues) until the next
	// start-up finds the collection failing again.
	cleared bool
}

// relative returns err's message with the storage folder prefix stripped,
// so that clients see paths relative to the storage root.
func (st *Storage) relative(err error) string {
	return strings.ReplaceAll(err.Error(), filepath.Clean(st.dir)+string(filepath.Separator), "")
}

// addFailed records a collection that did not open and logs why. Caller
// holds mu, or is Open.
func (st *Storage) addFailed(name, dir string, err error) {
	f := &failedCollection{dir: dir, reason: st.relative(err), since: time.Now().UTC()}
	if cf, cerr := loadCollectionFile(dir); cerr == nil {
		f.cfg = &cf.Config
	}
	st.failed[name] = f
	st.opts.Logger.Error("collection failed to open; serving the others (it answers errors until deleted or repaired and restarted)",
		"collection", name, "err", err)
}

// errFailedCollection is the error every operation on a failed collection
// answers: Qdrant's wording for a shard that did not load.
func errFailedCollection(name string, f *failedCollection) error {
	return &engineError{ErrFailed, fmt.Sprintf("Service internal error: Failed to load local shard: collection `%s` failed to open: %s", name, f.reason)}
}

// CollectionInfo returns the info of the collection with the name (or the
// alias): Collection(nameOrAlias).Info() for an open one; for a collection
// that failed to open, status red with the failure as the optimizer error
// when its configuration could be read, and ErrFailed otherwise.
func (st *Storage) CollectionInfo(nameOrAlias string) (CollectionInfo, error) {
	name, f := st.failedNamed(nameOrAlias)
	if f == nil {
		c, err := st.Collection(nameOrAlias)
		if err != nil {
			return CollectionInfo{}, err
		}
		return c.Info(), nil
	}
	if f.cfg == nil {
		return CollectionInfo{}, errFailedCollection(name, f)
	}
	return CollectionInfo{
		Status:          StatusRed,
		OptimizerStatus: OptimizerStatus{Error: errFailedCollection(name, f).Error()},
		Config:          *f.cfg,
		PayloadSchema:   map[string]PayloadIndexInfo{},
	}, nil
}

// failedNamed resolves nameOrAlias and returns the failed collection of
// that name, or nil.
func (st *Storage) failedNamed(nameOrAlias string) (string, *failedCollection) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	name := st.resolveLocked(nameOrAlias)
	return name, st.failed[name]
}

// Issue is one entry of GET /issues (Qdrant's issue record).
type Issue struct {
	// ID identifies the issue: "collection_failed_to_open/<name>".
	ID string `json:"id"`
	// Description says what is wrong and why.
	Description string `json:"description"`
	// Solution is what to do, as Qdrant's {"refactor": "..."}.
	Solution IssueSolution `json:"solution"`
	// Timestamp is when the issue was found (UTC).
	Timestamp time.Time `json:"timestamp"`
	// RelatedCollection names the collection concerned.
	RelatedCollection *string `json:"related_collection"`
}

// IssueSolution is an issue's suggested fix.
type IssueSolution struct {
	// Refactor is a change for the operator to make.
	Refactor string `json:"refactor"`
}

// Issues lists the problems found and not cleared: today the collections
// that failed to open, in name order.
func (st *Storage) Issues() []Issue {
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := []Issue{}
	for name, f := range st.failed {
		if f.cleared {
			continue
		}
		n := name
		out = append(out, Issue{
			ID:          "collection_failed_to_open/" + name,
			Description: fmt.Sprintf("Collection `%s` failed to open and is not served: %s", name, f.reason),
			Solution: IssueSolution{Refactor: fmt.Sprintf(
				"Repair the collection's files and restart, or delete it (DELETE /collections/%s) and create or recover it again", name)},
			Timestamp:         f.since,
			RelatedCollection: &n,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ClearIssues removes every issue reported so far from Issues (Qdrant's
// DELETE /issues). A failed collection stays failed: its info and its
// errors are unchanged.
func (st *Storage) ClearIssues() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, f := range st.failed {
		f.cleared = true
	}
}

// deleteFailedLocked removes a failed collection's folder and its aliases.
// Caller holds mu.
func (st *Storage) deleteFailedLocked(name string, f *failedCollection) (bool, error) {
	root := filepath.Join(st.dir, collectionsDir)
	trash := filepath.Join(root, workName("deleted", st.seq.Add(1), name))
	if err := st.opts.FS.Rename(f.dir, trash); err != nil {
		return false, fmt.Errorf("delete collection %s: %w", name, err)
	}
	delete(st.failed, name)
	st.dropAliasesLocked(name, root, trash)
	st.opts.Logger.Info("deleted failed collection", "name", name)
	return true, nil
}
