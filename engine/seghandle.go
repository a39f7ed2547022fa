package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/quant"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/sparse"
	"github.com/cairn-db/cairn/vfs"
)

// segHandle is one live sealed segment of a shard with its mutable side
// state. The deletion bitmap is copy-on-write: a published *Bitmap is never
// changed, so a reader that took the pointer under the shard lock can use it
// without locks. refs counts the shard's live set (1 while listed) plus every
// reader and pin; at zero an obsolete segment is closed and its folder removed.
type segHandle struct {
	name    string // folder name under segments/
	dir     string
	seg     *segment.Segment
	deleted atomic.Pointer[segment.Bitmap]
	dirty   bool // deleted changed since last stored (guarded by shard.mu)

	// graphs maps vector names to their HNSW graphs (set under shard.mu,
	// read by readers holding a ref).
	graphs map[string]*hnsw.Graph
	// quant maps vector names to their scalar int8 codes (set at open).
	quant map[string]*quant.Scalar

	refs     atomic.Int64
	obsolete atomic.Bool // replaced: remove the folder at zero references
	retired  atomic.Bool // shard closed: close (keep the folder) at zero references
	fs       vfs.FS
	logger   *slog.Logger

	idxMu   sync.Mutex
	indexes map[string]*payload.Index

	// sparse maps sparse vector names to their inverted indexes, opened
	// (and checked) with the segment; read-only afterwards.
	sparse map[string]*sparse.Index

	// delCount caches the Count of the last deletion bitmap asked about
	// (published bitmaps never change, so the pointer identifies the count).
	delCount atomic.Pointer[bitmapCount]
}

type bitmapCount struct {
	bm *segment.Bitmap
	n  int
}

// deletedCount returns bm.Count(), computed once per published bitmap.
func (h *segHandle) deletedCount(bm *segment.Bitmap) int {
	if c := h.delCount.Load(); c != nil && c.bm == bm {
		return c.n
	}
	n := bm.Count()
	h.delCount.Store(&bitmapCount{bm: bm, n: n})
	return n
}

// graphFile is the file name of the HNSW graph of vector name in a segment.
func graphFile(name string) string {
	if name == "" {
		return "graph.hnsw"
	}
	return "graph-" + segment.EscapeName(name) + ".hnsw"
}

// indexFile is the extra file name of the payload index on key.
func indexFile(key string) string { return "index-" + segment.EscapeName(key) + ".pidx" }

// openSegHandle opens the segment in dir, its deletion state and the HNSW
// graph of every vector that has one; unverified opens the graphs with
// hnsw.OpenUnverified and the quantized files with quant.ParseUnverified
// (the caller verifies them, or just has).
func openSegHandle(dir string, fs vfs.FS, logger *slog.Logger, unverified bool) (*segHandle, error) {
	s, err := segment.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open segment %s: %w", dir, err)
	}
	bm, err := segment.LoadDeleted(dir, s.Len())
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("load deletions of %s: %w", dir, err)
	}
	h := &segHandle{name: filepath.Base(dir), dir: dir, seg: s, fs: fs, logger: logger,
		graphs: map[string]*hnsw.Graph{}, indexes: map[string]*payload.Index{}}
	h.deleted.Store(bm)
	h.refs.Store(1)
	if err := h.openSparse(); err != nil {
		_ = h.close()
		return nil, err
	}
	if err := h.openQuantized(unverified); err != nil {
		_ = h.close()
		return nil, err
	}
	for _, sp := range s.Specs() {
		if s.Extra(graphFile(sp.Name)) == nil {
			continue
		}
		if err := h.openGraph(sp.Name, unverified); err != nil {
			_ = h.close()
			return nil, err
		}
	}
	return h, nil
}

// openGraph maps the graph file of vector name, checked in full unless
// unverified.
func (h *segHandle) openGraph(name string, unverified bool) error {
	var spec *segment.VectorSpec
	for _, sp := range h.seg.Specs() {
		if sp.Name == name {
			spec = &sp
		}
	}
	if spec == nil {
		return fmt.Errorf("open graph of %s: %w: unknown vector %q", h.dir, ErrCorrupt, name)
	}
	block, dim := h.seg.Vectors(name)
	open := hnsw.Open
	if unverified {
		open = hnsw.OpenUnverified
	}
	g, err := open(filepath.Join(h.dir, graphFile(name)), block, dim, spec.Distance)
	if err != nil {
		return fmt.Errorf("open graph of %s: %w", h.dir, err)
	}
	h.graphs[name] = g
	return nil
}

// graphNames returns the vector names that have a graph (sorted by spec order).
func (h *segHandle) graphNames() []string {
	var out []string
	for _, sp := range h.seg.Specs() {
		if _, ok := h.graphs[sp.Name]; ok {
			out = append(out, sp.Name)
		}
	}
	return out
}

// live returns the number of points not deleted.
func (h *segHandle) live() int {
	bm := h.deleted.Load()
	return h.seg.Len() - h.deletedCount(bm)
}

// acquire adds a reference.
func (h *segHandle) acquire() { h.refs.Add(1) }

// release drops a reference; the last one closes an obsolete segment and
// removes its folder.
func (h *segHandle) release() {
	if h.refs.Add(-1) != 0 {
		return
	}
	if !h.obsolete.Load() {
		if h.retired.Load() {
			if err := h.close(); err != nil {
				h.logger.Warn("close segment", "dir", h.dir, "err", err)
			}
		}
		return
	}
	err := h.close()
	if rmErr := h.fs.RemoveAll(h.dir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		h.logger.Warn("remove obsolete segment", "dir", h.dir, "err", err)
	}
}

func (h *segHandle) close() error {
	var errs []error
	for _, g := range h.graphs {
		errs = append(errs, g.Close())
	}
	errs = append(errs, h.seg.Close())
	return errors.Join(errs...)
}

// index returns the payload index on key stored in the segment, or nil.
func (h *segHandle) index(key string) *payload.Index {
	h.idxMu.Lock()
	defer h.idxMu.Unlock()
	if ix, ok := h.indexes[key]; ok {
		return ix
	}
	var ix *payload.Index
	if b := h.seg.Extra(indexFile(key)); b != nil {
		var err error
		if ix, err = payload.OpenIndex(b); err != nil {
			h.logger.Warn("open payload index", "dir", h.dir, "key", key, "err", err)
			ix = nil
		}
	}
	h.indexes[key] = ix
	return ix
}

// segSource adapts a segment and a deletion snapshot to payload.Source.
type segSource struct {
	h    *segHandle
	defs map[string]payload.FieldSchema // configured indexes; nil: any stored index
}

// Len, ID, Lookup and Payload implement payload.Source over the segment.
func (s segSource) Len() int                          { return s.h.seg.Len() }
func (s segSource) ID(off uint32) point.ID            { return s.h.seg.ID(off) }
func (s segSource) Lookup(id point.ID) (uint32, bool) { return s.h.seg.Lookup(id) }

// Index returns the segment's index on key when it is configured and
// current (built for the configured type); a stale one is ignored.
func (s segSource) Index(key string) *payload.Index {
	if s.defs != nil {
		if want, ok := s.defs[key]; !ok || !segmentHasIndex(s.h, key, want) {
			return nil
		}
	}
	return s.h.index(key)
}
func (s segSource) Payload(off uint32) payload.Payload { return decodePayload(s.h.seg.Payload(off)) }

// HasVector implements payload.VectorSource, so has_vector conditions see
// the segment's vectors.
func (s segSource) HasVector(name string, off uint32) bool {
	if ix := s.h.sparse[name]; ix != nil {
		return ix.Has(off)
	}
	return s.h.seg.HasVector(name, off)
}

// decodePayload decodes stored payload bytes; nil or invalid gives an empty payload.
func decodePayload(b []byte) payload.Payload {
	if len(b) == 0 {
		return payload.Payload{}
	}
	p, err := payload.Decode(b)
	if err != nil {
		return payload.Payload{}
	}
	return p
}
