package engine

import (
	"fmt"

	"github.com/cairn-db/cairn/segment"
)

// commitState is what a seal or an optimization makes durable: the manifest,
// the deletion bitmaps changed since they were last stored, and the WAL
// position those bitmaps reflect.
type commitState struct {
	man     manifest
	lsnNow  uint64
	dirty   []*segHandle
	bitmaps []*segment.Bitmap
	zombies []*segHandle
}

// captureLocked takes the durable state to write. Caller holds mu (write).
func (s *shard) captureLocked() *commitState {
	cs := &commitState{lsnNow: s.lastLSN, zombies: s.zombies}
	cs.man = manifest{SealedLSN: s.sealedLSN, NextSegment: s.nextSeg}
	for _, h := range s.segs {
		cs.man.Segments = append(cs.man.Segments, manifestEntry{Name: h.name, Points: h.seg.Len(), Graphs: h.graphNames()})
		if h.dirty {
			cs.dirty = append(cs.dirty, h)
			cs.bitmaps = append(cs.bitmaps, h.deleted.Load())
			h.dirty = false
		}
	}
	s.zombies = nil
	return cs
}

// persist makes a captured state durable: WAL synced up to the operations
// the bitmaps reflect, bitmaps stored, then the manifest swapped. Replaced
// segments are released only once the manifest no longer lists them. On
// failure the state stays pending and the next commit retries it. Caller
// holds commitMu.
func (s *shard) persist(cs *commitState) error {
	err := s.log.Sync(cs.lsnNow)
	if err != nil {
		err = fmt.Errorf("sync wal: %w", err)
	}
	for i, h := range cs.dirty {
		if err != nil {
			break
		}
		if e := segment.StoreDeleted(s.core.fs, h.dir, cs.bitmaps[i]); e != nil {
			err = fmt.Errorf("store deletions of %s: %w", h.name, e)
		}
	}
	if err == nil {
		err = storeManifest(s.core.fs, s.dir, &cs.man)
	}
	if err != nil {
		s.keepPending(cs)
		return err
	}
	for _, h := range cs.zombies {
		h.release()
	}
	return nil
}

// keepPending puts back what a failed commit captured, so that the next
// commit retries it, under the write lock (released on every path, panics
// included).
func (s *shard) keepPending(cs *commitState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range cs.dirty {
		h.dirty = true
	}
	s.zombies = append(cs.zombies, s.zombies...)
}
