package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

// maxLeaseSize bounds a lease read from the store.
const maxLeaseSize = 64 << 20

// SweepStats counts what a sweep did.
type SweepStats struct {
	// Kept is how many objects a manifest or a live lease references, or
	// are younger than the grace period.
	Kept int
	// Deleted is how many unreferenced objects were deleted.
	Deleted int
	// Leases is how many expired leases were deleted.
	Leases int
	// Paused reports that a live lease (a create running, here or on
	// another node) stopped the sweep before it deleted what remained.
	Paused bool
}

// deleteRemote deletes the snapshot name of the folder dir: its manifest,
// then, unless a create of this process is running (it will be collected
// by a later delete or sweep), the objects no snapshot references any
// longer (SweepRemote). A failed sweep is logged; the snapshot is gone.
func (m *Manager) deleteRemote(dir, name string) error {
	key, err := manifestKey(dir, name)
	if err != nil {
		return err
	}
	ctx, cancel := opContext()
	defer cancel()
	if _, err := m.Remote.Stat(ctx, key); errors.Is(err, objstore.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	} else if err != nil {
		return fmt.Errorf("delete snapshot %s: %w", name, err)
	}
	if err := m.Remote.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", name, err)
	}
	if !m.remote.gc.TryLock() {
		m.log().Info("snapshot deleted; its objects are collected by a later sweep (a create is running)", "name", name)
		return nil
	}
	defer m.remote.gc.Unlock()
	st, err := m.sweep(ctx)
	if err != nil {
		m.log().Warn("sweep snapshot objects", "store", m.Remote.String(), "err", err)
		return nil
	}
	m.log().Info("deleted snapshot from remote store", "name", name, "objects_deleted", st.Deleted, "objects_kept", st.Kept)
	return nil
}

// SweepRemote deletes every object of Remote that no manifest and no live
// lease references and that is older than the grace period, and every
// lease older than it (a create that crashed). It waits for the creates of
// this process to finish. See docs/format/remote.md for why a create
// running at the same moment, here or on another node, loses nothing.
func (m *Manager) SweepRemote(ctx context.Context) (SweepStats, error) {
	if m.Remote == nil {
		return SweepStats{}, nil
	}
	m.remote.gc.Lock()
	defer m.remote.gc.Unlock()
	return m.sweep(ctx)
}

// sweepBatch is how many objects a sweep deletes between two looks at
// the leases and manifests written since it started.
const sweepBatch = 32

// marks are the objects a sweep keeps, and the leases and manifests it
// has read (by key and modification time).
type marks struct {
	keep   map[string]bool
	read   map[string]time.Time
	paused bool // a live lease was seen: a create is running
}

// sweep is SweepRemote under the lock. The creates of this process hold
// the lock shared from before their lease is written until their manifest
// is, so none is half done here. For creates elsewhere, the leases, then
// the new manifests, are looked at again before every batch of deletes: a
// live lease stops the deletes, a new manifest keeps its objects, and the
// grace period keeps what was uploaded lately; see docs/format/remote.md.
func (m *Manager) sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	now, grace := m.now(), m.grace()
	mk := &marks{keep: map[string]bool{}, read: map[string]time.Time{}}
	if err := m.mark(ctx, mk, &st, now, grace); err != nil {
		return st, err
	}
	objs, err := m.Remote.List(ctx, RemoteObjects+"/")
	if err != nil {
		return st, fmt.Errorf("list objects: %w", err)
	}
	var cands []string
	for _, o := range objs {
		if mk.keep[o.Key] || now.Sub(o.Modified) <= grace {
			st.Kept++
			continue
		}
		cands = append(cands, o.Key)
	}
	for len(cands) > 0 {
		batch := cands[:min(sweepBatch, len(cands))]
		cands = cands[len(batch):]
		if err := m.mark(ctx, mk, &st, now, grace); err != nil {
			return st, err
		}
		if mk.paused {
			st.Kept += len(batch) + len(cands)
			st.Paused = true
			break
		}
		for _, k := range batch {
			if mk.keep[k] {
				st.Kept++
				continue
			}
			if err := m.Remote.Delete(ctx, k); err != nil {
				return st, fmt.Errorf("delete object: %w", err)
			}
			st.Deleted++
		}
	}
	return st, nil
}

// mark deletes the leases older than grace (crashed creates) and sets
// mk.paused when a younger one exists, then adds to mk.keep the objects of
// every manifest that mk has not read yet. A manifest that cannot be read
// stops the sweep: its references are unknown.
func (m *Manager) mark(ctx context.Context, mk *marks, st *SweepStats, now time.Time, grace time.Duration) error {
	leases, err := m.Remote.List(ctx, RemoteLeases+"/")
	if err != nil {
		return fmt.Errorf("list leases: %w", err)
	}
	for _, l := range leases {
		if now.Sub(l.Modified) > grace {
			if err := m.Remote.Delete(ctx, l.Key); err != nil {
				return fmt.Errorf("delete expired lease: %w", err)
			}
			st.Leases++
			continue
		}
		mk.paused = true // a create is running (here or elsewhere): delete nothing
	}
	mans, err := m.Remote.List(ctx, RemoteSnapshots+"/")
	if err != nil {
		return fmt.Errorf("list snapshots: %w", err)
	}
	for _, mi := range mans {
		if t, ok := mk.read[mi.Key]; ok && t.Equal(mi.Modified) || ValidName(path.Base(mi.Key)) != nil {
			continue
		}
		rm, err := m.readRemote(ctx, mi.Key)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("sweep stopped: %w", err)
		}
		mk.read[mi.Key] = mi.Modified
		for _, o := range referenced(rm) {
			mk.keep[o] = true
		}
	}
	return nil
}
