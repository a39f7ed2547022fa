package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
)

// seal freezes the head (unless a failed seal left a frozen head to retry),
// writes its live points as a new segment, then commits: the segment joins
// the live set, the manifest records the frozen head's last LSN, and the WAL
// is truncated before it. The frozen head stays searchable until the commit.
// Caller holds sealMu.
func (s *shard) seal(ctx context.Context) error {
	f, err := s.freeze()
	if err != nil || f.head == nil {
		return err
	}
	fz, lsn, liveSnap, nlive, name := f.head, f.lsn, f.live, f.nlive, f.name

	s.busy.Add(1)
	defer s.busy.Add(-1)
	if hk := s.core.hooks; hk != nil && hk.SealStart != nil {
		hk.SealStart(s.core.name, s.id)
	}
	recs := make([]segment.Record, 0, nlive)
	var sparse sparseByID
	for slot, live := range liveSnap {
		if live {
			p := fz.pointAt(slot)
			recs = append(recs, segment.Record{ID: p.id, Version: fz.versions[slot], Vectors: p.vectors, Payload: p.payload})
			sparse = sparse.add(p.id, p.sparse)
		}
	}
	h, err := s.writeSegment(ctx, name, recs, sparse, false)
	if err != nil {
		return fmt.Errorf("seal shard %d: %w", s.id, err)
	}

	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	cs, err := s.installSeal(h, fz, lsn, liveSnap)
	if err != nil {
		// The frozen head stays in the WAL: the next open replays it.
		s.discard(h)
		return err
	}
	if err := s.persist(cs); err != nil {
		return fmt.Errorf("seal shard %d: commit: %w", s.id, err)
	}
	// Still under commitMu: a Pin never lists WAL files being removed.
	// With WAL archiving, never past what the archive holds.
	if err := s.log.TruncateBefore(s.truncateCut(lsn)); err != nil {
		return fmt.Errorf("seal shard %d: truncate wal: %w", s.id, err)
	}
	return nil
}

// frozenHead is what a seal reads of the frozen head under the lock.
type frozenHead struct {
	head  *memTable // nil: nothing to seal
	lsn   uint64    // the head's last LSN
	live  []bool    // a copy of its live flags
	nlive int
	name  string // the reserved segment name
}

// freeze freezes the head (unless a failed seal left a frozen head to
// retry) and reserves the segment name, under the write lock (released on
// every path, panics included).
func (s *shard) freeze() (frozenHead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errClosedLocked(); err != nil {
		return frozenHead{}, err
	}
	if s.frozen == nil {
		if s.head.slots() == 0 {
			return frozenHead{}, nil
		}
		s.frozen, s.frozenLSN = s.head, s.lastLSN
		s.head = newMemTable(s.core.specs)
	}
	fz := s.frozen
	return frozenHead{head: fz, lsn: s.frozenLSN, live: slices.Clone(fz.live), nlive: fz.nlive,
		name: s.newSegNameLocked()}, nil
}

// installSeal swaps the written segment h in for the frozen head fz,
// marking in it the points deleted from fz since the seal started, and
// captures the state to commit, under the write lock (released on every
// path, panics included). Caller holds commitMu.
func (s *shard) installSeal(h *segHandle, fz *memTable, lsn uint64, liveSnap []bool) (*commitState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errClosedLocked(); err != nil {
		return nil, err
	}
	if h != nil {
		cow := h.deleted.Load()
		changed := false
		for slot, live := range liveSnap {
			if live && !fz.live[slot] {
				if off, ok := h.seg.Lookup(fz.ids[slot]); ok {
					if !changed {
						cow, changed = cow.Clone(), true
					}
					cow.Set(int(off))
				}
			}
		}
		if changed {
			h.deleted.Store(cow)
			h.dirty = true
		}
		s.segs = append(s.segs, h)
	}
	s.frozen = nil
	s.sealedLSN = lsn
	s.lastSeal.Store(time.Now().UnixNano())
	return s.captureLocked(), nil
}

// writeSegment writes recs (any order) as segment folder name with the
// collection's payload indexes, the sparse vectors' inverted indexes (the
// points' sparse vectors by id) and, when graphs is set and the segment is
// large enough, its HNSW graphs, and opens it. Seals write no graph (a seal
// must be quick: the head keeps growing meanwhile); the optimizer adds them. No records gives a nil handle. On error the folder
// is removed.
func (s *shard) writeSegment(ctx context.Context, name string, recs []segment.Record, sparse sparseByID, graphs bool) (*segHandle, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	slices.SortFunc(recs, func(a, b segment.Record) int { return point.Compare(a.ID, b.ID) })
	dir := filepath.Join(s.dir, segmentsDir, name)
	extra, err := s.core.buildIndexes(recs)
	if err != nil {
		return nil, err
	}
	extra = buildSparseIndexes(recs, sparse, extra)
	opts := segment.WriteOptions{FS: s.core.fs, Vectors: s.core.specs, Extra: extra}
	if graphs {
		opts.Attach = s.graphAttach(ctx, len(recs))
	}
	if cfg := s.core.config(); cfg.quantized() {
		graph := opts.Attach
		opts.Attach = attachAll(func(fsys vfs.FS, dir string, seg *segment.Segment) ([]string, error) {
			return quantAttach(&cfg, fsys, dir, seg)
		}, graph)
	}
	if err := segment.Write(dir, recs, opts); err != nil {
		_ = s.core.fs.RemoveAll(dir + ".tmp")
		_ = s.core.fs.RemoveAll(dir)
		return nil, fmt.Errorf("write segment %s: %w", name, err)
	}
	h, err := openSegHandle(dir, s.core.fs, s.core.logger, false)
	if err != nil {
		_ = s.core.fs.RemoveAll(dir)
		return nil, err
	}
	return h, nil
}
