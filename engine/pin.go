package engine

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cairn-db/cairn/segment"
)

// PinnedFile is one file of a pinned collection.
type PinnedFile struct {
	// Path is the file's absolute path.
	Path string
	// Rel is the path relative to the collection folder, the layout a
	// restore must recreate.
	Rel string
	// Immutable files (sealed segment files and graphs) keep their path and
	// content while pinned: hard-link them at any time before Release. The
	// others must be captured before ResumeWrites: the manifest, collection
	// file and deletion files are replaced by rename (a hard link taken
	// under the hold keeps the pinned content), the WAL segments grow (copy
	// them).
	Immutable bool
	// Size, when positive, is the length of the file's prefix that belongs
	// to the cut: for a WAL segment, the end of its last record under the
	// hold. A WAL file may be longer (preallocated, zero-filled) and grows
	// once writes resume, so its file size is not its content: copy exactly
	// Size bytes. Zero means the whole file as it is under the hold.
	Size int64
}

// Pin is a consistent cut of a collection on disk, for snapshots. Between
// Collection.Pin and ResumeWrites every write to the collection waits (keep
// it short: link and copy, no I/O beyond that); until Release no segment
// listed is removed, whatever the optimizer does.
type Pin struct {
	// Dir is the collection folder.
	Dir string
	// Files lists every file a restore needs.
	Files []PinnedFile
	// LSNs is, per shard, the last WAL LSN the cut covers: a replay of a
	// WAL archive onto a restore of it starts after it.
	LSNs    []uint64
	shards  []*shard
	segs    []*segHandle
	resumed bool
}

// Pin holds the collection's writes, makes the WAL durable up to the last
// write, and lists the files that, restored into an empty collection
// folder, recover exactly the collection's current state (segments and
// manifest, deletion files, WAL records since the last seal). Call
// ResumeWrites as soon as the mutable files are copied, then Release.
func (c *Collection) Pin() (*Pin, error) {
	p := &Pin{Dir: c.core.dir, shards: make([]*shard, 0, len(c.shards))}
	// The locks stay held on success (ResumeWrites releases them); on an
	// error or a panic every lock taken is released and every segment
	// unpinned.
	pinned := false
	defer func() {
		if !pinned {
			p.Release()
		}
	}()
	p.Files = append(p.Files, c.pinnedFile(filepath.Join(c.core.dir, CollectionFile), false))
	for _, s := range c.shards {
		p.lockShard(s)
		if err := s.log.Sync(s.lastLSN); err != nil {
			return nil, fmt.Errorf("pin shard %d: sync wal: %w", s.id, err)
		}
		p.LSNs = append(p.LSNs, s.lastLSN)
		files, err := c.shardFiles(s)
		if err != nil {
			return nil, err
		}
		p.Files = append(p.Files, files...)
		for _, h := range s.segs {
			h.acquire()
			p.segs = append(p.segs, h)
		}
	}
	pinned = true
	return p, nil
}

// lockShard takes s's commit and write locks and records s in p.shards
// (whose capacity was reserved, so the append cannot fail) for
// ResumeWrites to release them.
func (p *Pin) lockShard(s *shard) {
	s.commitMu.Lock()
	s.mu.Lock()
	p.shards = append(p.shards, s)
}

// shardFiles lists a shard's files. Caller holds commitMu and mu.
func (c *Collection) shardFiles(s *shard) ([]PinnedFile, error) {
	var out []PinnedFile
	if _, err := os.Stat(filepath.Join(s.dir, ManifestFile)); err == nil {
		out = append(out, c.pinnedFile(filepath.Join(s.dir, ManifestFile), false))
	}
	for _, h := range s.segs {
		for _, f := range h.seg.Files() {
			out = append(out, c.pinnedFile(f, true))
		}
		if _, err := os.Stat(filepath.Join(h.dir, segment.DeletedFile)); err == nil {
			out = append(out, c.pinnedFile(filepath.Join(h.dir, segment.DeletedFile), false))
		}
	}
	// The WAL's own extents, not the folder listing and file sizes: a
	// segment file's size is not the end of its records (preallocation).
	exts, err := s.log.Extents()
	if err != nil {
		return nil, fmt.Errorf("pin shard %d: wal extents: %w", s.id, err)
	}
	for _, e := range exts {
		f := c.pinnedFile(e.Path, false)
		f.Size = e.Size
		out = append(out, f)
	}
	return out, nil
}

func (c *Collection) pinnedFile(path string, immutable bool) PinnedFile {
	rel, err := filepath.Rel(c.core.dir, path)
	if err != nil {
		rel = filepath.Base(path)
	}
	return PinnedFile{Path: path, Rel: rel, Immutable: immutable}
}

// ResumeWrites lets writes and commits continue; idempotent.
func (p *Pin) ResumeWrites() {
	if p.resumed {
		return
	}
	p.resumed = true
	for i := len(p.shards) - 1; i >= 0; i-- {
		p.shards[i].mu.Unlock()
		p.shards[i].commitMu.Unlock()
	}
}

// Release unpins the segments (resuming writes first if needed); a segment
// the optimizer replaced meanwhile is removed now if no reader holds it.
func (p *Pin) Release() {
	p.ResumeWrites()
	for _, h := range p.segs {
		h.release()
	}
	p.segs = nil
}

// StoragePin is a cut of the whole storage at one point: every collection
// pinned (Collection.Pin) at once and the alias table as it was then.
type StoragePin struct {
	// Names lists the collections, sorted; Collections[i] is Names[i] and
	// Pins[i] its pin.
	Names       []string
	Collections []*Collection
	Pins        []*Pin
	// Aliases is the alias table at the cut (alias → collection).
	Aliases map[string]string
}

// PinAll pins every collection and reads the alias table at one point, for
// a full snapshot. It takes the storage lock for reading, the lock that
// creating, deleting and restoring collections and changing aliases take
// for writing, so the set of collections and the alias table cannot change
// meanwhile; under it it pins the collections in name order (holding the
// writes of all of them, each WAL made durable as Collection.Pin does) and
// copies the alias table, then releases the storage lock. The lock order,
// storage lock before a shard's write locks, is the one restores follow.
// Call ResumeWrites once the mutable files are captured, then Release. On
// error nothing stays pinned.
//
// While a collection that failed to open is present, PinAll refuses with
// ErrFailed naming it, before pinning anything: a full snapshot stands for
// the whole storage, and one without that collection (whose data is only
// on this disk), or with aliases naming a collection it does not hold
// (which no restore accepts), would be a backup that is not one. The
// failed collection is repaired (and the server restarted), deleted, or
// recovered over; the set of failed collections only shrinks while the
// storage is open.
func (st *Storage) PinAll() (*StoragePin, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed {
		return nil, ErrClosed
	}
	if err := st.failedSnapshotLocked(); err != nil {
		return nil, err
	}
	// Every alias names a pinned collection: Open drops aliases of missing
	// collections, and there is no failed one.
	sp := &StoragePin{Aliases: maps.Clone(st.aliases)}
	for n := range st.collections {
		sp.Names = append(sp.Names, n)
	}
	sort.Strings(sp.Names) // one order: concurrent PinAll calls cannot deadlock
	pinned := false
	defer func() {
		if !pinned { // an error or a panic: release the collections pinned so far
			sp.Release()
		}
	}()
	for _, n := range sp.Names {
		c := st.collections[n]
		p, err := c.Pin()
		if err != nil {
			return nil, fmt.Errorf("pin %s: %w", n, err)
		}
		sp.Collections = append(sp.Collections, c)
		sp.Pins = append(sp.Pins, p)
	}
	pinned = true
	return sp, nil
}

// failedSnapshotLocked is PinAll's refusal while collections that failed
// to open are present: ErrFailed, naming them all in order, with the first
// one's reason. Caller holds mu.
func (st *Storage) failedSnapshotLocked() error {
	if len(st.failed) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(st.failed))
	also := ""
	if len(names) > 1 {
		also = " (so did `" + strings.Join(names[1:], "`, `") + "`)"
	}
	return &engineError{ErrFailed, fmt.Sprintf(
		"Service internal error: Failed to load local shard: cannot create a full snapshot: collection `%s` failed to open: %s%s. Repair it and restart, delete it or recover it from a snapshot, then snapshot again",
		names[0], st.failed[names[0]].reason, also)}
}

// ResumeWrites lets the writes of every pinned collection continue;
// idempotent.
func (sp *StoragePin) ResumeWrites() {
	for _, p := range sp.Pins {
		p.ResumeWrites()
	}
}

// Release unpins every collection (resuming writes first if needed).
func (sp *StoragePin) Release() {
	for _, p := range sp.Pins {
		p.Release()
	}
	sp.Pins = nil
}
