package wal

import (
	"fmt"
	"os"
	"slices"

	"github.com/cairn-db/cairn/vfs"
)

// Repair makes a broken log (see ErrBroken) writable again, without a
// reopen, once the filesystem can take writes again (space freed after
// ENOSPC, say). It cuts the log back to a point every kept record is known
// to have reached (see fail): after a failed write, the start of the batch
// that failed, keeping every record appended before it; after a failed
// fsync, the end of the last record a successful fsync covered, dropping
// every record appended after it, since after a failed fsync the kernel may
// have dropped their pages and no later fsync could prove them durable. It
// removes the segment files after that point, truncates the file there
// (dropping any partial frame and stale byte), preallocates it again and
// fsyncs it, so every kept record is durable; appends then continue after
// the last kept record, whose LSN LastLSN reports (lower than before
// after a failed fsync: the dropped LSNs are given to the next records).
// A record whose Append or Sync failed is therefore never replayed, and no
// record is duplicated. Repair on a log that is not broken does nothing; on
// failure the log stays broken and Repair may be called again.
func (l *Log) Repair() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.syncing {
			l.cond.Wait()
			continue
		}
		if l.err != nil && l.fillAlive {
			// It ends on its own once the log is broken.
			l.fillCond.Wait()
			continue
		}
		break
	}
	if l.closed {
		return ErrClosed
	}
	if l.err == nil {
		return nil
	}
	to := l.repairTo
	k := slices.IndexFunc(l.segs, func(s segment) bool { return s.path == to.path })
	if k < 0 {
		return fmt.Errorf("repair wal %s: %w: segment %s of the last good record is gone", l.dir, ErrCorrupt, to.path)
	}
	if err := l.removeAfter(l.segs[k]); err != nil {
		return vfs.PathError("repair wal", l.dir, err)
	}
	l.segs = l.segs[:k+1]
	f, err := l.fs.OpenFile(to.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("repair wal %s: open %s: %w", l.dir, to.path, err)
	}
	if err := l.prepareCurrent(f, to.off, true); err != nil {
		_ = f.Close()
		return fmt.Errorf("repair wal %s: %s: %w", l.dir, to.path, err)
	}
	if err := l.cur.Close(); err != nil {
		l.logger.Warn("wal: close segment", "file", l.cur.Name(), "err", err)
	}
	l.closeRetired()
	dropped := l.last - to.last
	l.segs[k].end = 0
	l.cur, l.curSize, l.fileEnd = f, to.off, to.off
	l.last, l.durable, l.dur, l.batch = to.last, to.last, to, to
	l.lastAppend, l.err = 0, nil
	l.gen++
	l.startFill()
	l.logger.Warn("wal: repaired after a failed write or sync; appends continue after the last good record",
		"file", to.path, "offset", to.off, "last_lsn", to.last, "dropped_records", dropped)
	return nil
}

// KeptLSN returns the LSN of the last record a Repair keeps: LastLSN when
// the log is not broken. Records after it will never be replayed, once the
// log is repaired or reopened (unless a crash comes first: a record that
// reached the disk before its fsync failed may then be read back).
func (l *Log) KeptLSN() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		return l.last
	}
	return l.repairTo.last
}

// removeAfter removes, newest first, every segment file of the directory
// that starts after keep (a file a failed rotation could not remove
// included), then syncs the directory.
func (l *Log) removeAfter(keep segment) error {
	found, err := listSegments(l.dir)
	if err != nil {
		return err
	}
	removed := false
	for _, s := range slices.Backward(found) {
		if s.first <= keep.first {
			continue
		}
		if err := l.fs.Remove(s.path); err != nil {
			return vfs.PathError("remove", s.path, err)
		}
		removed = true
	}
	if removed {
		if err := l.fs.SyncDir(l.dir); err != nil {
			return vfs.PathError("sync dir", l.dir, err)
		}
	}
	return nil
}
