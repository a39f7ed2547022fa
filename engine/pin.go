package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	Files   []PinnedFile
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
	p := &Pin{Dir: c.core.dir}
	p.Files = append(p.Files, c.pinnedFile(filepath.Join(c.core.dir, CollectionFile), false))
	for _, s := range c.shards {
		s.commitMu.Lock()
		s.mu.Lock()
		p.shards = append(p.shards, s)
		if err := s.log.Sync(s.lastLSN); err != nil {
			p.ResumeWrites()
			p.Release()
			return nil, fmt.Errorf("pin shard %d: sync wal: %w", s.id, err)
		}
		files, err := c.shardFiles(s)
		if err != nil {
			p.ResumeWrites()
			p.Release()
			return nil, err
		}
		p.Files = append(p.Files, files...)
		for _, h := range s.segs {
			h.acquire()
			p.segs = append(p.segs, h)
		}
	}
	return p, nil
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

// PinTo is Pin for a snapshot stage folder: under the write hold it
// captures every mutable file into stage at its relative path (hard link
// for files replaced by rename, copy for the growing WAL), resumes writes,
// and returns the collection folder, the immutable files to link (relative
// to it, pinned until unpin is called) and the collection's configuration
// as JSON. On error nothing stays pinned.
func (c *Collection) PinTo(stage string) (root string, files []string, config []byte, unpin func(), err error) {
	p, err := c.Pin()
	if err != nil {
		return "", nil, nil, nil, err
	}
	for _, f := range p.Files {
		if f.Immutable {
			files = append(files, f.Rel)
			continue
		}
		dst := filepath.Join(stage, f.Rel)
		if err = c.captureFile(f, dst); err != nil {
			p.Release()
			return "", nil, nil, nil, fmt.Errorf("pin %s: %w", c.core.name, err)
		}
	}
	p.ResumeWrites()
	cfg := c.Config()
	config, err = json.Marshal(cfg)
	if err != nil {
		p.Release()
		return "", nil, nil, nil, fmt.Errorf("pin %s: %w", c.core.name, err)
	}
	return p.Dir, files, config, p.Release, nil
}

// captureFile links (files replaced by rename) or copies (WAL) one mutable
// file into the stage folder; a failed link (another filesystem) copies.
func (c *Collection) captureFile(f PinnedFile, dst string) error {
	fsys := c.core.fs
	if err := fsys.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if !strings.Contains(f.Rel, string(filepath.Separator)+"wal"+string(filepath.Separator)) {
		if err := fsys.Link(f.Path, dst); err == nil {
			return nil
		}
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsys.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	var src io.Reader = in
	if f.Size > 0 {
		src = io.NewSectionReader(in, 0, f.Size)
	}
	n, err := io.Copy(out, src)
	if err == nil && f.Size > 0 && n != f.Size {
		err = fmt.Errorf("%s holds %d bytes, want %d", f.Path, n, f.Size)
	}
	if err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// PinAllTo is PinTo for the whole storage, cut at one point across every
// collection: it holds the writes of all collections at once, captures their
// mutable files and the alias table into stage (paths relative to the
// storage folder: "aliases", "collections/<name>/..."), resumes writes and
// returns the storage folder, the immutable files to link (relative to it),
// a JSON description {"collections": {name: config}, "aliases": {alias:
// collection}}, and unpin.
func (st *Storage) PinAllTo(stage string) (root string, files []string, config []byte, unpin func(), err error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed {
		return "", nil, nil, nil, ErrClosed
	}
	names := make([]string, 0, len(st.collections))
	for n := range st.collections {
		names = append(names, n)
	}
	sort.Strings(names)
	var pins []*Pin
	release := func() {
		for _, p := range pins {
			p.Release()
		}
	}
	desc := struct {
		Collections map[string]CollectionConfig `json:"collections"`
		Aliases     map[string]string           `json:"aliases"`
	}{Collections: map[string]CollectionConfig{}, Aliases: st.aliases}
	for _, n := range names { // sorted: concurrent PinAllTo calls lock in one order
		c := st.collections[n]
		p, err := c.Pin()
		if err != nil {
			release()
			return "", nil, nil, nil, err
		}
		pins = append(pins, p)
		desc.Collections[n] = c.Config()
	}
	for i, p := range pins {
		c := st.collections[names[i]]
		for _, f := range p.Files {
			rel := filepath.Join(collectionsDir, names[i], f.Rel)
			if f.Immutable {
				files = append(files, rel)
				continue
			}
			if err := c.captureFile(f, filepath.Join(stage, rel)); err != nil {
				release()
				return "", nil, nil, nil, fmt.Errorf("pin storage: %w", err)
			}
		}
	}
	if len(st.aliases) > 0 {
		err := st.opts.FS.MkdirAll(stage, 0o755)
		if err == nil {
			err = storeAliases(st.opts.FS, stage, st.aliases)
		}
		if err != nil {
			release()
			return "", nil, nil, nil, fmt.Errorf("pin storage: %w", err)
		}
	}
	for _, p := range pins {
		p.ResumeWrites()
	}
	config, err = json.Marshal(desc)
	if err != nil {
		release()
		return "", nil, nil, nil, fmt.Errorf("pin storage: %w", err)
	}
	return st.dir, files, config, release, nil
}
