package walarchive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/wal"
)

// walFrameHeader is the size of a record's WAL frame header.
const walFrameHeader = wal.FrameHeaderSize

// errChunkFull stops a WAL read when a chunk is full.
var errChunkFull = errors.New("chunk full")

// Archiver ships durable WAL records to Store. Create it before the engine
// (its ArchivedLSN goes into engine.Options), then Attach the storage and
// Run it. Its methods are safe for concurrent use.
type Archiver struct {
	// Store is the archive target.
	Store objstore.Store
	// Now is the clock (nil: time.Now); tests inject a fake one.
	Now func() time.Time
	// Logger receives the archiver's logs; nil means slog.Default().
	Logger *slog.Logger

	mu     sync.Mutex
	st     *engine.Storage
	shards map[shardKey]*shardState
	// marked is, per collection, the incarnation whose watermark this
	// process has written.
	marked map[string]uint64
	round  sync.Mutex // one ShipOnce at a time
}

type shardKey struct {
	collection string
	shard      int
}

// shardState is what the archiver knows of one shard's archive.
type shardState struct {
	incarnation uint64    // engine.Collection.Incarnation the state is about
	timeline    uint64    // its engine.Collection.Timeline: the archive's keys
	archived    uint64    // last LSN in the archive
	known       bool      // archived was read from the listing
	pending     int64     // bytes found durable and not archived at the last round
	caughtUpAt  time.Time // start of the last round that shipped all that was durable
	lastErr     error
}

func (a *Archiver) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Archiver) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// Attach gives the archiver the storage whose collections it ships.
func (a *Archiver) Attach(st *engine.Storage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.st = st
}

// ArchivedLSN returns the last archived LSN of a shard, 0 while unknown
// (before the first round reads the listing). It is engine.Options.
// ArchivedLSN: the WAL is never truncated past it.
// A collection of another incarnation than the one the archiver knows (a
// new collection of the same name, a restored one) gets 0.
func (a *Archiver) ArchivedLSN(collection string, incarnation uint64, shard int) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.shards[shardKey{collection, shard}]; s != nil && s.known && s.incarnation == incarnation {
		return s.archived
	}
	return 0
}

// state returns the state of a shard of collection c, made afresh on first
// use and when the collection was replaced.
func (a *Archiver) state(k shardKey, c *engine.Collection) *shardState {
	inc := c.Incarnation()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.shards == nil {
		a.shards = map[shardKey]*shardState{}
	}
	s := a.shards[k]
	if s == nil || s.incarnation != inc {
		s = &shardState{incarnation: inc, timeline: c.Timeline().ID, caughtUpAt: a.now()}
		a.shards[k] = s
	}
	return s
}

func (a *Archiver) watermarked(name string, inc uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.marked[name] == inc
}

func (a *Archiver) setWatermarked(name string, inc uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.marked == nil {
		a.marked = map[string]uint64{}
	}
	a.marked[name] = inc
}

// prune drops the states of collections that no longer exist.
func (a *Archiver) prune(names []string) {
	live := make(map[string]bool, len(names))
	for _, n := range names {
		live[n] = true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.shards {
		if !live[k.collection] {
			delete(a.shards, k)
		}
	}
	for n := range a.marked {
		if !live[n] {
			delete(a.marked, n)
		}
	}
}

// RoundInterval is the period of the rounds that ship within every
// (backup.wal_archive.every): half of it, so that a record made durable
// just after a round started is picked up by the next one and shipped
// within every, as long as a round takes less than the other half.
func RoundInterval(every time.Duration) time.Duration { return max(every/2, time.Millisecond) }

// Run ships once per tick until ctx is cancelled (production passes a
// time.Ticker's channel with RoundInterval(backup.wal_archive.every);
// tests a channel they send on). A failed round is logged and retried at the next tick.
// A failure is logged when it starts or changes, and the recovery once.
func (a *Archiver) Run(ctx context.Context, tick <-chan time.Time) {
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			err := a.ShipOnce(ctx)
			if ctx.Err() != nil {
				return
			}
			switch {
			case err != nil && err.Error() != last:
				a.log().Warn("wal archive: round failed, retrying each interval (the wal is kept until archived)", "err", err)
				last = err.Error()
			case err == nil && last != "":
				a.log().Info("wal archive: rounds succeed again")
				last = ""
			}
		}
	}
}

// ShipOnce ships, for every shard of every collection, the records made
// durable since the last archived one, then lets each collection trim its
// WAL. It returns the shards' errors joined; a shard that fails is retried
// next round from where its archive ends.
func (a *Archiver) ShipOnce(ctx context.Context) error {
	a.round.Lock()
	defer a.round.Unlock()
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return fmt.Errorf("wal archive: no storage attached")
	}
	var errs []error
	names := st.ListCollections()
	a.prune(names)
	for _, name := range names {
		c, err := st.Collection(name)
		if err != nil {
			continue // deleted meanwhile
		}
		start := a.now()
		shipped, moved := true, !a.watermarked(name, c.Incarnation())
		for id := range c.Shards() {
			before := a.ArchivedLSN(name, c.Incarnation(), id)
			if err := a.shipShard(ctx, c, name, id); err != nil {
				errs = append(errs, err)
				shipped = false
			}
			moved = moved || a.ArchivedLSN(name, c.Incarnation(), id) != before
		}
		if !shipped {
			continue
		}
		if moved {
			if err := a.writeWatermark(ctx, c, name, start); err != nil {
				errs = append(errs, err)
				continue
			}
			a.setWatermarked(name, c.Incarnation())
		}
		if err := c.TrimWAL(); err != nil && !errors.Is(err, engine.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// shipShard archives one shard's durable records past its archive's end.
func (a *Archiver) shipShard(ctx context.Context, c *engine.Collection, name string, id int) error {
	k := shardKey{name, id}
	s := a.state(k, c)
	start := a.now()
	err := a.shipShardRecords(ctx, c, k, s, start)
	a.mu.Lock()
	s.lastErr = err
	a.mu.Unlock()
	return err
}

func (a *Archiver) shipShardRecords(ctx context.Context, c *engine.Collection, k shardKey, s *shardState, start time.Time) error {
	if !s.known {
		if err := a.resume(ctx, c, k, s); err != nil {
			return err
		}
	}
	first, durable, _, err := c.WALState(k.shard)
	if err != nil {
		return err
	}
	a.mu.Lock()
	from := s.archived + 1
	a.mu.Unlock()
	if from < first && from == 1 && s.timeline != 0 {
		// A timeline's archive starts where its WAL does: a restored
		// collection's WAL begins after the snapshot's last sealed LSN.
		a.log().Info("wal archive: timeline's archive begins", "collection", k.collection, "timeline", engine.FormatTimeline(s.timeline),
			"shard", k.shard, "lsn", first)
		from = first
	} else if from < first {
		// Truncated before archiving was on (or before this archive
		// existed): the archive starts at the oldest record held and
		// a recovery across the missing range is refused.
		a.log().Warn("wal archive: records no longer held are missing from the archive",
			"collection", k.collection, "shard", k.shard, "missing_from", from, "missing_to", first-1)
		from = first
	}
	var recs []Record
	var size int64
	ship := func() error {
		if len(recs) == 0 {
			return nil
		}
		if err := a.put(ctx, k, s.timeline, recs); err != nil {
			return err
		}
		a.mu.Lock()
		s.archived = recs[len(recs)-1].LSN
		s.pending = max(0, s.pending-size)
		a.mu.Unlock()
		recs, size = recs[:0], 0
		return nil
	}
	a.mu.Lock()
	s.pending = 0
	a.mu.Unlock()
	for from <= durable {
		_, err := c.ReadWAL(k.shard, from, func(lsn uint64, data []byte) error {
			t, ok := engine.RecordTime(data)
			if !ok {
				t = start
			}
			recs = append(recs, Record{LSN: lsn, Time: t, Data: data})
			n := int64(len(data)) + 8 + walFrameHeader
			size += n
			a.mu.Lock()
			s.pending += n
			a.mu.Unlock()
			from = lsn + 1
			if size >= chunkTarget || lsn >= durable {
				return errChunkFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errChunkFull) {
			return err
		}
		if err := ship(); err != nil {
			return err
		}
		if err == nil {
			break
		}
	}
	a.mu.Lock()
	s.pending, s.caughtUpAt = 0, start
	a.mu.Unlock()
	return nil
}

// resume reads where a shard's archive ends from the store's listing, so a
// restart neither repeats nor skips records.
func (a *Archiver) resume(ctx context.Context, c *engine.Collection, k shardKey, s *shardState) error {
	prefix := shardPrefix(k.collection, s.timeline, k.shard)
	infos, err := a.Store.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("wal archive: list %s: %w", prefix, err)
	}
	var last uint64
	for _, in := range infos {
		if _, l, ok := parseChunkKey(prefix, in.Key); ok {
			last = max(last, l)
		}
	}
	_, durable, _, err := c.WALState(k.shard)
	if err != nil {
		return err
	}
	if last > durable {
		return fmt.Errorf("wal archive: %s timeline %s shard %d: the archive ends at lsn %d, past the wal's durable %d (another collection archived under this timeline; move its chunks away)",
			k.collection, engine.FormatTimeline(s.timeline), k.shard, last, durable)
	}
	a.mu.Lock()
	s.archived, s.known = last, true
	a.mu.Unlock()
	return nil
}

// put writes one chunk on a timeline.
func (a *Archiver) put(ctx context.Context, k shardKey, timeline uint64, recs []Record) error {
	b, err := EncodeChunk(k.collection, k.shard, recs)
	if err != nil {
		return err
	}
	key := ChunkKey(k.collection, timeline, k.shard, recs[0].LSN, recs[len(recs)-1].LSN)
	if err := a.Store.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("wal archive: put %s: %w", key, err)
	}
	return nil
}

// Lag is the archiving lag of one shard.
type Lag struct {
	Collection string
	Shard      int
	// Seconds since the start of the last round that shipped everything
	// durable at its start: durable writes older than this are archived.
	Seconds float64
	// Bytes (as archived: record, frame and time) the last round read
	// and has not shipped: 0 after a round that shipped everything, a
	// lower bound while one runs or after one failed.
	Bytes int64
	// Records durable and not yet archived, now.
	Records uint64
}

// Lags returns every known shard's lag, for the server's metrics
// (cairn_wal_archive_lag_seconds, cairn_wal_archive_lag_bytes).
func (a *Archiver) Lags() []Lag {
	a.mu.Lock()
	st := a.st
	type item struct {
		k shardKey
		s shardState
	}
	items := make([]item, 0, len(a.shards))
	for k, s := range a.shards {
		items = append(items, item{k, *s})
	}
	a.mu.Unlock()
	now := a.now()
	out := make([]Lag, 0, len(items))
	for _, it := range items {
		l := Lag{Collection: it.k.collection, Shard: it.k.shard, Seconds: now.Sub(it.s.caughtUpAt).Seconds(), Bytes: it.s.pending}
		if st != nil {
			if c, err := st.Collection(it.k.collection); err == nil {
				if _, durable, _, err := c.WALState(it.k.shard); err == nil && durable > it.s.archived {
					l.Records = durable - it.s.archived
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// Forget drops what the archiver knows of collection's shards, after the
// collection was replaced (a restore): the next round reads its archive's
// end from the listing of its (new) timeline, and until then its WAL is
// not truncated.
func (a *Archiver) Forget(collection string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.shards {
		if k.collection == collection {
			delete(a.shards, k)
		}
	}
}
