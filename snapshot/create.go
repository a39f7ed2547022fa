package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// Source is what a snapshot needs from the owner of the data: a collection,
// a shard, or the whole instance (every collection and alias at one cut).
// CollectionSource, ShardSource and FullSource (engine.go) implement it over
// the engine; the archive code itself never depends on the engine.
type Source interface {
	// Pin cuts a consistent point: for a moment it holds the owner's writes,
	// pins the immutable files so no merge or delete removes them, writes
	// the small mutable state (head points or WAL tail, deletion files,
	// metadata) as files under stage, and releases the writes. It returns
	// the immutable files to hard-link into stage; they stay pinned until
	// Pinned.Unpin is called.
	Pin(ctx context.Context, stage string) (Pinned, error)
}

// Pinned is the result of Source.Pin.
type Pinned struct {
	// Root is the folder Files are relative to.
	Root string
	// Files are the immutable files to link, relative to Root; each is
	// linked to the same relative path under the stage folder.
	Files []string
	// Config is the owner's configuration, stored in the manifest.
	Config json.RawMessage
	// WALLSNs is, per shard, the last WAL LSN the cut covers (collection
	// snapshots), stored in the manifest.
	WALLSNs []uint64
	// Timelines maps each collection pinned to its timeline, stored in
	// the manifest.
	Timelines map[string]string
	// Unpin releases the pinned files; nil means nothing to release.
	Unpin func()
}

// Options configures Create and StreamFresh.
type Options struct {
	// FS receives every durable write; nil means vfs.OS.
	FS vfs.FS
	// TempPath is the folder for stage folders (storage.temp_path). For
	// hard links to work it must be on the storage's filesystem.
	TempPath string
	// Logger receives the copy-fallback warning; nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) fs() vfs.FS {
	if o.FS == nil {
		return vfs.OS
	}
	return o.FS
}

// Create makes a snapshot of src named name (or the next free name, see
// WriteArchive) in dir: it makes a stage folder under the temp path, lets
// src pin and write its mutable state there, links the pinned files in,
// streams the stage folder into the archive, then removes the stage folder
// and unpins, whatever happens. meta.CreatedAt defaults to now; the caller
// should derive name from the same time.
func Create(ctx context.Context, o Options, dir, name string, meta Meta, src Source) (Info, error) {
	if err := ValidName(name); err != nil {
		return Info{}, err
	}
	var info Info
	err := staged(ctx, o, &meta, src, func(stage string) error {
		var err error
		info, err = WriteArchive(o.fs(), dir, name, stage, meta)
		return err
	})
	return info, err
}

// StreamFresh writes a fresh snapshot of src to w without storing it (the
// "GET .../snapshot" download): the same cut as Create, streamed as it is
// archived. The caller computes any checksum it wants from w.
func StreamFresh(ctx context.Context, o Options, w io.Writer, meta Meta, src Source) (*Manifest, error) {
	var m *Manifest
	err := staged(ctx, o, &meta, src, func(stage string) error {
		var err error
		m, err = Stream(w, stage, meta)
		return err
	})
	return m, err
}

// staged runs write on a stage folder holding src's pinned, linked files.
func staged(ctx context.Context, o Options, meta *Meta, src Source, write func(stage string) error) (err error) {
	if meta.CreatedAt.IsZero() {
		meta.CreatedAt = time.Now()
	}
	fsys := o.fs()
	stage, err := NewTempDir(fsys, o.TempPath, "stage")
	if err != nil {
		return err
	}
	defer func() {
		if rerr := fsys.RemoveAll(stage); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove stage folder: %w", rerr))
		}
	}()
	p, err := src.Pin(ctx, stage)
	if err != nil {
		return fmt.Errorf("pin snapshot source: %w", err)
	}
	if p.Unpin != nil {
		defer p.Unpin()
	}
	if _, err := LinkTree(fsys, p.Root, stage, p.Files, o.Logger); err != nil {
		return fmt.Errorf("link snapshot files: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if meta.Config == nil {
		meta.Config = p.Config
	}
	if meta.WALLSNs == nil {
		meta.WALLSNs = p.WALLSNs
	}
	if meta.Timelines == nil {
		meta.Timelines = p.Timelines
	}
	return write(stage)
}

// Unpack makes a restore's first step safe: it checks the archive against
// checksum (skipped when checksum is ""), then extracts it into a fresh
// folder under tempPath and returns that folder and the manifest. Nothing
// outside the new folder is written; on error it is removed. The caller
// moves the folder into place and must remove it (RemoveTemps does after a
// crash).
func Unpack(archivePath, checksum, tempPath string, lim Limits) (string, *Manifest, error) {
	if checksum != "" {
		if err := VerifyChecksum(archivePath, checksum); err != nil {
			return "", nil, err
		}
	}
	f, err := os.Open(archivePath)
	if err != nil {
		return "", nil, fmt.Errorf("open archive: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(tempPath, dirMode); err != nil {
		return "", nil, fmt.Errorf("create temp path %s: %w", tempPath, err)
	}
	dst, err := TempName(tempPath, "restore")
	if err != nil {
		return "", nil, err
	}
	m, err := Extract(f, dst, lim)
	if err != nil {
		return "", nil, fmt.Errorf("extract %s: %w", filepath.Base(archivePath), err)
	}
	return dst, m, nil
}
