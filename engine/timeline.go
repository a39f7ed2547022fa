package engine

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// A timeline names one incarnation of a collection for the WAL archive
// (docs/format/wal-archive.md, "Timelines"): every create and every restore
// (of the collection, of one of its shards, or of a full snapshot holding
// it) gives the collection a new random timeline id, stored in its
// collection file with the moment it began. Its WAL's LSNs are meaningful
// only within one timeline: a collection deleted and created again, or
// restored in place, starts its LSNs afresh, and its archive goes under its
// own timeline's keys. Timeline 0 is a collection written by an earlier
// version, whose collection file has none: its archive keeps the old key
// layout until it is recreated or restored.

// Timeline identifies an incarnation of a collection.
type Timeline struct {
	// ID is the random, non-zero id; 0 for a collection of an earlier
	// version that has none.
	ID uint64
	// Began is when the incarnation began (its create or restore, on
	// Options.Now); zero for timeline 0.
	Began time.Time
}

// String returns the id as FormatTimeline writes it.
func (t Timeline) String() string { return FormatTimeline(t.ID) }

// FormatTimeline returns the id as 16 lowercase hexadecimal digits, the
// form of the collection file, snapshot manifests and archive keys.
func FormatTimeline(id uint64) string { return fmt.Sprintf("%016x", id) }

// ParseTimeline parses what FormatTimeline writes (exactly 16 hexadecimal
// digits); "" is timeline 0.
func ParseTimeline(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	if len(s) != 16 {
		return 0, fmt.Errorf("%w: timeline %q is not 16 hexadecimal digits", ErrCorrupt, s)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return 0, fmt.Errorf("%w: timeline %q is not 16 hexadecimal digits", ErrCorrupt, s)
	}
	id, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: timeline %q: %v", ErrCorrupt, s, err)
	}
	return id, nil
}

// newTimeline returns a fresh timeline beginning at now.
func newTimeline(now time.Time) Timeline {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		if id := binary.LittleEndian.Uint64(b[:]); id != 0 {
			return Timeline{ID: id, Began: now.UTC()}
		}
	}
}

// timeline reads the timeline a collection file records.
func (f *collectionFile) timeline() (Timeline, error) {
	id, err := ParseTimeline(f.Timeline)
	if err != nil {
		return Timeline{}, err
	}
	t := Timeline{ID: id}
	if f.TimelineBegan != nil && id != 0 {
		t.Began = f.TimelineBegan.UTC()
	}
	return t, nil
}

// setTimeline records t in the collection file.
func (f *collectionFile) setTimeline(t Timeline) {
	f.Timeline, f.TimelineBegan = "", nil
	if t.ID != 0 {
		f.Timeline = FormatTimeline(t.ID)
		b := t.Began.UTC()
		f.TimelineBegan = &b
	}
}

// Timeline returns the collection's timeline: the same for the collection
// object's whole life (a restore makes a new Collection).
func (c *Collection) Timeline() Timeline { return c.core.timeline }

// ReadTimeline returns the timeline the collection folder dir records (a
// live folder or one extracted from a snapshot).
func ReadTimeline(dir string) (Timeline, error) {
	f, err := loadCollectionFile(dir)
	if err != nil {
		return Timeline{}, err
	}
	return f.timeline()
}

// renewTimeline gives the collection folder dir a new timeline beginning
// at now, rewriting its collection file atomically. A restore calls it on
// the staged folder before the swap: the restored collection is a new
// incarnation.
func (st *Storage) renewTimeline(dir string) error {
	f, err := loadCollectionFile(dir)
	if err != nil {
		return err
	}
	f.setTimeline(newTimeline(st.opts.now()()))
	return storeCollectionFile(st.opts.FS, dir, f)
}

// renewLiveTimeline gives the open collection c a new timeline in its
// collection file (a shard restore, whose swap reopens c from the file).
// c.Timeline() stays what it was: the collection object keeps its
// identity until the swap closes it, so an archive round running on it
// meanwhile never writes under the new timeline. Caller holds st.mu.
func (st *Storage) renewLiveTimeline(c *Collection) error {
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	old := c.core.stored
	c.core.stored = newTimeline(st.opts.now()())
	if err := c.core.storeLocked(); err != nil {
		c.core.stored = old
		return err
	}
	return nil
}
