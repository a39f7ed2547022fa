package engine

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cairn-db/cairn/segment"
)

// errReplayDone stops a replay at its bound.
var errReplayDone = errors.New("replay reached its bound")

// errWALRepaired reports a wait=true write whose record a WAL repair
// dropped between its append and its sync: it was never made durable.
var errWALRepaired = errors.New("wal repaired after a failure before the record was synced")

// repairLogs repairs the WAL of every shard whose WAL a failed write or
// fsync broke (see recoverLog), so that the next write can succeed once the
// disk can take it again. It returns the first repair that failed.
func (c *Collection) repairLogs() error {
	var first error
	for _, s := range c.shards {
		if s.log.Err() == nil {
			continue
		}
		if err := s.recoverLog(); err != nil {
			s.core.logger.Warn("wal repair failed; the next write retries", "collection", s.core.name, "shard", s.id, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// recoverLog repairs a broken WAL in place (wal.Log.Repair) and, when the
// repair drops records the shard had applied (after a failed fsync, every
// record after the last durable one), reloads the shard's in-memory state
// from what is durable, exactly as a restart would: segments and deletion
// bitmaps from the manifest, then the WAL replayed into a new head up to
// the last record the repair keeps. The reload happens even when the
// repair itself fails (the disk still refuses writes), so a write whose
// WAL append or sync failed is applied nowhere, at once; the repair is
// retried by the next write. It holds every lock of the shard, in close's
// order, so no seal, optimization or commit runs meanwhile.
func (s *shard) recoverLog() error {
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	s.optMu.Lock()
	defer s.optMu.Unlock()
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errClosedLocked(); err != nil {
		return err
	}
	if s.log.Err() == nil {
		return nil // repaired by another writer meanwhile
	}
	// Everything that can fail before the repair, so that a failure
	// leaves the shard as it was.
	m, err := loadManifest(s.dir)
	if err != nil {
		return fmt.Errorf("reload shard %d: %w", s.id, err)
	}
	segs, bitmaps, err := s.durableSegmentsLocked(m)
	if err != nil {
		return fmt.Errorf("reload shard %d: %w", s.id, err)
	}
	repairErr := s.log.Repair()
	if repairErr != nil {
		repairErr = fmt.Errorf("repair wal of shard %d: %w", s.id, repairErr)
	}
	keep := s.log.KeptLSN()
	if keep >= s.lastLSN {
		// Nothing applied is dropped (a failed write: its batch was never
		// applied): memory matches the log.
		s.dropUnused(segs)
		s.setErr(repairErr)
		return repairErr
	}
	s.core.logger.Warn("wal: records after the last durable one are dropped; reloading the shard from its durable state",
		"collection", s.core.name, "shard", s.id, "from_lsn", keep+1, "to_lsn", s.lastLSN)
	s.swapSegmentsLocked(segs, bitmaps)
	s.head, s.frozen, s.frozenLSN = newMemTable(s.core.specs), nil, 0
	s.sealedLSN, s.lastLSN = m.SealedLSN, m.SealedLSN
	s.nextSeg = max(s.nextSeg, m.NextSegment, 1)
	if err := s.replayLocked(keep); err != nil {
		err = errors.Join(repairErr, err)
		s.setErr(err)
		return err
	}
	s.setErr(repairErr)
	return repairErr
}

// durableSegmentsLocked returns a handle for every segment the manifest
// lists (the live or replaced handle of that name, or a newly opened one)
// and its durable deletion bitmap. Nothing of the shard changes. Caller
// holds mu.
func (s *shard) durableSegmentsLocked(m *manifest) ([]*segHandle, []*segment.Bitmap, error) {
	have := map[string]*segHandle{}
	for _, h := range append(append([]*segHandle(nil), s.segs...), s.zombies...) {
		have[h.name] = h
	}
	var segs []*segHandle
	var bitmaps []*segment.Bitmap
	for _, e := range m.Segments {
		h := have[e.Name]
		if h == nil {
			var err error
			h, err = openSegHandle(filepath.Join(s.dir, segmentsDir, e.Name), s.core.fs, s.core.logger, false)
			if err != nil {
				s.dropUnused(segs)
				return nil, nil, err
			}
		}
		bm, err := segment.LoadDeleted(h.dir, h.seg.Len())
		if err != nil {
			s.dropUnused(append(segs, h))
			return nil, nil, fmt.Errorf("load deletions of %s: %w", e.Name, err)
		}
		segs, bitmaps = append(segs, h), append(bitmaps, bm)
	}
	return segs, bitmaps, nil
}

// dropUnused closes the handles in segs that durableSegmentsLocked opened
// (those the shard does not hold). Caller holds mu.
func (s *shard) dropUnused(segs []*segHandle) {
	held := map[*segHandle]bool{}
	for _, h := range append(append([]*segHandle(nil), s.segs...), s.zombies...) {
		held[h] = true
	}
	for _, h := range segs {
		if !held[h] {
			h.retired.Store(true)
			h.release()
		}
	}
}

// swapSegmentsLocked makes segs (with bitmaps) the live set. A handle the
// shard held that the manifest does not list (a seal's or a merge's output
// whose commit failed) becomes obsolete: its folder goes with its last
// reader. Caller holds mu.
func (s *shard) swapSegmentsLocked(segs []*segHandle, bitmaps []*segment.Bitmap) {
	keep := map[*segHandle]bool{}
	for i, h := range segs {
		keep[h] = true
		h.deleted.Store(bitmaps[i])
		h.dirty = false
	}
	for _, h := range append(append([]*segHandle(nil), s.segs...), s.zombies...) {
		if keep[h] {
			h.obsolete.Store(false) // a replaced segment the manifest still lists
			continue
		}
		h.obsolete.Store(true)
		h.release()
	}
	s.segs, s.zombies = segs, nil
}
