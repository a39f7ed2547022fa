package snapshot

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/vfs"
)

// NodeIDFile is the file under the snapshots path holding the node id used
// in collection snapshot names when Manager.NodeID is 0.
const NodeIDFile = ".node-id"

// Manager makes, lists, serves, deletes and restores the snapshots of one
// storage: what the REST routes and the start-up flags call. Its methods
// are safe for concurrent use once its fields are set.
type Manager struct {
	// Storage is the instance whose collections are snapshotted and restored.
	Storage *engine.Storage
	// SnapshotsPath is storage.snapshots_path.
	SnapshotsPath string
	// TempPath is storage.temp_path: stage and restore folders, uploads.
	// For hard links it must be on the storage's filesystem.
	TempPath string
	// FS receives every durable write; nil means vfs.OS.
	FS vfs.FS
	// Logger receives warnings and progress; nil means slog.Default().
	Logger *slog.Logger
	// NodeID stands for Qdrant's peer id in collection snapshot names; 0
	// means the id kept in SnapshotsPath/.node-id (created on first use).
	NodeID uint64
	// StoragePath is storage.storage_path; error messages name the files
	// under it relative to it (Scrub).
	StoragePath string
	// MaxBytes bounds a restored archive's content and a downloaded
	// archive's size; 0 means only the free disk space bounds a restored
	// archive, and half the free space of the temp path above
	// DownloadReserve a downloaded one.
	MaxBytes int64
	// HTTPClient downloads http(s):// recover locations; nil means a
	// client built by downloadClient with DownloadTimeouts.
	HTTPClient HTTPDoer
	// RecoverRootCAs, when set, is the whole set of certificate
	// authorities an https:// recover location may be signed by (cmd/cairn
	// passes the system roots plus tls.ca_cert); nil means the system
	// roots. Not used when HTTPClient is set.
	RecoverRootCAs *x509.CertPool
	// MaxDownloads bounds the recovers from http(s):// locations, and from
	// Remote, running at once; 0 means DefaultMaxDownloads. One more is
	// refused (ErrBusy).
	MaxDownloads int
	// DownloadTimeouts bound each phase of a recover download; zero fields
	// mean those of DefaultTimeouts.
	DownloadTimeouts Timeouts
	// Now returns the cut time; nil means time.Now (tests set it).
	Now func() time.Time
	// Remote, when set, is where snapshots are kept instead of
	// SnapshotsPath (storage.snapshots_config.snapshots_storage: s3):
	// incremental, content-addressed, see docs/format/remote.md. nil keeps
	// today's self-contained local archives.
	Remote objstore.Store
	// Compression is how files are stored in Remote
	// (snapshots_config.compression): "none" or "zstd"; "" means
	// DefaultCompression. Local archives are never compressed.
	Compression string
	// RemoteGrace is how old an unreferenced object in Remote, or a lease,
	// must be before a sweep deletes it; 0 means DefaultRemoteGrace.
	RemoteGrace time.Duration

	idMu sync.Mutex
	id   uint64 // the loaded or created node id; 0 until one succeeds

	lt lifetime // pending downloads, for Close
	// testFreeSpace, set by tests, stands for the temp path's free space.
	testFreeSpace func() (int64, error)
	scrubOnce     sync.Once
	scrubber      *Scrubber
	remote        remoteState // locks, name reservations and the hash cache of Remote
	jobs          jobs        // work accepted with wait=false (Go, Wait)
}

// Scrub returns msg with the absolute paths of the storage, snapshots and
// temp folders replaced by names relative to them (see Scrubber): what the
// server does to every error message it answers with.
func (m *Manager) Scrub(msg string) string {
	m.scrubOnce.Do(func() { m.scrubber = NewScrubber(m.StoragePath, m.SnapshotsPath, m.TempPath) })
	return m.scrubber.Scrub(msg)
}

// ensureFolders creates the snapshots folder when it is missing, so that
// the first snapshot action of a new install finds it.
func (m *Manager) ensureFolders() error {
	if err := m.fs().MkdirAll(m.SnapshotsPath, dirMode); err != nil {
		return fmt.Errorf("create snapshots folder: %w", relErr(err, m.SnapshotsPath))
	}
	return nil
}

func (m *Manager) fs() vfs.FS { return fsOr(m.FS) }

func (m *Manager) log() *slog.Logger { return logOr(m.Logger) }

func (m *Manager) opts() Options {
	return Options{FS: m.fs(), TempPath: m.TempPath, Logger: m.Logger}
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Manager) limits() Limits { return Limits{MaxBytes: m.MaxBytes} }

// nodeID returns Manager.NodeID or the id kept in the snapshots folder,
// loading or creating it on first use. Only success is kept: after a
// failure (a full disk) the next call tries again, so one failed write does
// not fail every later snapshot until a restart.
func (m *Manager) nodeID() (uint64, error) {
	if m.NodeID != 0 {
		return m.NodeID, nil
	}
	m.idMu.Lock()
	defer m.idMu.Unlock()
	if m.id != 0 {
		return m.id, nil
	}
	if err := m.fs().MkdirAll(m.SnapshotsPath, dirMode); err != nil {
		return 0, m.createError(fmt.Errorf("create snapshots path: %w", err))
	}
	id, err := LoadNodeID(m.fs(), filepath.Join(m.SnapshotsPath, NodeIDFile))
	if err != nil {
		return 0, m.createError(err)
	}
	m.id = id
	return id, nil
}

// collection resolves a collection name (or alias) to the open collection
// and the folder of its snapshots.
func (m *Manager) collection(name string) (*engine.Collection, string, error) {
	c, err := m.Storage.Collection(name)
	if err != nil {
		return nil, "", err
	}
	dir, err := CollectionDir(m.SnapshotsPath, c.Name())
	if err != nil {
		return nil, "", err
	}
	return c, dir, nil
}

// createError names why a create failed when the disk is full: the
// snapshots folder (or the temp path, where the stage folder is) is out of
// space. The answer stays Qdrant's for a storage error (500, "Service
// internal error"); the cause stays in the chain.
func (m *Manager) createError(err error) error {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return err
	}
	where := "the snapshots folder"
	var pe *fs.PathError
	if errors.As(err, &pe) && m.TempPath != "" && inside(m.TempPath, pe.Path) && !inside(m.SnapshotsPath, pe.Path) {
		where = "the temp path"
	}
	return fmt.Errorf("%s is out of space: %w", where, err)
}

// describe turns a fresh archive into its listing entry, the one List
// gives for it: creation_time is the archive's modification time, as
// Qdrant reports it in both answers.
func describe(info Info) Description {
	return Description{Name: info.Name, CreationTime: creationTime(info.ModTime), Size: info.Size, Checksum: info.Checksum}
}

// CreateCollection snapshots the collection name (or the collection an
// alias points at) into SnapshotsPath/NAME/ and describes the archive.
// Writes to the collection are held only while its mutable files are
// opened; see docs/format/snapshot.md.
func (m *Manager) CreateCollection(ctx context.Context, name string) (Description, error) {
	c, dir, err := m.collection(name)
	if err != nil {
		return Description{}, err
	}
	id, err := m.nodeID()
	if err != nil {
		return Description{}, fmt.Errorf("create snapshot of %s: %w", c.Name(), err)
	}
	t := m.now()
	meta := Meta{Kind: KindCollection, Collection: c.Name(), CreatedAt: t}
	src := CollectionSource{Collection: c, FS: m.FS, Logger: m.Logger}
	if m.Remote != nil {
		rdir, err := remoteDir(c.Name(), nil)
		if err != nil {
			return Description{}, err
		}
		d, err := m.createRemote(ctx, rdir, CollectionName(c.Name(), id, t), meta, src)
		if err != nil {
			return Description{}, fmt.Errorf("create snapshot of %s: %w", c.Name(), m.createError(err))
		}
		return d, nil
	}
	info, err := Create(ctx, m.opts(), dir, CollectionName(c.Name(), id, t), meta, src)
	if err != nil {
		return Description{}, fmt.Errorf("create snapshot of %s: %w", c.Name(), m.createError(err))
	}
	m.log().Info("created collection snapshot", "collection", c.Name(), "name", info.Name, "size", info.Size)
	return describe(info), nil
}

// ListCollection lists the snapshots of a collection, oldest first.
func (m *Manager) ListCollection(name string) ([]Description, error) {
	c, dir, err := m.collection(name)
	if err != nil {
		return nil, err
	}
	if m.Remote != nil {
		return m.listRemote(c.Name(), nil)
	}
	return List(dir)
}

// OpenCollection opens a collection's snapshot for download.
func (m *Manager) OpenCollection(name, snap string) (*os.File, os.FileInfo, error) {
	_, dir, err := m.collection(name)
	if err != nil {
		return nil, nil, err
	}
	return Open(dir, snap)
}

// DeleteCollection deletes a collection's snapshot and its checksum file.
func (m *Manager) DeleteCollection(name, snap string) error {
	c, dir, err := m.collection(name)
	if err != nil {
		return err
	}
	if m.Remote != nil {
		rdir, err := remoteDir(c.Name(), nil)
		if err != nil {
			return err
		}
		return m.deleteRemote(rdir, snap)
	}
	return Delete(m.fs(), dir, snap)
}

// CreateFull snapshots every collection and every alias, cut at one point
// across all collections, into SnapshotsPath/full-snapshot-….snapshot.
func (m *Manager) CreateFull(ctx context.Context) (Description, error) {
	t := m.now()
	src := FullSource{Storage: m.Storage, FS: m.FS, Logger: m.Logger}
	if m.Remote != nil {
		d, err := m.createRemote(ctx, "", FullName(t), Meta{Kind: KindFull, CreatedAt: t}, src)
		if err != nil {
			return Description{}, fmt.Errorf("create full snapshot: %w", m.createError(err))
		}
		return d, nil
	}
	info, err := Create(ctx, m.opts(), m.SnapshotsPath, FullName(t), Meta{Kind: KindFull, CreatedAt: t}, src)
	if err != nil {
		if fe := failedCause(err); fe != nil {
			return Description{}, fe // the engine's message is the whole answer
		}
		return Description{}, fmt.Errorf("create full snapshot: %w", m.createError(err))
	}
	m.log().Info("created full snapshot", "name", info.Name, "size", info.Size)
	return describe(info), nil
}

// failedCause returns the error in err's chain that the engine made for a
// collection that failed to open (its kind, engine.ErrFailed, is what it
// wraps), or nil: its message is Qdrant's whole answer
// ("Service internal error: Failed to load local shard: …").
func failedCause(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.Unwrap(e) == engine.ErrFailed {
			return e
		}
	}
	return nil
}

// ListFull lists the full snapshots, oldest first.
func (m *Manager) ListFull() ([]Description, error) {
	if m.Remote != nil {
		return m.listRemote("", nil)
	}
	return List(m.SnapshotsPath)
}

// OpenFull opens a full snapshot for download.
func (m *Manager) OpenFull(snap string) (*os.File, os.FileInfo, error) {
	return Open(m.SnapshotsPath, snap)
}

// DeleteFull deletes a full snapshot and its checksum file.
func (m *Manager) DeleteFull(snap string) error {
	if m.Remote != nil {
		return m.deleteRemote("", snap)
	}
	return Delete(m.fs(), m.SnapshotsPath, snap)
}

// shard resolves a collection and shard id to the open collection and the
// folder of the shard's snapshots.
func (m *Manager) shard(name string, id uint32) (*engine.Collection, string, error) {
	c, err := m.Storage.Collection(name)
	if err != nil {
		return nil, "", err
	}
	if int(id) >= c.Config().Params.ShardNumber {
		return nil, "", fmt.Errorf("%w: %d of collection %s", ErrNoShard, id, c.Name())
	}
	dir, err := ShardDir(m.SnapshotsPath, c.Name(), id)
	if err != nil {
		return nil, "", err
	}
	return c, dir, nil
}

// CreateShard snapshots one shard of a collection (its folder and the
// collection file) into SnapshotsPath/NAME/shards/ID/.
func (m *Manager) CreateShard(ctx context.Context, name string, id uint32) (Description, error) {
	c, dir, err := m.shard(name, id)
	if err != nil {
		return Description{}, err
	}
	t := m.now()
	meta := Meta{Kind: KindShard, Collection: c.Name(), Shard: id, CreatedAt: t}
	src := ShardSource{Collection: c, Shard: id, FS: m.FS, Logger: m.Logger}
	if m.Remote != nil {
		rdir, err := remoteDir(c.Name(), &id)
		if err != nil {
			return Description{}, err
		}
		d, err := m.createRemote(ctx, rdir, ShardName(c.Name(), id, t), meta, src)
		if err != nil {
			return Description{}, fmt.Errorf("create snapshot of %s shard %d: %w", c.Name(), id, m.createError(err))
		}
		return d, nil
	}
	info, err := Create(ctx, m.opts(), dir, ShardName(c.Name(), id, t), meta, src)
	if err != nil {
		return Description{}, fmt.Errorf("create snapshot of %s shard %d: %w", c.Name(), id, m.createError(err))
	}
	return describe(info), nil
}

// ListShard lists a shard's snapshots, oldest first.
func (m *Manager) ListShard(name string, id uint32) ([]Description, error) {
	c, dir, err := m.shard(name, id)
	if err != nil {
		return nil, err
	}
	if m.Remote != nil {
		return m.listRemote(c.Name(), &id)
	}
	return List(dir)
}

// OpenShard opens a shard's snapshot for download.
func (m *Manager) OpenShard(name string, id uint32, snap string) (*os.File, os.FileInfo, error) {
	_, dir, err := m.shard(name, id)
	if err != nil {
		return nil, nil, err
	}
	return Open(dir, snap)
}

// DeleteShard deletes a shard's snapshot and its checksum file.
func (m *Manager) DeleteShard(name string, id uint32, snap string) error {
	c, dir, err := m.shard(name, id)
	if err != nil {
		return err
	}
	if m.Remote != nil {
		rdir, err := remoteDir(c.Name(), &id)
		if err != nil {
			return err
		}
		return m.deleteRemote(rdir, snap)
	}
	return Delete(m.fs(), dir, snap)
}

// StreamShard writes a fresh snapshot of one shard to w without storing it
// (GET /collections/{name}/shards/{id}/snapshot).
func (m *Manager) StreamShard(ctx context.Context, w io.Writer, name string, id uint32) (*Manifest, error) {
	c, _, err := m.shard(name, id)
	if err != nil {
		return nil, err
	}
	meta := Meta{Kind: KindShard, Collection: c.Name(), Shard: id, CreatedAt: m.now()}
	return StreamFresh(ctx, m.opts(), w, meta, ShardSource{Collection: c, Shard: id, FS: m.FS, Logger: m.Logger})
}
