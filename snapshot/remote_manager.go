package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// Download is a snapshot opened for GET …/snapshots/{name}: a local
// archive, or the archive of a Remote snapshot synthesized from its
// objects as it is read. Content seeks, so Range requests can be served.
type Download struct {
	// Name is the snapshot's name.
	Name string
	// ModTime is what Last-Modified reports: the archive's modification
	// time, or a remote snapshot's cut time.
	ModTime time.Time
	// Size is the archive's length in bytes.
	Size int64
	// Checksum is the archive's SHA-256, or "" when not known (a remote
	// snapshot; see docs/format/remote.md).
	Checksum string
	// Content reads the archive.
	Content io.ReadSeeker

	close func() error
}

// Close releases the archive.
func (d *Download) Close() error { return d.close() }

func localDownload(f *os.File, fi os.FileInfo, err error) (*Download, error) {
	if err != nil {
		return nil, err
	}
	return &Download{Name: fi.Name(), ModTime: fi.ModTime(), Size: fi.Size(), Checksum: ReadChecksumFile(f.Name()), Content: f, close: f.Close}, nil
}

// openRemote opens the synthesized archive of the snapshot name in dir.
func (m *Manager) openRemote(ctx context.Context, dir, name string) (*Download, error) {
	key, err := manifestKey(dir, name)
	if err != nil {
		return nil, err
	}
	rm, err := m.readRemote(ctx, key)
	if err != nil {
		return nil, err
	}
	a, err := newRemoteArchive(ctx, m.Remote, rm)
	if err != nil {
		return nil, err
	}
	return &Download{Name: rm.Name, ModTime: rm.CreatedAt, Size: a.Size(), Content: a, close: a.Close}, nil
}

// DownloadCollection opens a collection's snapshot for download; reads
// from Remote end with ctx.
func (m *Manager) DownloadCollection(ctx context.Context, name, snap string) (*Download, error) {
	if m.Remote == nil {
		return localDownload(m.OpenCollection(name, snap))
	}
	c, _, err := m.collection(name)
	if err != nil {
		return nil, err
	}
	dir, err := remoteDir(c.Name(), nil)
	if err != nil {
		return nil, err
	}
	return m.openRemote(ctx, dir, snap)
}

// DownloadFull opens a full snapshot for download.
func (m *Manager) DownloadFull(ctx context.Context, snap string) (*Download, error) {
	if m.Remote == nil {
		return localDownload(m.OpenFull(snap))
	}
	return m.openRemote(ctx, "", snap)
}

// DownloadShard opens a shard's snapshot for download.
func (m *Manager) DownloadShard(ctx context.Context, name string, id uint32, snap string) (*Download, error) {
	if m.Remote == nil {
		return localDownload(m.OpenShard(name, id, snap))
	}
	c, _, err := m.shard(name, id)
	if err != nil {
		return nil, err
	}
	dir, err := remoteDir(c.Name(), &id)
	if err != nil {
		return nil, err
	}
	return m.openRemote(ctx, dir, snap)
}

// listRemote lists the snapshots of a collection, a shard or (collection
// "") the full snapshots from their manifests, oldest first. A manifest
// that fails its checks is left out and logged: it lists no snapshot that
// could not be restored.
func (m *Manager) listRemote(collection string, shard *uint32) ([]Description, error) {
	dir, err := remoteDir(collection, shard)
	if err != nil {
		return nil, err
	}
	ctx, cancel := opContext()
	defer cancel()
	prefix := path.Join(RemoteSnapshots, dir) + "/"
	infos, err := m.Remote.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list snapshots in %s: %w", m.Remote, err)
	}
	out := []Description{}
	for _, in := range infos {
		name := strings.TrimPrefix(in.Key, prefix)
		if strings.Contains(name, "/") || ValidName(name) != nil {
			continue
		}
		d, ok, err := m.describeRemote(ctx, in)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, d)
		}
	}
	sortDescriptions(out)
	return out, nil
}

// maxDescribed bounds the listing entries kept in memory.
const maxDescribed = 1 << 16

// described is a listing entry kept for a manifest object, valid while the
// object keeps its size and modification time (manifests are written once).
type described struct {
	size     int64
	modified time.Time
	d        Description
}

// describeRemote returns the listing entry of the manifest in, reading it
// unless this process has already; ok is false when it names no
// snapshot that could be restored (deleted meanwhile, or failing its
// checks: then it is logged).
func (m *Manager) describeRemote(ctx context.Context, in objstore.Info) (Description, bool, error) {
	m.remote.mu.Lock()
	c, hit := m.remote.described[in.Key]
	m.remote.mu.Unlock()
	if hit && c.size == in.Size && c.modified.Equal(in.Modified) {
		return c.d, true, nil
	}
	rm, err := m.readRemote(ctx, in.Key)
	switch {
	case errors.Is(err, ErrNotFound):
		return Description{}, false, nil // deleted while listing
	case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrManifest) || errors.Is(err, ErrFormatVersion) || errors.Is(err, ErrTooLarge):
		m.log().Warn("snapshot manifest left out of the listing", "key", in.Key, "err", err)
		return Description{}, false, nil
	case err != nil:
		return Description{}, false, err
	}
	_, size, err := layout(rm)
	if err != nil {
		return Description{}, false, err
	}
	d := Description{Name: rm.Name, CreationTime: creationTime(rm.CreatedAt), Size: size}
	m.remote.mu.Lock()
	defer m.remote.mu.Unlock()
	if m.remote.described == nil || len(m.remote.described) >= maxDescribed {
		m.remote.described = map[string]described{}
	}
	m.remote.described[in.Key] = described{size: in.Size, modified: in.Modified, d: d}
	return d, true, nil
}

// prepareRemote returns the Recovery of a recover from Remote when the
// location is an s3://bucket/key URL, or a plain snapshot name that plain
// turns into a manifest key while Remote is set; ok is false for any other
// location, which prepare handles. The Recovery holds one of the
// MaxDownloads slots (ErrBusy when none is free) and Close ends it.
func (m *Manager) prepareRemote(location, checksum string, priority Priority, plain func(string) (string, error),
	run func(ctx context.Context, key, checksum string) error) (r *Recovery, ok bool, err error) {
	u, perr := url.Parse(location)
	isS3 := perr == nil && u.Scheme == "s3"
	isName := m.Remote != nil && plain != nil && (perr != nil || u.Scheme == "")
	if !isS3 && !isName {
		return nil, false, nil
	}
	if checksum != "" {
		if checksum, err = ParseChecksum(checksum); err != nil {
			return nil, true, err
		}
	}
	if _, err := ParsePriority(string(priority)); err != nil {
		return nil, true, err
	}
	var key string
	if isS3 {
		key, err = m.remoteLocation(location)
	} else {
		key, err = plain(location)
	}
	if err != nil {
		return nil, true, err
	}
	release, err := m.reserve() // a download slot, as an http(s):// recover takes
	if err != nil {
		return nil, true, err
	}
	return &Recovery{release: release, run: func(ctx context.Context) error {
		ctx, cancel := m.bind(ctx)
		defer cancel()
		err := run(ctx, key, checksum)
		if err != nil && errors.Is(context.Cause(ctx), errShutdown) {
			return fmt.Errorf("%w: %w: %w", engine.ErrClosed, errShutdown, err)
		}
		return err
	}}, true, nil
}

// RecoverRemote restores the collection name from the snapshot manifest
// key of Remote, as Recover does from an archive: every file fetched and
// checked (SHA-256, CRC-32C, and the engine's check) before anything
// replaces live data.
func (m *Manager) RecoverRemote(ctx context.Context, name, key, checksum string, priority Priority) error {
	if err := CheckRecoverName(name); err != nil {
		return err
	}
	err := m.restoreRemote(ctx, key, checksum, KindCollection, func(dir string, sums engine.FileSums) error {
		return m.Storage.RestoreCollection(name, dir, sums)
	})
	if err != nil {
		return fmt.Errorf("recover %s: %w", name, err)
	}
	m.prefetch(name)
	m.log().Info("recovered collection from remote snapshot", "collection", name, "snapshot", path.Base(key), "priority", priority)
	return nil
}

// RecoverShardRemote restores shard id of the collection name from the
// shard snapshot manifest key of Remote (see RecoverShard).
func (m *Manager) RecoverShardRemote(ctx context.Context, name string, id uint32, key, checksum string, priority Priority) error {
	if err := m.CheckShard(name, id); err != nil {
		return err
	}
	err := m.restoreRemote(ctx, key, checksum, KindShard, func(dir string, sums engine.FileSums) error {
		return m.Storage.RestoreShard(name, id, dir, sums)
	})
	if err != nil {
		return fmt.Errorf("recover %s shard %d: %w", name, id, err)
	}
	m.prefetch(name)
	m.log().Info("recovered shard from remote snapshot", "collection", name, "shard", id, "snapshot", path.Base(key), "priority", priority)
	return nil
}

// RecoverFullRemote restores the full snapshot snap of Remote, as
// RecoverFull does from an archive (force as there).
func (m *Manager) RecoverFullRemote(ctx context.Context, snap string, force bool) error {
	key, err := manifestKey("", snap)
	if err != nil {
		return err
	}
	if m.Remote == nil {
		return kindErrorf(ErrBadLocation, "Bad request: no remote snapshot store is configured")
	}
	var fi fullInstall
	if err := m.restoreRemote(ctx, key, "", KindFull, fi.install(m, force)); err != nil {
		return fmt.Errorf("recover full snapshot: %w", err)
	}
	m.prefetchAll(fi.names)
	m.log().Info("recovered full snapshot from remote store", "snapshot", snap, "collections", len(fi.names), "aliases", len(fi.aliases))
	return nil
}
