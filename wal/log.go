package wal

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/cairn-db/cairn/vfs"
)

// Options configures a Log. The zero value selects the defaults.
type Options struct {
	// FS is the filesystem every write, sync, truncation and removal goes
	// through; nil means vfs.OS.
	FS vfs.FS
	// SegmentSize is the size in bytes past which a new segment file is
	// started (Qdrant's wal_capacity_mb); 0 means DefaultSegmentSize. A
	// record larger than a segment gets a segment of its own.
	SegmentSize int64
	// Logger receives recovery warnings; nil means slog.Default().
	Logger *slog.Logger
	// FreeSpace returns the bytes free on the filesystem holding a folder;
	// nil means vfs.FreeSpace. Tests inject a small value.
	FreeSpace func(dir string) (int64, error)
	// SegmentsAhead is the number of empty, preallocated segment files
	// kept ready for the next rotations (Qdrant's wal_segments_ahead); 0
	// creates each segment when the log rotates to it. See ahead.go.
	SegmentsAhead int
}

// segment is one log file: its path, the LSN of its first record and, once
// it is no longer appended to, the end of its records (its file may be
// longer: preallocated and zero-filled).
type segment struct {
	first uint64
	path  string
	end   int64
}

// Log is an open write-ahead log. Its methods are safe for concurrent use.
type Log struct {
	dir     string
	fs      vfs.FS
	segSize int64
	logger  *slog.Logger
	// freeSpace is Options.FreeSpace (see checkSpace).
	freeSpace func(dir string) (int64, error)

	mu      sync.Mutex
	cond    sync.Cond  // signalled when a sync round ends or the log breaks
	segs    []segment  // oldest first; the last one is being appended to
	cur     vfs.File   // the last segment, open for appending
	curSize int64      // bytes written to cur
	last    uint64     // LSN of the last appended record (first LSN - 1 when empty)
	durable uint64     // every record <= durable has been fsynced
	syncing bool       // a leader is fsyncing without holding mu
	retired []vfs.File // rotated-out segments to close once the leader is done
	err     error      // set by the first failed write or sync; cleared by Repair
	closed  bool
	// dur is where the records up to durable end: a crash or a failed
	// fsync can lose nothing before it.
	dur position
	// batch is where the append batch being written started.
	batch position
	// repairTo is where Repair cuts the log back to, set by fail.
	repairTo position
	// gen counts the repairs: an LSN names the same record only within
	// one generation (a repair after a failed fsync reuses LSNs).
	gen uint64
	buf []byte // frame scratch, reused between appends

	// Zero-filling ahead of the appends (see prefill).
	fileEnd    int64         // end of the zero-filled region of cur's file (records, then zeros or a hole, then zeros)
	lastAppend int64         // bytes of the last append (batch)
	filling    bool          // the prefill goroutine is writing zeros from fillLo
	fillLo     int64         // where the zeros being written start
	fillCond   sync.Cond     // signalled when a fill ends or may be needed
	fillDone   chan struct{} // closed when the prefill goroutine has ended
	fillAlive  bool          // the prefill goroutine runs (cleared under mu when it ends)

	// Segments ahead (see ahead.go).
	ahead    int            // Options.SegmentsAhead
	spares   []string       // ready spare files, oldest first
	aheadSeq uint64         // number of the next spare file
	sparing  bool           // the goroutine making spares runs
	spareWG  sync.WaitGroup // done when that goroutine has ended

	// hookWait, when set by a test, is called with mu held each time a
	// Sync caller starts waiting for another caller's fsync.
	hookWait func()
}

// LastLSN returns the LSN of the last appended record, or, when the log holds
// no record, one less than the LSN the next Append will get (0 for a new
// log).
func (l *Log) LastLSN() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// FirstLSN returns the LSN of the oldest record still in the log (the first
// record of the oldest segment file), or LastLSN()+1 when the log is empty.
func (l *Log) FirstLSN() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segs[0].first
}

// DurableLSN returns the highest LSN known durable: every record up to it
// has been fsynced.
func (l *Log) DurableLSN() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.durable
}

// Segments returns the number of segment files the log consists of.
func (l *Log) Segments() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.segs)
}

// writable reports why the log cannot take writes, or nil. mu must be held.
func (l *Log) writable() error {
	if l.err != nil {
		return l.err
	}
	if l.closed {
		return ErrClosed
	}
	return nil
}

// position is the end of a record in a segment file: records up to last
// end at offset off of the file at path.
type position struct {
	path string
	off  int64
	last uint64
}

// Generation returns the number of repairs so far. A caller that must
// know that Sync(lsn) covered its own record, and not a later one given
// the same LSN after a Repair, compares the generation at Append with the
// one after Sync.
func (l *Log) Generation() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// Err returns the error that broke the log (wrapping ErrBroken), or nil.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// fail breaks the log with cause and wakes every waiter, and notes where
// Repair must cut the log back to: for a failed fsync (synced), the last
// record known durable, since the kernel may have dropped any page written
// after it; for a failed write, the start of the batch being written, which
// was never acknowledged (the records before it were written whole and are
// kept). mu must be held.
func (l *Log) fail(cause error, synced bool) error {
	switch {
	case synced:
		l.repairTo = l.dur
	case l.err == nil:
		if l.batch.last < l.durable {
			// A rotation inside the failed batch synced part of it:
			// that part was never acknowledged either.
			l.durable, l.dur = l.batch.last, l.batch
		}
		l.repairTo = l.batch
	}
	if l.err == nil {
		l.err = fmt.Errorf("%w: %w", ErrBroken, cause)
		l.logger.Error("wal: log broken, refusing writes until repaired", "dir", l.dir, "err", cause)
	}
	l.cond.Broadcast()
	l.fillCond.Broadcast()
	return l.err
}
