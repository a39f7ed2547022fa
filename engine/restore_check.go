package engine

import (
	"container/heap"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
)

// The checks below hold a folder handed to a restore (an archive's lying
// contents, checksums valid) to what the engine itself writes, so that a
// refused archive changes nothing and an accepted one can never serve
// wrong answers later. They run on the staged folder, before any swap
// (docs/format/snapshot.md, "What the engine checks"). Every error wraps
// ErrCorrupt, which verifyErr marks ErrVerify.

// checkCollectionLayout checks the shard folders of the collection folder
// dir against its collection file's shard_number: shard-0 … shard-(n-1)
// are all present as folders, and no other shard-* entry exists. A missing
// shard would open empty (the ids routed to it answer 404 and re-upserts
// duplicate them); it runs before any shard is opened, so a lying
// shard_number costs no WAL.
func checkCollectionLayout(dir string, shards int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list collection folder: %w", err)
	}
	present := make([]bool, shards)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "shard-")
		if !ok {
			continue
		}
		id, err := strconv.Atoi(rest)
		switch {
		case err != nil || id < 0 || shardName(id) != e.Name():
			return fmt.Errorf("%w: unexpected entry %s in the collection folder", ErrCorrupt, e.Name())
		case id >= shards:
			return fmt.Errorf("%w: %s present, but the collection file says shard_number %d", ErrCorrupt, e.Name(), shards)
		case !e.IsDir():
			return fmt.Errorf("%w: %s is not a folder", ErrCorrupt, e.Name())
		}
		present[id] = true
	}
	for id, ok := range present {
		if !ok {
			return fmt.Errorf("%w: %s missing, but the collection file says shard_number %d", ErrCorrupt, shardName(id), shards)
		}
	}
	return nil
}

// checkContents checks an opened (not live) shard against its manifest,
// re-read from its folder, and its collection's configuration: every
// segment holds exactly the configured vectors (name, dimension,
// distance), has the point count and graphs the manifest lists, the WAL
// reaches back to the first record after sealed_lsn, and every live point
// id is routed to this shard and lives in one segment only (checkIDs: the
// segments' id tables only, no vector file is read).
func (s *shard) checkContents() error {
	m, err := loadManifest(s.dir)
	if err != nil {
		return err
	}
	if len(m.Segments) != len(s.segs) {
		return fmt.Errorf("%w: shard %d: manifest lists %d segments, %d open", ErrCorrupt, s.id, len(m.Segments), len(s.segs))
	}
	for i, h := range s.segs {
		if err := s.checkSegment(h, m.Segments[i]); err != nil {
			return fmt.Errorf("%w: shard %d segment %s: %v", ErrCorrupt, s.id, h.name, err)
		}
	}
	if first := s.log.FirstLSN(); first > s.sealedLSN+1 {
		return fmt.Errorf("%w: shard %d: wal starts at %d, after the manifest's sealed_lsn %d + 1", ErrCorrupt, s.id, first, s.sealedLSN)
	}
	return s.checkIDs()
}

// checkSegment compares one open segment with its manifest entry and the
// collection's vectors.
func (s *shard) checkSegment(h *segHandle, e manifestEntry) error {
	if h.name != e.Name {
		return fmt.Errorf("opened for manifest entry %s", e.Name)
	}
	if e.Points != h.seg.Len() {
		return fmt.Errorf("manifest says %d points, the segment holds %d", e.Points, h.seg.Len())
	}
	specs := h.seg.Specs()
	if len(specs) != len(s.core.specs) {
		return fmt.Errorf("segment has %d vectors, the collection %d", len(specs), len(s.core.specs))
	}
	for _, sp := range specs {
		k := specIndex(s.core.specs, sp.Name)
		switch {
		case k < 0:
			return fmt.Errorf("segment has %s, which the collection does not have", vectorWhat(sp.Name))
		case s.core.specs[k].Dim != sp.Dim:
			return fmt.Errorf("%s has size %d in the segment, %d in the collection", vectorWhat(sp.Name), sp.Dim, s.core.specs[k].Dim)
		case s.core.specs[k].Distance != sp.Distance:
			return fmt.Errorf("%s uses distance %s in the segment, %s in the collection", vectorWhat(sp.Name), sp.Distance, s.core.specs[k].Distance)
		}
	}
	listed, has := slices.Sorted(slices.Values(e.Graphs)), slices.Sorted(slices.Values(h.graphNames()))
	if !slices.Equal(listed, has) {
		return fmt.Errorf("manifest lists graphs %q, the segment has %q", listed, has)
	}
	return checkPayloads(h)
}

// idCursor walks the live (not deleted) ids of one segment in id order.
type idCursor struct {
	h   *segHandle
	del *segment.Bitmap
	off int
	id  point.ID
}

// next moves to the next live id; false at the end.
func (c *idCursor) next() bool {
	for n := c.h.seg.Len(); c.off < n; c.off++ {
		if !c.del.Has(c.off) {
			c.id = c.h.seg.ID(uint32(c.off))
			c.off++
			return true
		}
	}
	return false
}

// idHeap orders cursors by their current id.
type idHeap []*idCursor

func (q idHeap) Len() int           { return len(q) }
func (q idHeap) Less(i, j int) bool { return point.Compare(q[i].id, q[j].id) < 0 }
func (q idHeap) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *idHeap) Push(x any)        { *q = append(*q, x.(*idCursor)) }
func (q *idHeap) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// checkIDs checks the live (not deleted) ids of the shard's segments: an
// id hashed to another shard could never be found, updated or deleted; an
// id live in two segments would be counted and returned twice. Each
// segment's ids are strictly increasing (checked by segment.Open), so only
// segments whose id ranges overlap can share one: those are merged.
func (s *shard) checkIDs() error {
	if shards := uint64(s.core.config().Params.ShardNumber); shards > 1 {
		for _, h := range s.segs {
			c := &idCursor{h: h, del: h.deleted.Load()}
			for c.next() {
				if got := c.id.Hash() % shards; got != uint64(s.id) {
					return fmt.Errorf("%w: shard %d: point %s of segment %s belongs to shard %d", ErrCorrupt, s.id, c.id, h.name, got)
				}
			}
		}
	}
	if !s.rangesOverlap() {
		return nil
	}
	return s.mergeIDs()
}

// rangesOverlap reports whether two non-empty segments' id ranges overlap.
func (s *shard) rangesOverlap() bool {
	type span struct{ lo, hi point.ID }
	var spans []span
	for _, h := range s.segs {
		if n := h.seg.Len(); n > 0 {
			spans = append(spans, span{h.seg.ID(0), h.seg.ID(uint32(n - 1))})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return point.Compare(a.lo, b.lo) })
	for i := 1; i < len(spans); i++ {
		if point.Compare(spans[i].lo, spans[i-1].hi) <= 0 {
			return true
		}
	}
	return false
}

// mergeIDs merges the segments' sorted id tables, skipping deleted points,
// and refuses an id met twice.
func (s *shard) mergeIDs() error {
	q := make(idHeap, 0, len(s.segs))
	for _, h := range s.segs {
		c := &idCursor{h: h, del: h.deleted.Load()}
		if c.next() {
			q = append(q, c)
		}
	}
	heap.Init(&q)
	var prev *idCursor
	var last point.ID
	for len(q) > 0 {
		c := q[0]
		if prev != nil && point.Compare(c.id, last) == 0 {
			return fmt.Errorf("%w: shard %d: point %s is live in segments %s and %s", ErrCorrupt, s.id, c.id, prev.h.name, c.h.name)
		}
		prev, last = c, c.id
		if c.next() {
			heap.Fix(&q, 0)
		} else {
			heap.Pop(&q)
		}
	}
	return nil
}

// checkRecord refuses a replayed WAL operation that the write path could
// not have logged in this shard: a vector the collection does not have, of
// another size or with a NaN or infinite component, a point routed to
// another shard, or a payload that is not valid UTF-8 or nests deeper
// than payload.MaxDepth (checkPayload). Applying it would corrupt the head
// (its vectors are laid out by the configured sizes), hide the point from
// every lookup, or store a payload no write could have stored.
func (s *shard) checkRecord(o *op) error {
	shards := uint64(s.core.config().Params.ShardNumber)
	for i := range o.puts {
		p := &o.puts[i]
		for name, v := range p.vectors {
			k := specIndex(s.core.specs, name)
			switch {
			case k < 0:
				return fmt.Errorf("%w: point %s has %s, which the collection does not have", ErrCorrupt, p.id, vectorWhat(name))
			case len(v) != s.core.specs[k].Dim:
				return fmt.Errorf("%w: point %s: %s has size %d, the collection's %d", ErrCorrupt, p.id, vectorWhat(name), len(v), s.core.specs[k].Dim)
			case nonFinite(v) >= 0:
				return fmt.Errorf("%w: point %s: %s has a NaN or infinite component", ErrCorrupt, p.id, vectorWhat(name))
			}
		}
		if shards > 1 && p.id.Hash()%shards != uint64(s.id) {
			return fmt.Errorf("%w: point %s belongs to shard %d", ErrCorrupt, p.id, p.id.Hash()%shards)
		}
		if err := checkPayload(p.payload); err != nil {
			return fmt.Errorf("%w: point %s: %v", ErrCorrupt, p.id, err)
		}
	}
	return nil
}

// checkPayload refuses stored payload JSON that the write path would not
// have stored: text that is not valid UTF-8 (or a \u escape leaving a
// surrogate unpaired) or nested deeper than payload.MaxDepth. One linear
// pass over the bytes, no decoding.
func checkPayload(b []byte) error {
	if b == nil {
		return nil
	}
	if err := payload.CheckText(b, payload.MaxDepth); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return nil
}

// checkPayloads runs checkPayload on every payload of a segment.
func checkPayloads(h *segHandle) error {
	for off := range h.seg.Len() {
		if err := checkPayload(h.seg.Payload(uint32(off))); err != nil {
			return fmt.Errorf("point at offset %d: %v", off, err)
		}
	}
	return nil
}

// checkStaged runs the checks of this file that need no open shard on the
// collection folder dir: its collection file (which loadCollectionFile
// checks with CollectionConfig.Validate), its shard folders, and the room
// their WALs take once opened (free measures it).
func checkStaged(dir string, free func(string) (int64, error)) error {
	f, err := loadCollectionFile(dir)
	if err != nil {
		return err
	}
	if err := checkCollectionLayout(dir, f.Config.Params.ShardNumber); err != nil {
		return err
	}
	return checkWALRoom(free, dir, f.Config.Params.ShardNumber, f.Config.WalConfig.WalCapacityMB)
}

// checkWALRoom refuses, before any WAL is opened, shards WALs of
// wal_capacity_mb capMB that would not fit in the free space (as free
// measures it) of the filesystem holding dir, a folder inside the storage's
// collections folder: opening a shard's WAL reserves capMB for the segment
// it appends to (wal.Open preallocates it), so the check reserves what the
// restored collection will. The error names the folder (not its path),
// the bytes needed and the bytes free, and wraps syscall.ENOSPC: a fault
// of this machine's room, not of the archive (verifyErr leaves it
// unmarked).
func checkWALRoom(free func(string) (int64, error), dir string, shards, capMB int) error {
	avail, err := free(dir)
	if err != nil {
		return fmt.Errorf("check free space: %w", err)
	}
	n, c := int64(max(shards, 1)), int64(capMB)
	if c <= (avail>>20)/n { // n × c MiB fit, computed without overflow
		return nil
	}
	need := "more than 2^62"
	if c <= (1<<42)/n {
		need = strconv.FormatInt(n*c<<20, 10)
	}
	wals := fmt.Sprintf("the WALs of %d shards", n)
	if n == 1 {
		wals = "the WAL of 1 shard"
	}
	return fmt.Errorf("the storage's collections folder is out of space: %s of wal_capacity_mb %d need %s bytes, %d bytes are free: %w",
		wals, c, need, avail, syscall.ENOSPC)
}

// vectorWhat names the vector name in a message.
func vectorWhat(name string) string {
	if name == "" {
		return "the default vector"
	}
	return fmt.Sprintf("vector %q", name)
}
