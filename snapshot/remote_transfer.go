package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/cairn-db/cairn/objstore"
)

// chunkJob is one chunk of a staged file: bytes [off, off+size).
type chunkJob struct {
	f         *stagedFile
	off, size int64
	sum       string // its SHA-256: from the hash cache, or once read
	crc       uint32 // its CRC-32C, once read
	present   bool   // the store held it (or the last manifest names it)
}

// planChunks cuts every file into chunks of chunkBytes. A file whose
// digest the hash cache holds gets its chunks' sums from it and is not
// read unless a chunk must be uploaded; the others are read by transfer.
func (m *Manager) planChunks(files []*stagedFile, now time.Time) []*chunkJob {
	cachePath := m.hashCachePath()
	var jobs []*chunkJob
	for _, f := range files {
		size := f.info.Size()
		if id := identity(f.info); id != "" {
			f.cacheKey = id
			if d, ok := m.remote.hashes.get(cachePath, id, size, now); ok {
				f.d, f.cached = d, true
				var off int64
				for _, c := range d.Chunks {
					jobs = append(jobs, &chunkJob{f: f, off: off, size: c.Size, sum: c.SHA256})
					off += c.Size
				}
				continue
			}
		}
		for off := int64(0); off < size; off += chunkBytes {
			jobs = append(jobs, &chunkJob{f: f, off: off, size: min(chunkBytes, size-off)})
		}
	}
	return jobs
}

func (m *Manager) hashCachePath() string { return filepath.Join(m.SnapshotsPath, HashCacheFile) }

// chunkBytes is the chunk length files are cut into: RemoteChunkSize,
// smaller in tests.
var chunkBytes int64 = RemoteChunkSize

// chunkBufs are the buffers chunks are read into.
var chunkBufs = sync.Pool{New: func() any { b := make([]byte, RemoteChunkSize); return &b }}

// transfer stores every chunk the store lacks, remoteWorkers at a time. A
// chunk not hashed yet is read once into a buffer, hashed (SHA-256 and
// CRC-32C), looked up, and uploaded from the same buffer: every byte is
// read from disk once, and hashing overlaps the uploads. Reading, hashing
// and compressing hold one of the process's cpuSlots, uploads (network
// waits, which hold no P) do not. Chunks in known
// are present without a look.
func (m *Manager) transfer(ctx context.Context, jobs []*chunkJob, z bool, known map[string]bool, st *RemoteStats) error {
	read := map[*stagedFile]bool{}
	for _, j := range jobs {
		if !j.f.cached {
			read[j.f] = true
		}
	}
	st.Hashed = len(read)
	var mu sync.Mutex
	return parallel(ctx, len(jobs), func(i int) error {
		j := jobs[i]
		bp := chunkBufs.Get().(*[]byte)
		defer chunkBufs.Put(bp)
		var data []byte
		if j.sum == "" {
			err := withCPU(ctx, func() error {
				var err error
				if data, err = readChunk(j, *bp); err != nil {
					return err
				}
				j.sum, j.crc = chunkSums(data)
				return nil
			})
			if err != nil {
				return err
			}
		}
		key := objectKey(j.sum, z)
		if known[key] {
			j.present = true
			return nil
		}
		n, err := m.putIfAbsent(ctx, j, key, data, *bp, z)
		if err != nil {
			return err
		}
		st.addUpload(&mu, n)
		return nil
	})
}

// addUpload counts, under mu, an upload of n content bytes; n is 0 when
// the object was present and nothing was uploaded.
func (st *RemoteStats) addUpload(mu *sync.Mutex, n int64) {
	if n <= 0 {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	st.Uploaded++
	st.UploadedBytes += n
}

// putIfAbsent uploads chunk j under key unless the store holds it (then
// it is marked present). data is its content when already read; else it
// is read into buf and checked against its sum. It returns the bytes
// uploaded.
func (m *Manager) putIfAbsent(ctx context.Context, j *chunkJob, key string, data, buf []byte, z bool) (int64, error) {
	_, err := m.Remote.Stat(ctx, key)
	if err == nil {
		j.present = true
		return 0, nil
	}
	if !errors.Is(err, objstore.ErrNotExist) {
		return 0, fmt.Errorf("check object of %s: %w", j.f.path, err)
	}
	if data == nil {
		err := withCPU(ctx, func() error {
			var err error
			if data, err = readChunk(j, buf); err != nil {
				return err
			}
			if sum, _ := chunkSums(data); sum != j.sum {
				m.remote.hashes.drop(j.f.cacheKey)
				return fmt.Errorf("read %s: bytes %d-%d differ from their cached digest (file changed?)", j.f.path, j.off, j.off+j.size)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	n := int64(len(data))
	// The object's SHA-256 goes with it, so that the store need not hash
	// it again (an S3 store's signature): the chunk's own, or that of its
	// compressed bytes, hashed where they are made.
	var sum []byte
	if z {
		if data, sum, err = compress(ctx, data); err != nil {
			return 0, fmt.Errorf("upload %s: %w", j.f.path, err)
		}
	} else if sum, err = hex.DecodeString(j.sum); err != nil {
		return 0, fmt.Errorf("upload %s: chunk SHA-256 %q: %w", j.f.path, j.sum, err)
	}
	if err := objstore.PutHashed(ctx, m.Remote, key, bytes.NewReader(data), int64(len(data)), sum); err != nil {
		return 0, fmt.Errorf("upload %s: %w", j.f.path, err)
	}
	return n, nil
}

// newChunkHash makes the SHA-256 of a chunk (a probe in tests).
var newChunkHash = sha256.New

// chunkSums returns the SHA-256 (hex) and the CRC-32C of a chunk, in one
// pass: each slice of hashSlice bytes gets both while it is in the cache
// (a second pass over the 4 MiB chunk read it again from memory), then
// the processor is yielded (as hashYielding does), so that a goroutine
// made runnable meanwhile (a wait=true write's WAL sync) waits for one
// slice, not for the hashes of a whole chunk.
func chunkSums(data []byte) (string, uint32) {
	h := newChunkHash()
	var crc uint32
	for len(data) > 0 {
		n := min(len(data), hashSlice)
		h.Write(data[:n])
		crc = crc32.Update(crc, castagnoli, data[:n])
		data = data[n:]
		yieldProc()
	}
	return hex.EncodeToString(h.Sum(nil)), crc
}

// cpuSlots bounds the goroutines of the process's remote creates that
// read, hash or compress chunks at once to what the machine can spare
// beside its writers and searches: GOMAXPROCS-1 as the process started,
// at least 1 (on 2 cores, one P stays free however many uploads are under
// way).
var cpuSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

// withCPU runs f holding one of cpuSlots, waiting for one unless ctx is
// done first (then ctx's error, without running f).
func withCPU(ctx context.Context, f func() error) error {
	select {
	case cpuSlots <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-cpuSlots }()
	return f()
}

// readChunk reads chunk j of its file into buf.
func readChunk(j *chunkJob, buf []byte) ([]byte, error) {
	f, err := os.Open(j.f.path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", j.f.path, err)
	}
	defer f.Close()
	data := buf[:j.size]
	if _, err := io.ReadFull(io.NewSectionReader(f, j.off, j.size), data); err != nil {
		return nil, fmt.Errorf("read %s: %w (file changed?)", j.f.path, err)
	}
	return data, nil
}

// The zstd settings objects are written with: fastest level (see
// docs/BENCHMARKS.md), a window of one chunk.
const (
	zstdLevel  = zstd.SpeedFastest
	zstdWindow = RemoteChunkSize
)

// zstdEnc compresses chunks; EncodeAll is safe for concurrent use.
var zstdEnc = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderLevel(zstdLevel), zstd.WithEncoderConcurrency(remoteWorkers), zstd.WithWindowSize(zstdWindow))
})

// compress returns data compressed with zstd and the SHA-256 of the
// compressed bytes (hashed in yielding slices), holding one of cpuSlots.
func compress(ctx context.Context, data []byte) ([]byte, []byte, error) {
	var out, sum []byte
	err := withCPU(ctx, func() error {
		enc, err := zstdEnc()
		if err != nil {
			return fmt.Errorf("start zstd: %w", err)
		}
		out = enc.EncodeAll(data, nil)
		h := newChunkHash()
		hashYielding(h, out)
		sum = h.Sum(nil)
		return nil
	})
	return out, sum, err
}

// fillEntries writes the chunks and CRC-32C of every file into rm, and
// the digests of the files read into the hash cache (cacheable ones).
func (m *Manager) fillEntries(rm *RemoteManifest, files []*stagedFile, jobs []*chunkJob, z bool, now time.Time) {
	for _, f := range files {
		if !f.cached {
			f.d = digest{Chunks: []chunkSum{}}
		}
	}
	for _, j := range jobs {
		e := &rm.Entries[j.f.entry]
		e.Chunks = append(e.Chunks, RemoteChunk{Size: j.size, SHA256: j.sum, Object: objectKey(j.sum, z)})
		if !j.f.cached {
			j.f.d.CRC32C = crcCombine(j.f.d.CRC32C, j.crc, j.size)
			j.f.d.Chunks = append(j.f.d.Chunks, chunkSum{Size: j.size, SHA256: j.sum})
		}
	}
	for _, f := range files {
		rm.Entries[f.entry].CRC32C = f.d.CRC32C
		if !f.cached && f.cacheKey != "" {
			d := f.d
			d.Used = now.Unix()
			m.remote.hashes.put(m.hashCachePath(), f.cacheKey, d)
		}
	}
}

// listAbove is how many chunks a create checks with one listing of the
// objects rather than one look each.
const listAbove = 32

// verifyReused checks, once the manifest is written, that the chunks the
// create found present are still there, and uploads again any that a
// sweep on another node deleted meanwhile (docs/format/remote.md).
func (m *Manager) verifyReused(ctx context.Context, jobs []*chunkJob, z bool, st *RemoteStats) error {
	var reused []*chunkJob
	seen := map[string]bool{}
	for _, j := range jobs {
		if k := objectKey(j.sum, z); j.present && !seen[k] {
			seen[k] = true
			reused = append(reused, j)
		}
	}
	var have map[string]bool
	if len(reused) > listAbove {
		infos, err := m.Remote.List(ctx, RemoteObjects+"/")
		if err != nil {
			return fmt.Errorf("verify snapshot objects: %w", err)
		}
		have = make(map[string]bool, len(infos))
		for _, in := range infos {
			have[in.Key] = true
		}
	}
	var mu sync.Mutex
	err := parallel(ctx, len(reused), func(i int) error {
		j := reused[i]
		key := objectKey(j.sum, z)
		if have[key] {
			return nil
		}
		bp := chunkBufs.Get().(*[]byte)
		defer chunkBufs.Put(bp)
		n, err := m.putIfAbsent(ctx, j, key, nil, *bp, z)
		if err != nil {
			return err
		}
		st.addUpload(&mu, n)
		return nil
	})
	if err != nil {
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
