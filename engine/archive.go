package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cairn-db/cairn/wal"
)

// ErrWALGone reports a WAL read from an LSN the shard's log no longer
// holds: it was truncated after a seal (before archiving was on).
var ErrWALGone = errors.New("wal records no longer held")

// ErrLSNMismatch reports an archived record whose LSN does not follow the
// shard's last one: applying it would skip or repeat records.
var ErrLSNMismatch = errors.New("archived record does not follow the shard's last lsn")

// now is Options.Now, or time.Now.
func (o *Options) now() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

// RecordTime returns the time a WAL record (the bytes ReadWAL passes) was
// appended, and false for a record that carries none (format version 1)
// or is too short to hold one.
func RecordTime(data []byte) (time.Time, bool) {
	if len(data) < 10 || (data[0] != recordVersion && data[0] != recordVersionNoSparse) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.LittleEndian.Uint64(data[2:10]))).UTC(), true
}

// incarnations numbers the collections opened by this process.
var incarnations atomic.Uint64

// Incarnation identifies this opening of the collection within the
// process: a collection deleted and created again, or replaced by a
// restore, under the same name has another. The WAL archiver keys what it
// knows of a WAL by it.
func (c *Collection) Incarnation() uint64 { return c.core.incarnation }

// Shards returns the number of shards of the collection.
func (c *Collection) Shards() int { return len(c.shards) }

// shardAt returns shard id, or an ErrInvalid error.
func (c *Collection) shardAt(id int) (*shard, error) {
	if id < 0 || id >= len(c.shards) {
		return nil, errInvalid("shard_id", "shard %d does not exist (%d shards)", id, len(c.shards))
	}
	return c.shards[id], nil
}

// WALState returns the shard's oldest held WAL record, the last durable
// one, and the last LSN applied (the LSN a snapshot taken now covers).
func (c *Collection) WALState(id int) (first, durable, last uint64, err error) {
	s, err := c.shardAt(id)
	if err != nil {
		return 0, 0, 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.log.FirstLSN(), s.log.DurableLSN(), s.lastLSN, nil
}

// ReadWAL calls fn, in LSN order, for every durable record of shard id with
// an LSN from from on, up to the last record durable when ReadWAL starts,
// and returns that LSN. fn owns data (RecordTime reads its time). A from
// below the oldest record the log holds fails with ErrWALGone naming the
// range lost. It runs concurrently with writes.
func (c *Collection) ReadWAL(id int, from uint64, fn func(lsn uint64, data []byte) error) (uint64, error) {
	s, err := c.shardAt(id)
	if err != nil {
		return 0, err
	}
	first, durable := s.log.FirstLSN(), s.log.DurableLSN()
	if from < first && from <= durable {
		return 0, fmt.Errorf("read wal of %s shard %d: %w: lsn %d..%d", c.core.name, id, ErrWALGone, from, first-1)
	}
	if from > durable {
		return durable, nil
	}
	err = s.log.Replay(from, func(lsn uint64, data []byte) error {
		if lsn > durable {
			return errReplayDone
		}
		return fn(lsn, data)
	})
	if err != nil && !errors.Is(err, errReplayDone) {
		return 0, fmt.Errorf("read wal of %s shard %d: %w", c.core.name, id, err)
	}
	return durable, nil
}

// truncateCut returns the LSN a seal may truncate the WAL before: one past
// the sealed LSN, and, with Options.ArchivedLSN, no further than one past
// the last archived record.
func (s *shard) truncateCut(sealed uint64) uint64 {
	cut := sealed
	if a := s.core.archived; a != nil {
		cut = min(cut, a(s.core.name, s.core.incarnation, s.id))
	}
	return cut + 1
}

// TrimWAL removes the WAL segment files every record of which is both
// sealed and (with Options.ArchivedLSN) archived; the WAL archiver calls it
// after shipping, since a seal gated on archiving left them.
func (c *Collection) TrimWAL() error {
	for _, s := range c.shards {
		if err := s.trimWAL(); err != nil {
			return err
		}
	}
	return nil
}

func (s *shard) trimWAL() error {
	// commitMu, as in seal: a Pin never lists WAL files being removed.
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.RLock()
	sealed := s.sealedLSN
	s.mu.RUnlock()
	if err := s.log.TruncateBefore(s.truncateCut(sealed)); err != nil && !errors.Is(err, wal.ErrClosed) {
		return fmt.Errorf("trim wal of shard %d: %w", s.id, err)
	}
	return nil
}

// ApplyArchived appends one archived WAL record (the bytes ReadWAL gave,
// time included) to shard id, applies it and makes it durable. lsn must be
// one past the shard's last LSN (ErrLSNMismatch otherwise): point-in-time
// recovery replays an archive onto the snapshot it follows, record by
// record, with the LSNs the records had.
func (c *Collection) ApplyArchived(ctx context.Context, id int, lsn uint64, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := c.shardAt(id)
	if err != nil {
		return err
	}
	o, err := decodeRecord(data)
	if err == nil {
		err = s.checkRecord(&o)
	}
	if err != nil {
		return fmt.Errorf("apply archived record %d: %w", lsn, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if lsn != s.lastLSN+1 || s.log.LastLSN() != s.lastLSN {
		return fmt.Errorf("apply archived record %d to shard %d: %w (last lsn %d)", lsn, id, ErrLSNMismatch, s.lastLSN)
	}
	got, err := s.log.Append(data)
	if err != nil {
		return fmt.Errorf("apply archived record %d: append: %w", lsn, err)
	}
	if got != lsn {
		return fmt.Errorf("apply archived record %d: %w: wal gave lsn %d", lsn, ErrLSNMismatch, got)
	}
	if err := s.log.Sync(lsn); err != nil {
		return fmt.Errorf("apply archived record %d: sync: %w", lsn, err)
	}
	s.applyLocked(&o, lsn)
	return nil
}
