package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-db/cairn/objstore"
)

// RemoteStats counts what one remote create did.
type RemoteStats struct {
	// Files is how many files the snapshot lists.
	Files int
	// Hashed is how many files were read for their digests (the others
	// came from the hash cache).
	Hashed int
	// Uploaded is how many objects were uploaded; the others were present.
	Uploaded int
	// UploadedBytes is the content bytes read for them (before compression).
	UploadedBytes int64
}

// observeRemote, when set (tests and benchmarks only), receives the stats
// of every remote create.
var observeRemote func(RemoteStats)

// stagedFile is a regular file of a stage folder and its digest.
type stagedFile struct {
	entry    int    // index in the manifest's entries
	path     string // on disk
	info     os.FileInfo
	cacheKey string // its identity in the hash cache, "" when not cacheable
	cached   bool   // d came from the hash cache
	d        digest
}

// createRemote makes the snapshot of src named name (or the next free name)
// in the folder dir of Remote: the same cut and stage folder as Create,
// then every file hashed (immutable ones through the hash cache), a lease
// written naming every object the snapshot will reference, the objects the
// store lacks uploaded, and the manifest written last.
func (m *Manager) createRemote(ctx context.Context, dir, name string, meta Meta, src Source) (Description, error) {
	comp, err := m.compression()
	if err != nil {
		return Description{}, err
	}
	key, final, release, err := m.reserveName(ctx, dir, name)
	if err != nil {
		return Description{}, err
	}
	defer release()
	if meta.CreatedAt.IsZero() {
		meta.CreatedAt = m.now()
	}
	var d Description
	err = staged(ctx, m.opts(), &meta, src, func(stage string) error {
		// The cut's hold has ended: every write the stage holds is older.
		rm := &RemoteManifest{Kind: meta.Kind, Name: final, Collection: meta.Collection, Shard: meta.Shard,
			CreatedAt: meta.CreatedAt.UTC().Truncate(time.Second), Config: meta.Config,
			CutAt: m.now().UTC(), WALLSNs: meta.WALLSNs, Timelines: meta.Timelines}
		st, err := m.uploadStage(ctx, stage, key, rm, comp == CompressionZstd)
		if err != nil {
			return err
		}
		if observeRemote != nil {
			observeRemote(st)
		}
		_, size, err := layout(rm)
		d = Description{Name: final, CreationTime: creationTime(rm.CreatedAt), Size: size}
		m.log().Info("created snapshot in remote store", "store", m.Remote.String(), "name", final, "files", st.Files,
			"hashed", st.Hashed, "uploaded", st.Uploaded, "uploaded_bytes", st.UploadedBytes)
		return err
	})
	return d, err
}

// uploadStage fills rm from the stage folder and stores it under key:
// lease, chunks (read, hashed and uploaded in one pass, see transfer),
// manifest, second check of the chunks found present.
func (m *Manager) uploadStage(ctx context.Context, stage, key string, rm *RemoteManifest, z bool) (RemoteStats, error) {
	files, err := scanStage(stage, rm)
	if err != nil {
		return RemoteStats{}, err
	}
	st := RemoteStats{Files: len(files)}
	now := m.now()
	jobs := m.planChunks(files, now)
	// A sweep in this process waits for the manifest; one elsewhere finds
	// the lease and deletes nothing (see sweep).
	m.remote.gc.RLock()
	defer m.remote.gc.RUnlock()
	lease, err := m.writeLease(ctx, rm)
	if err != nil {
		return st, err
	}
	defer m.dropLease(lease)
	if err := m.transfer(ctx, jobs, z, m.knownObjects(ctx, key), &st); err != nil {
		return st, err
	}
	m.fillEntries(rm, files, jobs, z, now)
	body, err := encodeRemote(rm)
	if err != nil {
		return st, err
	}
	if err := objstore.PutBytes(ctx, m.Remote, key, body); err != nil {
		return st, fmt.Errorf("write snapshot manifest %s: %w", rm.Name, err)
	}
	if err := m.verifyReused(ctx, jobs, z, &st); err != nil {
		dctx, cancel := opContext()
		defer cancel()
		_ = m.Remote.Delete(dctx, key) // not listed: it could not be made whole
		return st, err
	}
	m.remember(key, rm)
	if err := m.remote.hashes.save(m.fs(), m.hashCachePath(), m.now()); err != nil {
		m.log().Warn("save snapshot hash cache", "err", err)
	}
	return st, nil
}

// scanStage lists the stage folder into rm.Entries in archive order (as
// produce walks it) and returns its regular files.
func scanStage(stage string, rm *RemoteManifest) ([]*stagedFile, error) {
	var files []*stagedFile
	rm.Entries = []RemoteEntry{}
	err := filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == stage {
			return err
		}
		rel, err := filepath.Rel(stage, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == ManifestName {
			return fmt.Errorf("%w: %s is reserved for the manifest", ErrUnsafeEntry, p)
		}
		if err := checkEntryName(rel); err != nil {
			return err
		}
		switch {
		case d.IsDir():
			rm.Entries = append(rm.Entries, RemoteEntry{Path: rel, Dir: true})
		case d.Type().IsRegular():
			info, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("stat %s: %w", p, err)
			}
			files = append(files, &stagedFile{entry: len(rm.Entries), path: p, info: info})
			rm.Entries = append(rm.Entries, RemoteEntry{Path: rel, Size: info.Size()})
		default:
			return fmt.Errorf("%w: %s is a %v, not a regular file or folder", ErrUnsafeEntry, p, d.Type())
		}
		return nil
	})
	return files, err
}

// lease is the object a create writes before it relies on objects already
// in the store: while one younger than the grace period exists, a sweep
// deletes no object.
type lease struct {
	Created time.Time `json:"created"`
	Name    string    `json:"name"`
}

func (m *Manager) writeLease(ctx context.Context, rm *RemoteManifest) (string, error) {
	l := lease{Created: m.now(), Name: rm.Name}
	b, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("encode lease: %w", err)
	}
	key := RemoteLeases + "/" + randomID()
	if err := objstore.PutBytes(ctx, m.Remote, key, b); err != nil {
		return "", fmt.Errorf("write snapshot lease: %w", err)
	}
	return key, nil
}

// dropLease deletes a lease once the manifest is written or the create
// failed; one left behind expires after the grace period.
func (m *Manager) dropLease(key string) {
	ctx, cancel := opContext()
	defer cancel()
	if err := m.Remote.Delete(ctx, key); err != nil {
		m.log().Warn("delete snapshot lease", "lease", key, "err", err)
	}
}

// referenced lists the distinct objects a manifest names.
func referenced(rm *RemoteManifest) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range rm.Entries {
		for _, c := range e.Chunks {
			if !seen[c.Object] {
				seen[c.Object] = true
				out = append(out, c.Object)
			}
		}
	}
	return out
}

// parallel runs do(0..n-1), remoteWorkers at a time, and returns the first
// error; after one, no new call starts.
func parallel(ctx context.Context, n int, do func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		latch errLatch
		wg    sync.WaitGroup
	)
	for range min(remoteWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || latch.failed() != nil {
					return
				}
				if err := ctx.Err(); err != nil {
					latch.fail(err)
					return
				}
				if err := do(i); err != nil {
					latch.fail(err)
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	return latch.failed()
}
