package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// VerifyOptions returns the options the Manager verifies with: checksum
// the known SHA-256 ("" for none), want the kind the archive must hold (""
// for any), its MaxBytes as the spill bound, its TempPath for the spill.
func (m *Manager) VerifyOptions(checksum string, want Kind) VerifyOptions {
	return VerifyOptions{Checksum: checksum, Kind: want, Limits: m.limits(), TempPath: m.TempPath,
		Engine: engine.Options{FS: m.fs(), Logger: m.log()}}
}

// VerifyFile verifies the archive at path (VerifyArchive), with the
// checksum of its .checksum file when it has one, which must be of kind
// want ("" for any). A missing file gives ErrNotFound.
func (m *Manager) VerifyFile(ctx context.Context, path string, want Kind) (Report, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Report{}, notFound(filepath.Base(path))
	}
	if err != nil {
		return Report{}, fmt.Errorf("open snapshot: %w", relErr(err, m.SnapshotsPath))
	}
	defer f.Close()
	rep, err := VerifyArchive(ctx, f, m.VerifyOptions(ReadChecksumFile(path), want))
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", filepath.Base(path), err)
	}
	return rep, nil
}

// VerifyCollection verifies the snapshot snap of the collection name (or
// alias); an unknown collection or snapshot gives the errors OpenCollection
// gives. With Remote set, the snapshot is Remote's (see verifyRemote).
func (m *Manager) VerifyCollection(ctx context.Context, name, snap string) (Report, error) {
	c, dir, err := m.collection(name)
	if err != nil {
		return Report{}, err
	}
	if m.Remote != nil {
		rdir, err := remoteDir(c.Name(), nil)
		if err != nil {
			return Report{}, err
		}
		return m.verifyRemoteIn(ctx, rdir, snap, KindCollection)
	}
	p, err := snapshotFile(dir, snap)
	if err != nil {
		return Report{}, err
	}
	return m.VerifyFile(ctx, p, KindCollection)
}

// VerifyShard verifies the snapshot snap of shard id of the collection
// name.
func (m *Manager) VerifyShard(ctx context.Context, name string, id uint32, snap string) (Report, error) {
	c, dir, err := m.shard(name, id)
	if err != nil {
		return Report{}, err
	}
	if m.Remote != nil {
		rdir, err := remoteDir(c.Name(), &id)
		if err != nil {
			return Report{}, err
		}
		return m.verifyRemoteIn(ctx, rdir, snap, KindShard)
	}
	p, err := snapshotFile(dir, snap)
	if err != nil {
		return Report{}, err
	}
	return m.VerifyFile(ctx, p, KindShard)
}

// VerifyFull verifies the full snapshot snap.
func (m *Manager) VerifyFull(ctx context.Context, snap string) (Report, error) {
	if m.Remote != nil {
		return m.verifyRemoteIn(ctx, "", snap, KindFull)
	}
	p, err := snapshotFile(m.SnapshotsPath, snap)
	if err != nil {
		return Report{}, err
	}
	return m.VerifyFile(ctx, p, KindFull)
}

// VerifyObject verifies the archive stored under key in store, streaming
// it; the object key + ".checksum", when present, gives its SHA-256. A
// missing key gives ErrNotFound. (cairn snapshot verify s3://bucket/key
// calls it with the store snapshots_storage: s3 configures.)
func (m *Manager) VerifyObject(ctx context.Context, store objstore.Store, key string) (Report, error) {
	if err := objstore.ValidKey(key); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrBadLocation, err)
	}
	sum := ""
	if rc, err := store.Get(ctx, key+ChecksumExt, 0, 2*64); err == nil {
		b, rerr := io.ReadAll(rc)
		_ = rc.Close()
		if rerr == nil {
			sum, _ = ParseChecksum(string(b))
		}
	}
	rc, err := store.Get(ctx, key, 0, -1)
	if errors.Is(err, objstore.ErrNotExist) {
		return Report{}, notFound(fmt.Sprintf("%s in %s", key, store))
	}
	if err != nil {
		return Report{}, fmt.Errorf("read %s from %s: %w", key, store, err)
	}
	defer rc.Close()
	rep, err := VerifyArchive(ctx, rc, m.VerifyOptions(sum, ""))
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", key, err)
	}
	return rep, nil
}

// VerifyURL verifies the archive at an http(s):// location as it streams
// in, with the timeouts of a recover download (DownloadTimeouts): nothing
// of it is stored but the spill of the engine checks. checksum, when not
// "", is its expected SHA-256.
func (m *Manager) VerifyURL(ctx context.Context, location, checksum string) (Report, error) {
	u, err := url.Parse(location)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return Report{}, kindErrorf(ErrBadLocation, "Bad request: %q is not an http:// or https:// URL", location)
	}
	if checksum != "" {
		if checksum, err = ParseChecksum(checksum); err != nil {
			return Report{}, err
		}
	}
	t := m.DownloadTimeouts.withDefaults()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	resp, err := m.get(ctx, cancel, u, t, "")
	if err != nil {
		return Report{}, err
	}
	defer resp.Body.Close()
	body := newIdleReader(resp.Body, t.Idle, func() { cancel(&stallError{what: "data", d: t.Idle}) })
	defer body.stop()
	rate := newRateReader(body, t.RateWindow, t.MinBytes, func() { cancel(&stallError{d: t.RateWindow, min: t.MinBytes}) })
	defer rate.stop()
	rep, err := VerifyArchive(ctx, rate, m.VerifyOptions(checksum, ""))
	if err != nil {
		return rep, m.downloadError(ctx, u, err, true)
	}
	return rep, nil
}
