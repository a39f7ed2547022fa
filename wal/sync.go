package wal

import (
	"errors"
	"fmt"

	"github.com/cairn-db/cairn/vfs"
)

// Sync returns once every record with an LSN up to lsn is durable. Concurrent
// callers share fsyncs: one of them (the leader) fsyncs the current segment
// for every record appended so far while the others wait for its result;
// callers whose records came after the leader started wait for the next
// round. If an fsync fails, Sync returns the error (wrapping ErrBroken) to
// every caller not already covered, and the log refuses further writes.
// Sync(0) returns nil; an lsn beyond LastLSN is an error (ErrNotAppended).
func (l *Log) Sync(lsn uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		switch {
		case lsn <= l.durable:
			return nil
		case l.err != nil:
			return l.err
		case l.closed:
			return ErrClosed
		case lsn > l.last:
			return fmt.Errorf("sync lsn %d, last is %d: %w", lsn, l.last, ErrNotAppended)
		case l.syncing:
			if l.hookWait != nil {
				l.hookWait()
			}
			l.cond.Wait()
		default:
			l.leadSync()
		}
	}
}

// leadSync fsyncs the current segment without holding mu, then publishes the
// result to every waiter. It uses fdatasync (vfs.Datasync): the records'
// bytes and the file size, when an append grew it, are what must be
// durable; the segment's directory entry was made durable when it was
// created. mu must be held; it is released during the fsync.
func (l *Log) leadSync() {
	l.syncing = true
	f, at := l.cur, l.position()
	l.mu.Unlock()
	err := vfs.Datasync(f)
	l.mu.Lock()
	l.syncing = false
	if err != nil {
		l.fail(vfs.PathError("sync", f.Name(), err), true)
	} else if l.err == nil && at.last > l.durable {
		l.durable, l.dur = at.last, at
	}
	l.closeRetired()
	l.cond.Broadcast()
}

// Close makes every appended record durable (unless the log is broken) and
// closes the log, waiting for the prefill goroutine to end. Later calls
// return ErrClosed.
func (l *Log) Close() error {
	done, err := l.close()
	if !errors.Is(err, ErrClosed) {
		<-done
		l.spareWG.Wait()
	}
	return err
}

func (l *Log) close() (chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.syncing {
		l.cond.Wait()
	}
	if l.closed {
		return nil, ErrClosed
	}
	l.closed = true
	l.fillCond.Broadcast()
	var errs []error
	if l.err == nil && l.last > l.durable {
		if err := vfs.Datasync(l.cur); err != nil {
			errs = append(errs, l.fail(vfs.PathError("sync", l.cur.Name(), err), true))
		} else {
			l.durable = l.last
		}
	}
	if err := l.cur.Close(); err != nil {
		errs = append(errs, vfs.PathError("close", l.cur.Name(), err))
	}
	l.closeRetired()
	l.cond.Broadcast()
	return l.fillDone, errors.Join(errs...)
}
