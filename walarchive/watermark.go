package walarchive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// Watermark is the object wal/{collection}/t-{timeline}/watermark
// (wal/{collection}/watermark on timeline 0): the start of the last round
// that shipped every shard of the collection's timeline, so every record
// of every shard durable before Time is archived. A restore cuts every shard
// at the same moment, at most Time, so that it never holds a later write of
// one shard without an earlier write of another that was not yet shipped.
type Watermark struct {
	// Collection names the collection.
	Collection string `json:"collection"`
	// Timeline is the timeline (engine.FormatTimeline), "" for timeline 0.
	Timeline string `json:"timeline,omitempty"`
	// Began is when the timeline began (engine.Timeline.Began), absent on
	// timeline 0: a moment at or after it is on this timeline, not on an
	// earlier one of the same collection name.
	Began time.Time `json:"began,omitzero"`
	// Time is the round's start.
	Time time.Time `json:"time"`
	// LSNs is, per shard, the last archived LSN after the round.
	LSNs []uint64 `json:"lsns"`
}

// maxWatermarkBytes bounds a watermark object a reader accepts.
const maxWatermarkBytes = 1 << 20

func watermarkKey(collection string, timeline uint64) string {
	return timelinePrefix(collection, timeline) + watermarkName
}

// watermarkName is the last element of a watermark's key.
const watermarkName = "watermark"

// writeWatermark records that every shard of c was archived up to the
// round that started at start.
func (a *Archiver) writeWatermark(ctx context.Context, c *engine.Collection, name string, start time.Time) error {
	tl := c.Timeline()
	w := Watermark{Collection: name, Time: start.UTC(), LSNs: make([]uint64, c.Shards())}
	if tl.ID != 0 {
		w.Timeline, w.Began = tl.String(), tl.Began
	}
	for id := range w.LSNs {
		w.LSNs[id] = a.ArchivedLSN(name, c.Incarnation(), id)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	key := watermarkKey(name, tl.ID)
	if err := a.Store.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("wal archive: put %s: %w", key, err)
	}
	return nil
}

// ReadWatermark reads and checks the watermark of a collection's timeline;
// a missing one gives an error wrapping objstore.ErrNotExist.
func ReadWatermark(ctx context.Context, store objstore.Store, collection string, timeline uint64) (Watermark, error) {
	key := watermarkKey(collection, timeline)
	r, err := store.Get(ctx, key, 0, -1)
	if err != nil {
		return Watermark{}, fmt.Errorf("wal archive: get %s: %w", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxWatermarkBytes+1))
	if err != nil {
		return Watermark{}, fmt.Errorf("wal archive: read %s: %w", key, err)
	}
	var w Watermark
	want := ""
	if timeline != 0 {
		want = engine.FormatTimeline(timeline)
	}
	if len(b) > maxWatermarkBytes || json.Unmarshal(b, &w) != nil || w.Collection != collection || w.Time.IsZero() || w.Timeline != want {
		return Watermark{}, fmt.Errorf("wal archive: %s: %w: not a watermark of %s timeline %q", key, ErrCorruptChunk, collection, want)
	}
	return w, nil
}

// maxTimelines bounds the timelines of one collection a reader looks at.
const maxTimelines = 1 << 12

// Timelines returns the watermarks of every timeline of collection in the
// archive (the old layout's, timeline 0, included), in listing order.
func Timelines(ctx context.Context, store objstore.Store, collection string) ([]Watermark, error) {
	prefix := timelinePrefix(collection, 0)
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("wal archive: list %s: %w", prefix, err)
	}
	var out []Watermark
	for _, in := range infos {
		rest := strings.TrimPrefix(in.Key, prefix)
		var id uint64
		switch {
		case rest == watermarkName:
		case strings.HasPrefix(rest, "t-") && strings.HasSuffix(rest, "/"+watermarkName) && len(rest) == len("t-")+16+1+len(watermarkName):
			if id, err = engine.ParseTimeline(rest[2:18]); err != nil || id == 0 {
				continue // not a key this package writes
			}
		default:
			continue
		}
		if len(out) == maxTimelines {
			return nil, fmt.Errorf("wal archive: %s has more than %d timelines", collection, maxTimelines)
		}
		w, err := ReadWatermark(ctx, store, collection, id)
		if errors.Is(err, objstore.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}
