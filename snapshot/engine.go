package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

// AliasesFile is the file of a full snapshot that holds the alias table:
// a JSON object {"aliases": {alias: collection}}.
const AliasesFile = "aliases.json"

// CollectionsFolder is the folder of a full snapshot holding one folder per
// collection, each laid out as the collection's live folder.
const CollectionsFolder = "collections"

// observeHold, when set (tests and benchmarks only), receives how long each
// cut held the writes of the collections it pinned.
var observeHold func(time.Duration)

// CollectionSource is a Source over one collection: the archive's root is
// the collection folder (collection file, shard-N/manifest, segments, WAL).
type CollectionSource struct {
	// Collection is the collection to snapshot.
	Collection *engine.Collection
	// FS makes the stage folder's files; nil means vfs.OS.
	FS vfs.FS
	// Logger receives the copy-fallback warning; nil means slog.Default().
	Logger *slog.Logger
}

// Pin implements Source.
func (s CollectionSource) Pin(ctx context.Context, stage string) (Pinned, error) {
	cfg, err := json.Marshal(s.Collection.Config())
	if err != nil {
		return Pinned{}, fmt.Errorf("encode collection config: %w", err)
	}
	var lsns []uint64
	hold := func() ([]plan, []*engine.Pin, error) {
		plans, pins, err := pinOne(plan{c: s.Collection})()
		if err == nil {
			lsns = pins[0].LSNs
		}
		return plans, pins, err
	}
	unpin, err := cut(ctx, fsOr(s.FS), s.Logger, stage, hold)
	if err != nil {
		return Pinned{}, err
	}
	return Pinned{Config: cfg, WALLSNs: lsns, Timelines: timelines(s.Collection), Unpin: unpin}, nil
}

// ShardSource is a Source over one shard of a collection: the collection
// file and the shard's folder, laid out as in the collection folder, so a
// restore of the shard keeps the collection's configuration.
type ShardSource struct {
	// Collection owns the shard.
	Collection *engine.Collection
	// Shard is the shard id, from 0 to shard_number-1.
	Shard uint32
	// FS makes the stage folder's files; nil means vfs.OS.
	FS vfs.FS
	// Logger receives the copy-fallback warning; nil means slog.Default().
	Logger *slog.Logger
}

// Pin implements Source. The engine pins whole collections; only the
// shard's files (and the collection file) are captured and linked.
func (s ShardSource) Pin(ctx context.Context, stage string) (Pinned, error) {
	conf := s.Collection.Config()
	if int(s.Shard) >= conf.Params.ShardNumber {
		return Pinned{}, fmt.Errorf("%w: %d of collection %s", ErrNoShard, s.Shard, s.Collection.Name())
	}
	cfg, err := json.Marshal(conf)
	if err != nil {
		return Pinned{}, fmt.Errorf("encode collection config: %w", err)
	}
	prefix := ShardFolder(s.Shard) + string(filepath.Separator)
	keep := func(rel string) bool { return rel == engine.CollectionFile || strings.HasPrefix(rel, prefix) }
	unpin, err := cut(ctx, fsOr(s.FS), s.Logger, stage, pinOne(plan{c: s.Collection, keep: keep}))
	if err != nil {
		return Pinned{}, err
	}
	return Pinned{Config: cfg, Timelines: timelines(s.Collection), Unpin: unpin}, nil
}

// timelines maps each collection of cs on a timeline other than 0 to it.
func timelines(cs ...*engine.Collection) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		if t := c.Timeline(); t.ID != 0 {
			out[c.Name()] = t.String()
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ShardFolder is the folder of shard id inside a collection folder, as the
// engine lays it out.
func ShardFolder(id uint32) string { return fmt.Sprintf("shard-%d", id) }

// FullSource is a Source over the whole storage: every collection and
// every alias, cut at one point (engine.Storage.PinAll: the writes of all
// collections are held together, and the collection set and alias table
// are read under the storage lock that changes to them take). The archive
// holds collections/NAME/… per collection and aliases.json.
type FullSource struct {
	// Storage is the instance to snapshot.
	Storage *engine.Storage
	// FS makes the stage folder's files; nil means vfs.OS.
	FS vfs.FS
	// Logger receives the copy-fallback warning; nil means slog.Default().
	Logger *slog.Logger
}

// FullConfig is the configuration stored in a full snapshot's manifest.
type FullConfig struct {
	// Collections maps each collection to its configuration.
	Collections map[string]engine.CollectionConfig `json:"collections"`
	// Aliases maps each alias to its collection.
	Aliases map[string]string `json:"aliases"`
}

// Pin implements Source.
func (s FullSource) Pin(ctx context.Context, stage string) (Pinned, error) {
	fc := FullConfig{Collections: map[string]engine.CollectionConfig{}, Aliases: map[string]string{}}
	var tls map[string]string
	hold := func() ([]plan, []*engine.Pin, error) {
		sp, err := s.Storage.PinAll()
		if err != nil {
			return nil, nil, err
		}
		plans := make([]plan, len(sp.Names))
		for i, n := range sp.Names {
			plans[i] = plan{c: sp.Collections[i], prefix: filepath.Join(CollectionsFolder, n)}
			fc.Collections[n] = sp.Collections[i].Config()
		}
		maps.Copy(fc.Aliases, sp.Aliases) // read in the same cut: every alias names a pinned collection
		tls = timelines(sp.Collections...)
		return plans, sp.Pins, nil
	}
	unpin, err := cut(ctx, fsOr(s.FS), s.Logger, stage, hold)
	if err != nil {
		return Pinned{}, err
	}
	body, err := json.Marshal(struct {
		Aliases map[string]string `json:"aliases"`
	}{fc.Aliases})
	if err == nil {
		err = writeFile(fsOr(s.FS), filepath.Join(stage, AliasesFile), body)
	}
	var cfg []byte
	if err == nil {
		cfg, err = json.Marshal(fc)
	}
	if err != nil {
		unpin()
		return Pinned{}, fmt.Errorf("pin storage: %w", err)
	}
	return Pinned{Config: cfg, Timelines: tls, Unpin: unpin}, nil
}

// plan is one collection of a cut: its files go under prefix in the stage
// folder; keep (nil: all) selects them by path relative to the collection.
type plan struct {
	c      *engine.Collection
	prefix string
	keep   func(rel string) bool
}

// captured is a mutable file opened under the write hold: its first size
// bytes are its state at the cut, whatever happens to the path afterwards
// (files replaced by rename keep their inode; a WAL segment's bytes before
// the end of its last record at the cut never change). For a WAL segment
// size is the WAL's own end of records at the cut, never the file size: a
// preallocated segment is longer than its records, and the bytes after the
// cut's end get records appended once writes resume (copying them would
// let each shard's copy reach a different point in time).
type captured struct {
	f    *os.File
	size int64
	dst  string
}

// pinOne is the hold of a cut of one collection.
func pinOne(pl plan) func() ([]plan, []*engine.Pin, error) {
	return func() ([]plan, []*engine.Pin, error) {
		p, err := pl.c.Pin()
		if err != nil {
			return nil, nil, fmt.Errorf("pin %s: %w", pl.c.Name(), err)
		}
		return []plan{pl}, []*engine.Pin{p}, nil
	}
}

// cut calls hold, which pins collections (holding all their writes at
// once) and returns one plan per pin; under the hold cut only opens the
// mutable files and notes their sizes, then resumes the writes. Without
// any lock it then copies the captured bytes into the stage folder and
// hard-links the immutable files, which stay pinned until the returned
// unpin is called.
func cut(ctx context.Context, fsys vfs.FS, log *slog.Logger, stage string, hold func() ([]plan, []*engine.Pin, error)) (unpin func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var caps []captured
	start := time.Now()
	plans, pins, err := hold()
	if err != nil {
		return nil, err
	}
	release := func() {
		for _, c := range caps {
			_ = c.f.Close()
		}
		for _, p := range pins {
			p.Release()
		}
	}
	links := make([][]string, len(plans))
	for i, pl := range plans {
		for _, f := range pins[i].Files {
			if pl.keep != nil && !pl.keep(f.Rel) {
				continue
			}
			if f.Immutable {
				links[i] = append(links[i], f.Rel)
				continue
			}
			c, err := openCaptured(f, filepath.Join(stage, pl.prefix, f.Rel))
			if err != nil {
				release()
				return nil, fmt.Errorf("pin %s: %w", pl.c.Name(), err)
			}
			caps = append(caps, c)
		}
	}
	for _, p := range pins {
		p.ResumeWrites()
	}
	held := time.Since(start)
	if observeHold != nil {
		observeHold(held)
	}
	logOr(log).Debug("snapshot cut", "collections", len(plans), "held", held)
	if err := copyCaptured(fsys, caps); err != nil {
		release()
		return nil, err
	}
	caps = nil
	for i, pl := range plans {
		if _, err := LinkTree(fsys, pins[i].Dir, filepath.Join(stage, pl.prefix), links[i], log); err != nil {
			release()
			return nil, fmt.Errorf("link %s: %w", pl.c.Name(), err)
		}
	}
	return release, nil
}

// openCaptured opens a mutable file under the write hold and notes the
// length of its state at the cut: the pinned Size (the WAL's end of
// records) when given, the file size otherwise.
func openCaptured(pf engine.PinnedFile, dst string) (captured, error) {
	f, err := os.Open(pf.Path)
	if err != nil {
		return captured{}, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return captured{}, err
	}
	size := st.Size()
	if pf.Size > 0 {
		if pf.Size > size {
			_ = f.Close()
			return captured{}, fmt.Errorf("%s: %d bytes, its records end at %d", pf.Path, size, pf.Size)
		}
		size = pf.Size
	}
	return captured{f: f, size: size, dst: dst}, nil
}

// copyCaptured writes each captured prefix into the stage folder and closes
// every file, whatever happens.
func copyCaptured(fsys vfs.FS, caps []captured) error {
	var err error
	for _, c := range caps {
		if err == nil {
			if cerr := copyPrefix(fsys, c); cerr != nil {
				err = fmt.Errorf("capture %s: %w", c.f.Name(), cerr)
			}
		}
		err = errors.Join(err, c.f.Close())
	}
	return err
}

func copyPrefix(fsys vfs.FS, c captured) error {
	if err := fsys.MkdirAll(filepath.Dir(c.dst), dirMode); err != nil {
		return err
	}
	out, err := fsys.OpenFile(c.dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.NewSectionReader(c.f, 0, c.size))
	if err == nil && n != c.size {
		err = fmt.Errorf("file shrank to %d bytes, want %d", n, c.size)
	}
	return errors.Join(err, out.Close())
}

func writeFile(fsys vfs.FS, path string, data []byte) error {
	out, err := fsys.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return errors.Join(err, out.Close())
}

func fsOr(fsys vfs.FS) vfs.FS {
	if fsys == nil {
		return vfs.OS
	}
	return fsys
}

func logOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
