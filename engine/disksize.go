package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cairn-db/cairn/segment"
)

// DiskBytes is the size of a set of files: Apparent is the sum of their
// lengths (du --apparent-size), Allocated the blocks the file system gave
// them (du; stat's Blocks*512), which is larger than Apparent for
// preallocated WAL files and smaller for sparse ones.
type DiskBytes struct {
	Apparent  int64 `json:"apparent_bytes"`
	Allocated int64 `json:"allocated_bytes"`
}

func (b *DiskBytes) add(o DiskBytes) {
	b.Apparent += o.Apparent
	b.Allocated += o.Allocated
}

// DiskUsage is the disk footprint of a collection's folder by kind. Every
// file and folder under the collection folder is counted exactly once, so
// Total is what du says of the folder (hard links aside).
type DiskUsage struct {
	// Vectors are the segments' vector files (vectors-*) and sparse
	// vector indexes (sparse-*.spx).
	Vectors DiskBytes `json:"vectors"`
	// Graphs are the segments' HNSW graphs (graph*.hnsw).
	Graphs DiskBytes `json:"graphs"`
	// Payload are the segments' payload files and payload indexes.
	Payload DiskBytes `json:"payload"`
	// Other is the rest of the segments: ids, versions, meta, deletion
	// state, the segment folders themselves and leftover files.
	Other DiskBytes `json:"other"`
	// WAL is the shards' write-ahead logs, preallocated space included.
	WAL DiskBytes `json:"wal"`
	// Meta is the collection file, the shards' manifests and the folders
	// holding them.
	Meta DiskBytes `json:"meta"`
	// Total is the sum of all the above.
	Total DiskBytes `json:"total"`
	// Segments is the number of segment folders measured.
	Segments int `json:"segments"`
}

// segDisk is the measured usage of one sealed segment folder's immutable
// files, valid while the folder's modification time and size are unchanged
// (a rename into the folder, as StoreDeleted does, changes them).
type segDisk struct {
	mtime   time.Time
	dirSize int64
	vectors DiskBytes
	graphs  DiskBytes
	payload DiskBytes
	other   DiskBytes
}

// diskCache caches segDisk by segment folder path; zero value ready.
type diskCache struct {
	mu   sync.Mutex
	segs map[string]segDisk
}

func (d *diskCache) get(path string) (segDisk, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.segs[path]
	return e, ok
}

// keep stores the entries of seen and drops every other one (segments a
// merge removed).
func (d *diskCache) keep(seen map[string]segDisk) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.segs = seen
}

// DiskUsage measures the collection's folder on disk by kind. It walks the
// folder without holding any shard lock; a sealed segment's files are
// measured once and cached (they never change; its deletion state is
// stat'ed on every call), and a folder or file removed during the walk (a
// merge replaced the segment) is skipped, not an error.
func (c *Collection) DiskUsage() (DiskUsage, error) {
	return c.diskUsage(nil)
}

// diskUsage is DiskUsage; beforeSeg, when not nil, is called with each
// segment folder's path before it is measured (tests remove it there).
func (c *Collection) diskUsage(beforeSeg func(dir string)) (DiskUsage, error) {
	w := diskWalk{cache: &c.core.disk, seen: map[string]segDisk{}, beforeSeg: beforeSeg}
	var u DiskUsage
	if err := w.walk(c.core.dir, &u); err != nil {
		if _, serr := os.Lstat(c.core.dir); errors.Is(serr, fs.ErrNotExist) {
			return DiskUsage{}, errNotFound(c.core.name) // deleted meanwhile
		}
		return DiskUsage{}, fmt.Errorf("measure collection %s: %w", c.core.name, err)
	}
	w.cache.keep(w.seen)
	for _, b := range []DiskBytes{u.Vectors, u.Graphs, u.Payload, u.Other, u.WAL, u.Meta} {
		u.Total.add(b)
	}
	return u, nil
}

type diskWalk struct {
	cache     *diskCache
	seen      map[string]segDisk
	beforeSeg func(dir string)
}

// walk measures the collection folder: shard folders by their layout,
// everything else as Meta.
func (w *diskWalk) walk(dir string, u *DiskUsage) error {
	if err := statInto(dir, &u.Meta); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), "shard-") {
			err = w.walkShard(p, u)
		} else {
			err = sumTree(p, &u.Meta)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// walkShard measures one shard folder: its WAL, its segments, the rest
// (manifest) as Meta.
func (w *diskWalk) walkShard(dir string, u *DiskUsage) error {
	if err := statInto(dir, &u.Meta); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return skipGone(fmt.Errorf("list %s: %w", dir, err))
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir() && e.Name() == "wal":
			err = sumTree(p, &u.WAL)
		case e.IsDir() && e.Name() == segmentsDir:
			err = w.walkSegments(p, u)
		default:
			err = sumTree(p, &u.Meta)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// walkSegments measures a shard's segments folder, one segment at a time.
func (w *diskWalk) walkSegments(dir string, u *DiskUsage) error {
	if err := statInto(dir, &u.Other); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return skipGone(fmt.Errorf("list %s: %w", dir, err))
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() || strings.HasSuffix(e.Name(), segment.TempSuffix) {
			// A half-written segment changes while we look: never cached.
			if err := sumTree(p, &u.Other); err != nil {
				return err
			}
			continue
		}
		if w.beforeSeg != nil {
			w.beforeSeg(p)
		}
		sd, ok, err := w.segment(p)
		if err != nil {
			return err
		}
		if !ok {
			continue // removed by a merge while we walked
		}
		u.Segments++
		u.Vectors.add(sd.vectors)
		u.Graphs.add(sd.graphs)
		u.Payload.add(sd.payload)
		u.Other.add(sd.other)
	}
	return nil
}

// segment returns the usage of the segment folder dir, from the cache when
// the folder has not changed; ok is false when the folder is gone.
func (w *diskWalk) segment(dir string) (segDisk, bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return segDisk{}, false, nil
	}
	if err != nil {
		return segDisk{}, false, fmt.Errorf("stat %s: %w", dir, err)
	}
	if e, ok := w.cache.get(dir); ok && e.mtime.Equal(fi.ModTime()) && e.dirSize == fi.Size() {
		w.seen[dir] = e
		return e, true, nil
	}
	sd := segDisk{mtime: fi.ModTime(), dirSize: fi.Size()}
	sd.other.add(bytesOf(fi))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return segDisk{}, false, nil
	}
	if err != nil {
		return segDisk{}, false, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		if err := sumTree(filepath.Join(dir, e.Name()), segKind(&sd, e.Name())); err != nil {
			return segDisk{}, false, err
		}
	}
	// Only a folder that did not change while we listed it is cached.
	if fi2, err := os.Lstat(dir); err == nil && fi2.ModTime().Equal(sd.mtime) && fi2.Size() == sd.dirSize {
		w.seen[dir] = sd
	} else if errors.Is(err, fs.ErrNotExist) {
		return segDisk{}, false, nil
	}
	return sd, true, nil
}

// segKind is the bucket a segment file's size goes to.
func segKind(sd *segDisk, name string) *DiskBytes {
	switch {
	case strings.HasPrefix(name, "vectors-"), isSparseFile(name):
		return &sd.vectors
	case strings.HasPrefix(name, "graph") && strings.HasSuffix(name, ".hnsw"):
		return &sd.graphs
	case name == segment.PayloadFile, strings.HasPrefix(name, "index-"):
		return &sd.payload
	}
	return &sd.other
}

// sumTree adds the size of path and, for a folder, of everything under it
// to b. Anything that disappears during the walk is skipped.
func sumTree(path string, b *DiskBytes) error {
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		b.add(bytesOf(fi))
		return nil
	})
	if err != nil {
		return fmt.Errorf("measure %s: %w", path, err)
	}
	return nil
}

// statInto adds the size of the single entry path (not what is under it).
func statInto(path string, b *DiskBytes) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return skipGone(fmt.Errorf("stat %s: %w", path, err))
	}
	b.add(bytesOf(fi))
	return nil
}

// skipGone turns "no longer exists" into success.
func skipGone(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// bytesOf is fi's apparent and allocated size.
func bytesOf(fi fs.FileInfo) DiskBytes {
	return DiskBytes{Apparent: fi.Size(), Allocated: allocatedBytes(fi)}
}
