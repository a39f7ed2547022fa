package walarchive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// Watermark is the object wal/{collection}/watermark: the start of the last
// round that shipped every shard of the collection, so every record of
// every shard durable before Time is archived. A restore cuts every shard
// at the same moment, at most Time, so that it never holds a later write of
// one shard without an earlier write of another that was not yet shipped.
type Watermark struct {
	// Collection names the collection.
	Collection string `json:"collection"`
	// Time is the round's start.
	Time time.Time `json:"time"`
	// LSNs is, per shard, the last archived LSN after the round.
	LSNs []uint64 `json:"lsns"`
}

// maxWatermarkBytes bounds a watermark object a reader accepts.
const maxWatermarkBytes = 1 << 20

func watermarkKey(collection string) string { return "wal/" + collection + "/watermark" }

// writeWatermark records that every shard of c was archived up to the
// round that started at start.
func (a *Archiver) writeWatermark(ctx context.Context, c *engine.Collection, name string, start time.Time) error {
	w := Watermark{Collection: name, Time: start.UTC(), LSNs: make([]uint64, c.Shards())}
	for id := range w.LSNs {
		w.LSNs[id] = a.ArchivedLSN(name, c.Incarnation(), id)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	key := watermarkKey(name)
	if err := a.Store.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("wal archive: put %s: %w", key, err)
	}
	return nil
}

// ReadWatermark reads and checks a collection's watermark; a missing one
// gives an error wrapping objstore.ErrNotExist.
func ReadWatermark(ctx context.Context, store objstore.Store, collection string) (Watermark, error) {
	key := watermarkKey(collection)
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
	if len(b) > maxWatermarkBytes || json.Unmarshal(b, &w) != nil || w.Collection != collection || w.Time.IsZero() {
		return Watermark{}, fmt.Errorf("wal archive: %s: %w: not a watermark of %s", key, ErrCorruptChunk, collection)
	}
	return w, nil
}
