package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
)

// CollectionFile is the name of the collection's config file in its folder;
// format in docs/format/collection.md.
const CollectionFile = "collection"

const (
	collectionMagic   = "CAIRNCOL"
	collectionVersion = 1
	// collectionVersionStrict is the version of a collection file whose
	// config carries strict_mode_config: a Cairn that predates strict mode
	// refuses it rather than drop the limits. Files without one stay at
	// version 1, readable by older Cairns.
	collectionVersionStrict = 2
)

// collectionFile is the body of the collection file.
type collectionFile struct {
	Config         CollectionConfig               `json:"config"`
	PayloadIndexes map[string]payload.FieldSchema `json:"payload_indexes"`
	// Timeline and TimelineBegan are the collection's timeline (see
	// Timeline); absent in a file of an earlier version (timeline 0).
	Timeline      string     `json:"timeline,omitempty"`
	TimelineBegan *time.Time `json:"timeline_began,omitempty"`
}

// collCore is what every shard of a collection shares.
type collCore struct {
	name   string
	dir    string
	fs     vfs.FS
	logger *slog.Logger
	hooks  *Hooks
	specs  []segment.VectorSpec
	// limits are the storage-wide search and optimization semaphores.
	limits *limits
	// freeSpace is Options.FreeSpace, passed to the shards' WALs.
	freeSpace func(dir string) (int64, error)
	// memory is Options.Memory (max_resident_memory_percent).
	memory func() (MemoryReading, error)
	// now is Options.Now (or time.Now): the time put in each WAL record.
	now func() time.Time
	// rates are the strict-mode read and write rate limits.
	rates rateLimits
	// opts records running and finished optimizations (Optimizations).
	opts optTracker
	// archived is Options.ArchivedLSN, nil without WAL archiving.
	archived func(collection string, incarnation uint64, shard int) uint64
	// incarnation identifies this opening of the collection (see
	// Collection.Incarnation).
	incarnation uint64
	// timeline is the timeline the collection opened with (Timeline).
	timeline Timeline
	// lookup is Options.lookup: where lookup_from collections are found.
	lookup func(nameOrAlias string) (*Collection, error)
	// maxPrefetches is Options.MaxQueryPrefetches.
	maxPrefetches int
	// sampleSeed is Options.SampleSeed.
	sampleSeed uint64
	// disk caches the measured size of sealed segments (DiskUsage).
	disk diskCache

	mu      sync.RWMutex // guards cfg and indexes
	cfg     CollectionConfig
	indexes map[string]payload.FieldSchema
	// stored is the timeline the collection file records: timeline, or
	// the new one a shard restore wrote just before its swap.
	stored Timeline
}

func (c *collCore) config() CollectionConfig {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cfg
}

// indexKeys returns the payload index keys, sorted.
func (c *collCore) indexKeys() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	keys := make([]string, 0, len(c.indexes))
	for k := range c.indexes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// indexDefs returns a copy of the payload index definitions.
func (c *collCore) indexDefs() map[string]payload.FieldSchema {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return maps.Clone(c.indexes)
}

// store persists the config and index definitions atomically. Caller holds mu.
func (c *collCore) storeLocked() error {
	f := &collectionFile{Config: c.cfg, PayloadIndexes: c.indexes}
	f.setTimeline(c.stored)
	return storeCollectionFile(c.fs, c.dir, f)
}

func storeCollectionFile(fsys vfs.FS, dir string, f *collectionFile) error {
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode collection file: %w", err)
	}
	version := uint32(collectionVersion)
	if f.Config.StrictModeConfig != nil {
		version = collectionVersionStrict
	}
	b := sealEnvelope(collectionMagic, version, body)
	if err := vfs.WriteFileAtomic(fsys, filepath.Join(dir, CollectionFile), b); err != nil {
		return fmt.Errorf("store collection file: %w", err)
	}
	return nil
}

func loadCollectionFile(dir string) (*collectionFile, error) {
	b, err := os.ReadFile(filepath.Join(dir, CollectionFile))
	if err != nil {
		return nil, fmt.Errorf("read collection file: %w", err)
	}
	version := uint32(collectionVersion)
	if len(b) >= 12 && binary.LittleEndian.Uint32(b[8:]) == collectionVersionStrict {
		version = collectionVersionStrict
	}
	body, err := openEnvelope(collectionMagic, version, b)
	if err != nil {
		return nil, fmt.Errorf("decode collection file %s: %w", dir, err)
	}
	var f collectionFile
	if err := unmarshalJSONNumber(body, &f); err != nil {
		return nil, fmt.Errorf("decode collection file %s: %w: %v", dir, ErrCorrupt, err)
	}
	if err := f.Config.Validate(); err != nil {
		return nil, fmt.Errorf("decode collection file %s: %w: %v", dir, ErrCorrupt, err)
	}
	return &f, nil
}

// vectorSpecs lists the configured vectors in name order.
func vectorSpecs(cfg *CollectionConfig) []segment.VectorSpec {
	var specs []segment.VectorSpec
	for _, n := range cfg.Params.Vectors.Names() {
		p := cfg.Params.Vectors[n]
		specs = append(specs, segment.VectorSpec{Name: n, Dim: p.Size, Distance: p.Distance})
	}
	return specs
}

// Collection is an open collection. Its methods are safe for concurrent use.
type Collection struct {
	core   *collCore
	shards []*shard
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.core.name }

// Config returns the collection's current configuration.
func (c *Collection) Config() CollectionConfig { return c.core.config() }

// openCollection opens the collection in dir and recovers its shards.
// unverified opens the HNSW graphs without reading them in full
// (hnsw.OpenUnverified): only for a folder whose graphs the caller checks
// itself (verifyShards) or that openRestored documents as checked.
func openCollection(name, dir string, opts *Options, unverified bool) (*Collection, error) {
	f, err := loadCollectionFile(dir)
	if err != nil {
		return nil, err
	}
	if f.PayloadIndexes == nil {
		f.PayloadIndexes = map[string]payload.FieldSchema{}
	}
	tl, err := f.timeline()
	if err != nil {
		return nil, fmt.Errorf("decode collection file %s: %w", dir, err)
	}
	core := &collCore{timeline: tl, stored: tl, name: name, dir: dir, fs: opts.FS, logger: opts.Logger, hooks: opts.Hooks,
		cfg: f.Config, indexes: f.PayloadIndexes, specs: vectorSpecs(&f.Config),
		limits: opts.sharedLimits(), freeSpace: opts.FreeSpace, memory: opts.Memory, now: opts.now(), archived: opts.ArchivedLSN,
		incarnation: incarnations.Add(1), lookup: opts.lookup, maxPrefetches: opts.MaxQueryPrefetches, sampleSeed: opts.SampleSeed}
	c := &Collection{core: core}
	for i := range f.Config.Params.ShardNumber {
		s, err := openShard(core, i, shardDir(dir, i), unverified)
		if err != nil {
			_ = c.closeShards()
			return nil, fmt.Errorf("open collection %s: %w", name, err)
		}
		c.shards = append(c.shards, s)
	}
	if !opts.DisableBackground {
		for _, s := range c.shards {
			s.startWorker()
			s.kickWorker()
			s.kickOptimizer()
		}
	}
	return c, nil
}

// stopWorkers stops the shards' background workers.
func (c *Collection) stopWorkers() {
	for _, s := range c.shards {
		s.stopWorker()
	}
}

func (c *Collection) closeShards() error {
	var errs []error
	for _, s := range c.shards {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// shardOf returns the shard a point id is routed to.
func (c *Collection) shardIndex(h uint64) int { return int(h % uint64(len(c.shards))) }

// Flush seals every shard's head into a segment now and runs the optimizer
// until nothing is due. Tests and shutdown use it; the background worker
// does the same on its own schedule.
func (c *Collection) Flush() error {
	var errs []error
	for _, s := range c.shards {
		err := s.maintainSeal()
		s.setErr(err)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// update applies a configuration change and persists it.
func (c *Collection) update(u CollectionUpdate) error {
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	cfg, err := c.core.cfg.Apply(u)
	if err != nil {
		return err
	}
	if err := checkMemoryReadable(u.StrictModeConfig, c.core.memory); err != nil {
		return err
	}
	old := c.core.cfg
	c.core.cfg = cfg
	if err := c.core.storeLocked(); err != nil {
		c.core.cfg = old
		return err
	}
	for _, s := range c.shards {
		s.kickWorker()
		s.kickOptimizer()
	}
	return nil
}
