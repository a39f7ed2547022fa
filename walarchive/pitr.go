package walarchive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// ErrGap reports an archive that misses records between a snapshot and the
// requested moment: recovering across it would silently lose writes.
var ErrGap = errors.New("wal archive has a gap")

// Result says what a replay did.
type Result struct {
	// Applied counts the records replayed, over every shard.
	Applied int
	// LastLSN is, per shard, the LSN the collection ends at.
	LastLSN []uint64
	// LastTime is the time of the last record replayed (zero if none).
	LastTime time.Time
}

// chunkRef is one chunk a replay needs.
type chunkRef struct {
	key         string
	first, last uint64
}

// Replay brings collection c, just restored from a snapshot of collection
// source cut on timeline (engine.Timeline.ID; 0 for the old key layout), to
// the moment to: for every shard it takes the records archived on that
// timeline of source after the shard's last LSN, in order, and applies
// those whose time is not after to. Every chunk needed is read and checked before any
// record is applied; a missing LSN range before the moment fails with
// ErrGap naming it, a damaged chunk with ErrCorruptChunk, and the
// collection is left as it was (a chunk that changes between the check and
// the replay fails the replay with the records before it applied). The archive ending before the moment is
// not an error: every shard is replayed up to the same moment, the earlier
// of to and the archive's watermark (see Watermark), so the result is the
// collection as it was at one moment.
func Replay(ctx context.Context, store objstore.Store, c *engine.Collection, source string, timeline uint64, to time.Time) (Result, error) {
	w, err := ReadWatermark(ctx, store, source, timeline)
	if errors.Is(err, objstore.ErrNotExist) {
		w.Time = time.Time{} // nothing archived completely: the snapshot alone
	} else if err != nil {
		return Result{}, err
	}
	if w.Time.Before(to) {
		to = w.Time // every shard is archived up to it, not all past it
	}
	plans := make([][]chunkRef, c.Shards())
	res := Result{LastLSN: make([]uint64, c.Shards())}
	for id := range plans {
		_, _, last, err := c.WALState(id)
		if err != nil {
			return res, err
		}
		res.LastLSN[id] = last
		var archived uint64 // what the watermark says is archived
		if id < len(w.LSNs) {
			archived = w.LSNs[id]
		}
		if plans[id], err = planShard(ctx, store, source, timeline, id, last, archived, to); err != nil {
			return res, err
		}
	}
	for id, plan := range plans {
		if err := applyShard(ctx, store, c, source, id, plan, to, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// planShard lists and checks the chunks of one shard that hold records
// after lsn up to the moment. archived is the shard's last LSN the
// watermark vouches for: a listing that ends before it without reaching
// the moment has lost its last chunks, a gap.
func planShard(ctx context.Context, store objstore.Store, source string, timeline uint64, id int, lsn, archived uint64, to time.Time) ([]chunkRef, error) {
	prefix := shardPrefix(source, timeline, id)
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("wal archive: list %s: %w", prefix, err)
	}
	var plan []chunkRef
	next := lsn + 1
	for _, in := range infos {
		first, last, ok := parseChunkKey(prefix, in.Key)
		if !ok || last < next {
			continue
		}
		if first > next {
			return nil, fmt.Errorf("%w: %s timeline %s shard %d is missing lsn %d..%d (between the snapshot's lsn %d and the moment %s; chunk %s follows)",
				ErrGap, source, engine.FormatTimeline(timeline), id, next, first-1, lsn, to.Format(time.RFC3339Nano), in.Key)
		}
		ch, err := readChunk(ctx, store, in.Key, source, id, first, last)
		if err != nil {
			return nil, err
		}
		if ch.Records[max(next, first)-first].Time.After(to) {
			return plan, nil // the moment is before this chunk's first needed record
		}
		plan = append(plan, chunkRef{key: in.Key, first: first, last: last})
		next = last + 1
		if ch.LastTime.After(to) {
			return plan, nil
		}
	}
	if next <= archived {
		return nil, fmt.Errorf("%w: %s timeline %s shard %d is missing lsn %d..%d (between the snapshot's lsn %d and the moment %s; the watermark says they were archived)",
			ErrGap, source, engine.FormatTimeline(timeline), id, next, archived, lsn, to.Format(time.RFC3339Nano))
	}
	return plan, nil
}

// readChunk reads, validates and decodes one chunk, checking its header
// against its key.
func readChunk(ctx context.Context, store objstore.Store, key, source string, id int, first, last uint64) (*Chunk, error) {
	r, err := store.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("wal archive: get %s: %w", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, MaxChunkBytes+1))
	if err != nil {
		return nil, fmt.Errorf("wal archive: read %s: %w", key, err)
	}
	ch, err := DecodeChunk(b)
	if err == nil {
		err = ch.checkAgainstKey(source, id, first, last)
	}
	if err != nil {
		return nil, fmt.Errorf("wal archive: %s: %w", key, err)
	}
	return ch, nil
}

// applyShard replays the planned chunks of one shard.
func applyShard(ctx context.Context, store objstore.Store, c *engine.Collection, source string, id int, plan []chunkRef, to time.Time, res *Result) error {
	for _, p := range plan {
		ch, err := readChunk(ctx, store, p.key, source, id, p.first, p.last)
		if err != nil {
			return err
		}
		for _, r := range ch.Records {
			if r.LSN <= res.LastLSN[id] {
				continue
			}
			if r.Time.After(to) {
				return nil
			}
			if err := c.ApplyArchived(ctx, id, r.LSN, r.Data); err != nil {
				return fmt.Errorf("wal archive: replay %s: %w", p.key, err)
			}
			res.Applied++
			res.LastLSN[id] = r.LSN
			if r.Time.After(res.LastTime) {
				res.LastTime = r.Time
			}
		}
	}
	return nil
}
