package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/wal"
)

// shard is one hash partition of a collection: a WAL, a mutable head, an
// optional frozen head being sealed, and the live sealed segments.
type shard struct {
	id   int
	dir  string
	core *collCore
	log  *wal.Log

	// mu guards everything below it. Writers hold it for append + apply;
	// readers hold it shared while they read the head and take their view.
	mu        sync.RWMutex
	head      *memTable
	frozen    *memTable
	frozenLSN uint64
	segs      []*segHandle
	lastLSN   uint64
	sealedLSN uint64
	nextSeg   uint64
	// zombies were replaced in memory; they stay referenced until a manifest
	// without them is durable.
	zombies []*segHandle
	// closed is set by close: seals, rewrites and commits then refuse
	// (ErrClosed), so nothing changes the durable state after the close.
	closed bool

	// sealMu serialises seals and optMu optimizations (worker, Flush and
	// index builds alike); a seal and an optimization may run together.
	sealMu sync.Mutex
	optMu  sync.Mutex
	// commitMu serialises commits (manifest writes).
	commitMu sync.Mutex

	kick     chan struct{}
	kickOpt  chan struct{}
	started  bool
	stop     chan struct{}
	stopOnce sync.Once
	// ctx is cancelled when the shard stops; every seal and optimization,
	// foreground ones included, runs under it.
	ctx    context.Context
	cancel context.CancelFunc
	loops  sync.WaitGroup
	busy   atomic.Int32
	// lastSeal is when the last seal committed (unix nanoseconds).
	lastSeal atomic.Int64
	errMu    sync.Mutex
	lastErr  error
}

const segmentsDir = "segments"

// shardName is the name of shard id's folder inside a collection folder.
func shardName(id int) string { return "shard-" + strconv.Itoa(id) }

// shardDir is shard id's folder inside the collection folder collDir.
func shardDir(collDir string, id int) string { return filepath.Join(collDir, shardName(id)) }

// openShard recovers a shard: manifest, its segments, removal of folders the
// manifest does not list, then WAL replay into the head. unverified opens
// the segments' graphs without checking them in full (see openCollection).
func openShard(core *collCore, id int, dir string, unverified bool) (*shard, error) {
	s := &shard{id: id, dir: dir, core: core, head: newMemTable(core.specs),
		kick: make(chan struct{}, 1), kickOpt: make(chan struct{}, 1), stop: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := core.fs.MkdirAll(filepath.Join(dir, segmentsDir), 0o755); err != nil {
		return nil, fmt.Errorf("open shard %d: %w", id, err)
	}
	m, err := loadManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("open shard %d: %w", id, err)
	}
	s.sealedLSN, s.lastLSN, s.nextSeg = m.SealedLSN, m.SealedLSN, max(m.NextSegment, 1)
	if err := s.removeUnlisted(m); err != nil {
		return nil, err
	}
	for _, e := range m.Segments {
		h, err := openSegHandle(filepath.Join(dir, segmentsDir, e.Name), core.fs, core.logger, unverified)
		if err != nil {
			s.closeSegments()
			return nil, fmt.Errorf("open shard %d: %w", id, err)
		}
		s.segs = append(s.segs, h)
	}
	if err := s.openWAL(); err != nil {
		s.closeSegments()
		return nil, err
	}
	return s, nil
}

// removeUnlisted removes segment folders (and half-written .tmp folders)
// that the manifest does not list: leftovers of a crash before a commit.
func (s *shard) removeUnlisted(m *manifest) error {
	root := filepath.Join(s.dir, segmentsDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("list segments of shard %d: %w", s.id, err)
	}
	listed := map[string]bool{}
	for _, e := range m.Segments {
		listed[e.Name] = true
	}
	for _, e := range entries {
		if listed[e.Name()] {
			continue
		}
		s.core.logger.Info("remove unlisted segment", "collection", s.core.name, "shard", s.id, "name", e.Name())
		if err := s.core.fs.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return fmt.Errorf("remove unlisted segment %s: %w", e.Name(), err)
		}
	}
	return nil
}

func (s *shard) openWAL() error {
	cfg := s.core.config()
	log, err := wal.Open(filepath.Join(s.dir, "wal"), wal.Options{FS: s.core.fs,
		SegmentSize: int64(cfg.WalConfig.WalCapacityMB) << 20, SegmentsAhead: cfg.WalConfig.WalSegmentsAhead,
		Logger: s.core.logger, FreeSpace: s.core.freeSpace})
	if err != nil {
		return fmt.Errorf("open wal of shard %d: %w", s.id, err)
	}
	if log.LastLSN() < s.sealedLSN {
		_ = log.Close()
		return fmt.Errorf("open shard %d: %w: wal ends at %d before the manifest's %d",
			s.id, ErrCorrupt, log.LastLSN(), s.sealedLSN)
	}
	s.log = log
	if err := s.replayLocked(log.LastLSN()); err != nil {
		_ = log.Close()
		return err
	}
	return nil
}

// replayLocked applies the WAL records after sealedLSN, up to upTo, to the
// head (and the segments' deletion bitmaps). Caller holds mu, or is opening
// the shard.
func (s *shard) replayLocked(upTo uint64) error {
	replayed := 0
	err := s.log.Replay(s.sealedLSN+1, func(lsn uint64, data []byte) error {
		if lsn > upTo {
			return errReplayDone
		}
		o, err := decodeRecord(data)
		if err == nil {
			err = s.checkRecord(&o)
		}
		if err != nil {
			return fmt.Errorf("record %d: %w", lsn, err)
		}
		s.applyLocked(&o, lsn)
		replayed++
		return nil
	})
	if err != nil && !errors.Is(err, errReplayDone) {
		return fmt.Errorf("replay wal of shard %d: %w", s.id, err)
	}
	s.lastLSN = max(s.lastLSN, min(upTo, s.log.LastLSN()))
	if replayed > 0 {
		s.core.logger.Info("replayed wal", "collection", s.core.name, "shard", s.id, "records", replayed)
	}
	return nil
}

func (s *shard) closeSegments() {
	for _, h := range s.segs {
		_ = h.close()
	}
	s.segs = nil
}

// close marks the shard closed, stops the worker, waits for a running seal,
// optimization or commit (which then refuses to commit), closes the WAL
// (making every record durable) and drops the shard's references to its
// segments.
func (s *shard) close() error {
	s.markClosed()
	if hk := s.core.hooks; hk != nil && hk.ShardClosing != nil {
		hk.ShardClosing(s.core.name, s.id)
	}
	s.stopWorker()
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	s.optMu.Lock()
	defer s.optMu.Unlock()
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	err := s.log.Close()
	for _, h := range s.takeSegments() {
		h.obsolete.Store(false) // closing is not deleting
		h.retired.Store(true)   // the last reader closes it
		h.release()
	}
	return err
}

// markClosed sets closed under the write lock (released on every path).
func (s *shard) markClosed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// takeSegments empties the live and zombie segment lists under the write
// lock (released on every path) and returns what they held.
func (s *shard) takeSegments() []*segHandle {
	s.mu.Lock()
	defer s.mu.Unlock()
	segs := append(s.segs, s.zombies...)
	s.segs, s.zombies = nil, nil
	return segs
}

// applyLocked applies a decoded operation with version lsn. Caller holds mu.
func (s *shard) applyLocked(o *op, lsn uint64) {
	cow := map[*segHandle]*segment.Bitmap{}
	now := time.Now().UnixNano()
	switch o.kind {
	case kindPut:
		for i := range o.puts {
			s.removeLocked(o.puts[i].id, cow)
			s.head.put(&o.puts[i], lsn, now)
		}
	case kindDelete:
		for _, id := range o.dels {
			s.removeLocked(id, cow)
		}
	}
	for h, bm := range cow {
		h.deleted.Store(bm)
		h.dirty = true
	}
	s.lastLSN = max(s.lastLSN, lsn)
}

// removeLocked deletes every live copy of id (head, frozen head, segments),
// cloning a segment's bitmap once per operation (copy on write).
func (s *shard) removeLocked(id point.ID, cow map[*segHandle]*segment.Bitmap) bool {
	found := s.head.kill(id)
	if s.frozen != nil && s.frozen.kill(id) {
		found = true
	}
	for _, h := range s.segs {
		off, ok := h.seg.Lookup(id)
		if !ok {
			continue
		}
		bm, cloned := cow[h]
		if !cloned {
			bm = h.deleted.Load()
		}
		if bm.Has(int(off)) {
			continue
		}
		if !cloned {
			bm = bm.Clone()
			cow[h] = bm
		}
		bm.Set(int(off))
		found = true
	}
	return found
}

// errClosedLocked is the error of work refused because the shard is
// closed. Caller holds mu.
func (s *shard) errClosedLocked() error {
	if s.closed {
		return fmt.Errorf("shard %d of %s: %w", s.id, s.core.name, ErrClosed)
	}
	return nil
}

// discard closes and removes a segment written by work that could not
// commit: no manifest lists it.
func (s *shard) discard(h *segHandle) {
	if h == nil {
		return
	}
	h.obsolete.Store(true)
	h.release()
}

// newSegName reserves the next segment folder name. Caller holds mu.
func (s *shard) newSegNameLocked() string {
	n := s.nextSeg
	s.nextSeg++
	return fmt.Sprintf("seg-%016d", n)
}

// setErr records the outcome of a background operation.
func (s *shard) setErr(err error) {
	s.storeErr(err)
	if err != nil {
		s.core.logger.Error("background operation failed", "collection", s.core.name, "shard", s.id, "err", err)
		if hk := s.core.hooks; hk != nil && hk.BackgroundError != nil {
			hk.BackgroundError(s.core.name, s.id, err)
		}
	}
}

func (s *shard) storeErr(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	s.lastErr = err
}

func (s *shard) getErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.lastErr
}
