package snapshot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// HashCacheFile is the file under the snapshots path holding the digests
// of the immutable files already hashed for Remote snapshots.
const HashCacheFile = ".remote-hashes.json"

// Bounds of the hash cache: entries unused for hashCacheTTL are dropped,
// and it never holds more than hashCacheMax.
const (
	hashCacheTTL = 30 * 24 * time.Hour
	hashCacheMax = 1 << 20
)

// digest is a file's CRC-32C and the size and SHA-256 (hex) of each of
// its chunks (RemoteChunkSize).
type digest struct {
	CRC32C uint32     `json:"crc32c"`
	Chunks []chunkSum `json:"chunks"`
	Used   int64      `json:"used"` // unix seconds of the last snapshot that used it
}

// chunkSum is one chunk's length and SHA-256.
type chunkSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// valid reports whether a digest read from the cache file describes size
// bytes in well-formed chunks.
func (d digest) valid(size int64) bool {
	var n int64
	for _, c := range d.Chunks {
		if len(c.SHA256) != 64 || c.Size <= 0 || c.Size > RemoteChunkSize {
			return false
		}
		n += c.Size
	}
	return n == size
}

// hashCache remembers the digests of immutable files by their identity, so
// a sealed segment is read once, not on every snapshot. Only a file hard
// linked into the stage folder (link count 2 or more: a pinned immutable
// file of the live storage, which never changes while it exists) is cached;
// the mutable files a cut copies have one link and are hashed every time.
// The key is the inode's device, number, size and modification time and the
// file's name: a new file reusing a freed inode would need all of them
// equal to be taken for the old one.
type hashCache struct {
	mu      sync.Mutex
	loaded  bool
	entries map[string]digest
	dirty   bool
}

func (c *hashCache) load(path string) {
	if c.loaded {
		return
	}
	c.loaded = true
	c.entries = map[string]digest{}
	b, err := os.ReadFile(path)
	if err != nil {
		return // none yet, or unreadable: start empty
	}
	var e map[string]digest
	if json.Unmarshal(b, &e) != nil {
		return
	}
	for k, d := range e {
		if len(c.entries) < hashCacheMax {
			c.entries[k] = d
		}
	}
}

func (c *hashCache) get(path, key string, size int64, now time.Time) (digest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load(path)
	d, ok := c.entries[key]
	ok = ok && d.valid(size)
	if ok && d.Used != now.Unix() {
		d.Used = now.Unix()
		c.entries[key] = d
		c.dirty = true
	}
	return d, ok
}

// drop forgets key (a digest found wrong).
func (c *hashCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		delete(c.entries, key)
		c.dirty = true
	}
}

func (c *hashCache) put(path, key string, d digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load(path)
	if len(c.entries) < hashCacheMax {
		c.entries[key] = d
		c.dirty = true
	}
}

// save drops stale entries and writes the cache durably (temp, fsync,
// rename, fsync folder). A failure costs only a rehash next time.
func (c *hashCache) save(fsys vfs.FS, path string, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	for k, d := range c.entries {
		if now.Sub(time.Unix(d.Used, 0)) > hashCacheTTL {
			delete(c.entries, k)
		}
	}
	b, err := json.Marshal(c.entries)
	if err != nil {
		return fmt.Errorf("encode hash cache: %w", err)
	}
	if err := fsys.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return fmt.Errorf("save hash cache: %w", err)
	}
	if err := writeSynced(fsys, path+TempExt, b); err != nil {
		return err
	}
	if err := fsys.Rename(path+TempExt, path); err != nil {
		return fmt.Errorf("save hash cache: %w", err)
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("save hash cache: %w", err)
	}
	c.dirty = false
	return nil
}
