package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

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
	entry int    // index in the manifest's entries
	path  string // on disk
	info  os.FileInfo
	d     digest
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
		rm := &RemoteManifest{Kind: meta.Kind, Name: final, Collection: meta.Collection, Shard: meta.Shard,
			CreatedAt: meta.CreatedAt.UTC().Truncate(time.Second), Config: meta.Config}
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

// uploadStage fills rm from the stage folder and stores it under key.
func (m *Manager) uploadStage(ctx context.Context, stage, key string, rm *RemoteManifest, z bool) (RemoteStats, error) {
	files, err := scanStage(stage, rm)
	if err != nil {
		return RemoteStats{}, err
	}
	st := RemoteStats{Files: len(files)}
	if st.Hashed, err = m.hashStaged(ctx, files); err != nil {
		return st, err
	}
	for _, f := range files {
		e := &rm.Entries[f.entry]
		e.CRC32C = f.d.CRC32C
		for _, c := range f.d.Chunks {
			e.Chunks = append(e.Chunks, RemoteChunk{Size: c.Size, SHA256: c.SHA256, Object: objectKey(c.SHA256, z)})
		}
	}
	// A sweep in this process waits for the manifest; one elsewhere finds
	// the lease (see sweep).
	m.remote.gc.RLock()
	defer m.remote.gc.RUnlock()
	lease, err := m.writeLease(ctx, rm)
	if err != nil {
		return st, err
	}
	defer m.dropLease(lease)
	reused, err := m.uploadMissing(ctx, files, rm, z, &st, m.knownObjects(ctx, key))
	if err != nil {
		return st, err
	}
	body, err := encodeRemote(rm)
	if err != nil {
		return st, err
	}
	if err := m.Remote.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
		return st, fmt.Errorf("write snapshot manifest %s: %w", rm.Name, err)
	}
	if err := m.verifyReused(ctx, reused, z, &st); err != nil {
		dctx, cancel := opContext()
		defer cancel()
		_ = m.Remote.Delete(dctx, key) // not listed: it could not be made whole
		return st, err
	}
	m.remember(key, rm)
	if err := m.remote.hashes.save(m.fs(), filepath.Join(m.SnapshotsPath, HashCacheFile), m.now()); err != nil {
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

// hashStaged computes every file's digest, remoteWorkers at a time, taking
// cacheable files from the hash cache. It returns how many it read.
func (m *Manager) hashStaged(ctx context.Context, files []*stagedFile) (int, error) {
	cachePath := filepath.Join(m.SnapshotsPath, HashCacheFile)
	now := m.now()
	var read atomic.Int64
	err := parallel(ctx, len(files), func(i int) error {
		f := files[i]
		id := identity(f.info)
		if id != "" {
			if d, ok := m.remote.hashes.get(cachePath, id, f.info.Size(), now); ok {
				f.d = d
				return nil
			}
		}
		d, err := hashFile(f.path, f.info.Size())
		if err != nil {
			return err
		}
		read.Add(1)
		f.d = d
		if id != "" {
			d.Used = now.Unix()
			m.remote.hashes.put(cachePath, id, d)
		}
		return nil
	})
	return int(read.Load()), err
}

// lease is the object a create writes before it relies on objects already
// in the store.
type lease struct {
	Created time.Time `json:"created"`
	Name    string    `json:"name"`
	Objects []string  `json:"objects"`
}

func (m *Manager) writeLease(ctx context.Context, rm *RemoteManifest) (string, error) {
	l := lease{Created: m.now(), Name: rm.Name, Objects: referenced(rm)}
	b, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("encode lease: %w", err)
	}
	key := RemoteLeases + "/" + randomID()
	if err := m.Remote.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
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

// upload is one chunk to store: bytes [off, off+size) of a staged file.
type upload struct {
	path, rel string
	off, size int64
	key       string
}

// uploadMissing uploads, remoteWorkers at a time, each distinct chunk of
// files that the store does not hold yet, counting them in st; it returns
// the chunks it found present. Chunks in known are present without a
// look.
func (m *Manager) uploadMissing(ctx context.Context, files []*stagedFile, rm *RemoteManifest, z bool, st *RemoteStats, known map[string]bool) ([]upload, error) {
	var todo []upload
	seen := map[string]bool{}
	for _, f := range files {
		e := rm.Entries[f.entry]
		var off int64
		for _, c := range e.Chunks {
			if !seen[c.Object] {
				seen[c.Object] = true
				todo = append(todo, upload{path: f.path, rel: e.Path, off: off, size: c.Size, key: c.Object})
			}
			off += c.Size
		}
	}
	present := make([]bool, len(todo))
	for i, u := range todo {
		present[i] = known[u.key]
	}
	err := m.putAbsent(ctx, todo, present, z, st)
	var reused []upload
	for i, p := range present {
		if p {
			reused = append(reused, todo[i])
		}
	}
	return reused, err
}

// putAbsent uploads each chunk of todo not marked present that the store
// lacks, and marks the others present.
func (m *Manager) putAbsent(ctx context.Context, todo []upload, present []bool, z bool, st *RemoteStats) error {
	var n, bytes atomic.Int64
	err := parallel(ctx, len(todo), func(i int) error {
		u := todo[i]
		if present[i] {
			return nil
		}
		_, err := m.Remote.Stat(ctx, u.key)
		if err == nil {
			present[i] = true
			return nil
		}
		if !errors.Is(err, objstore.ErrNotExist) {
			return fmt.Errorf("check object of %s: %w", u.rel, err)
		}
		if err := putChunk(ctx, m.Remote, u, z); err != nil {
			return fmt.Errorf("upload %s: %w", u.rel, err)
		}
		n.Add(1)
		bytes.Add(u.size)
		return nil
	})
	st.Uploaded += int(n.Load())
	st.UploadedBytes += bytes.Load()
	return err
}

// listAbove is how many chunks a create checks with one listing of the
// objects rather than one look each.
const listAbove = 32

// verifyReused checks, once the manifest is written, that the chunks the
// create found present are still there, and uploads again any that a
// sweep on another node deleted meanwhile (docs/format/remote.md).
func (m *Manager) verifyReused(ctx context.Context, reused []upload, z bool, st *RemoteStats) error {
	present := make([]bool, len(reused))
	if len(reused) > listAbove {
		infos, err := m.Remote.List(ctx, RemoteObjects+"/")
		if err != nil {
			return fmt.Errorf("verify snapshot objects: %w", err)
		}
		have := make(map[string]bool, len(infos))
		for _, in := range infos {
			have[in.Key] = true
		}
		for i, u := range reused {
			present[i] = have[u.key]
		}
	}
	if err := m.putAbsent(ctx, reused, present, z, st); err != nil {
		return fmt.Errorf("verify snapshot objects: %w", err)
	}
	return nil
}

// lastManifest is the manifest a create of this process wrote last in a
// folder, and the objects it references.
type lastManifest struct {
	key     string
	objects map[string]bool
}

// remember notes the manifest just written at key for the next create in
// its folder.
func (m *Manager) remember(key string, rm *RemoteManifest) {
	objs := map[string]bool{}
	for _, o := range referenced(rm) {
		objs[o] = true
	}
	m.remote.mu.Lock()
	defer m.remote.mu.Unlock()
	if m.remote.last == nil {
		m.remote.last = map[string]lastManifest{}
	}
	m.remote.last[path.Dir(key)] = lastManifest{key: key, objects: objs}
}

// knownObjects returns the objects of the last manifest this process wrote
// in key's folder when that manifest still exists: the create holds the
// sweep lock shared, and no sweep deletes what a manifest it read names,
// so they are all present. It costs one look instead of one per chunk.
func (m *Manager) knownObjects(ctx context.Context, key string) map[string]bool {
	m.remote.mu.Lock()
	l, ok := m.remote.last[path.Dir(key)]
	m.remote.mu.Unlock()
	if !ok {
		return nil
	}
	if _, err := m.Remote.Stat(ctx, l.key); err != nil {
		return nil
	}
	return l.objects
}

// putChunk stores a chunk of a file under its key, compressed with zstd
// when z.
func putChunk(ctx context.Context, store objstore.Store, u upload, z bool) error {
	f, err := os.Open(u.path)
	if err != nil {
		return fmt.Errorf("open %s: %w", u.path, err)
	}
	defer f.Close()
	r := io.NewSectionReader(f, u.off, u.size)
	if !z {
		return store.Put(ctx, u.key, r, u.size)
	}
	pr, pw := io.Pipe()
	go func() {
		enc, err := zstd.NewWriter(pw, zstd.WithEncoderLevel(zstdLevel), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow))
		if err == nil {
			_, err = io.CopyBuffer(enc, r, make([]byte, copyBufSize))
			err = errors.Join(err, enc.Close())
		}
		pw.CloseWithError(err)
	}()
	err = store.Put(ctx, u.key, pr, -1)
	pr.CloseWithError(errors.Join(err, io.ErrClosedPipe)) // ends the encoder if Put stopped early
	return err
}

// The zstd settings objects are written with: fastest level (see
// docs/BENCHMARKS.md), a window within what readers accept.
const (
	zstdLevel  = zstd.SpeedFastest
	zstdWindow = RemoteChunkSize
)

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
