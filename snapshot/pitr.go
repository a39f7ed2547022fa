package snapshot

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cairn-db/cairn/engine"
)

// Candidate is a snapshot a point-in-time recovery of one collection may
// start from: a collection snapshot of it, or a full snapshot (which may or
// may not hold it), in the snapshots folder or in the remote store.
type Candidate struct {
	// Name is the snapshot's name.
	Name string
	// Kind is KindCollection or KindFull.
	Kind Kind
	// Path is a local archive's path; "" for a remote snapshot.
	Path string
	// Key is a remote snapshot's manifest key; "" for a local one.
	Key string
	// At bounds the snapshot's cut from above: every write it holds is at
	// or before At. A local archive's is its modification time (its
	// completion, to the nanosecond); a remote snapshot's is the cut_at
	// its manifest records (version 2: when the cut's hold had ended), or
	// for a version 1 manifest, which has none, its object's modification
	// time (written after every file was uploaded) truncated to the whole
	// second, the store's precision, plus one second.
	At time.Time
	// Checksum, when not "", is the SHA-256 (hex) the archive must have.
	Checksum string
}

// LocalCandidate describes the local archive at p (a resolved path, e.g.
// from ResolveFileLocation): its kind read from its manifest (the tar's
// headers are read, its bodies skipped), At its modification time.
func LocalCandidate(p string) (Candidate, error) {
	st, err := os.Stat(p)
	if err != nil {
		return Candidate{}, fmt.Errorf("%w: %s", ErrNotFound, filepath.Base(p))
	}
	man, _, err := scanArchive(p, "")
	if err != nil {
		return Candidate{}, err
	}
	return Candidate{Name: filepath.Base(p), Kind: man.Kind, Path: p, At: st.ModTime()}, nil
}

// PrepareMoment checks the location of a point-in-time recover of the
// collection name as PrepareRecover checks a recover's, and returns the
// Recovery that resolves it to the Candidate to start from and calls run
// with it: a file:// location inside the snapshots folder; an http(s)://
// one, downloaded into the temp path first within the bounds of a
// recover's download (one of the MaxDownloads slots, the size bound, the
// stall timeouts; removed afterwards); with Remote set, an s3://bucket/key
// location or a snapshot name (a full snapshot's name names a full one).
// The snapshot may be a collection snapshot or a full one (UnpackFor checks
// which against its manifest). A Candidate's At is informational here.
func (m *Manager) PrepareMoment(name, location, checksum, apiKey string, run func(ctx context.Context, from Candidate) error) (*Recovery, error) {
	if err := CheckRecoverName(name); err != nil {
		return nil, err
	}
	plain := func(snap string) (string, error) {
		c := name
		if strings.HasPrefix(snap, fullPrefix) {
			c = ""
		}
		dir, err := remoteDir(c, nil)
		if err != nil {
			return "", err
		}
		return manifestKey(dir, snap)
	}
	r, ok, err := m.prepareRemote(location, checksum, PrioritySnapshot, plain, func(ctx context.Context, key, checksum string) error {
		rm, err := m.readRemote(ctx, key)
		if err != nil {
			return err
		}
		return run(ctx, Candidate{Name: rm.Name, Kind: rm.Kind, Key: key, At: remoteAt(rm, time.Time{}), Checksum: checksum})
	})
	if ok {
		return r, err
	}
	return m.prepare(location, checksum, PrioritySnapshot, apiKey, nil, func(ctx context.Context, path, checksum string) error {
		from, err := LocalCandidate(path)
		if err != nil {
			return err
		}
		from.Checksum = checksum
		return run(ctx, from)
	})
}

// remoteAt is a remote snapshot's Candidate.At: its manifest's cut_at, or
// (version 1) its manifest object's modification time truncated to the
// second plus one second (zero when unknown).
func remoteAt(rm *RemoteManifest, modified time.Time) time.Time {
	if !rm.CutAt.IsZero() {
		return rm.CutAt
	}
	if modified.IsZero() {
		return time.Time{}
	}
	return modified.Truncate(time.Second).Add(time.Second) // within [t, t+1s) of a whole-second t
}

// Candidates lists the snapshots a point-in-time recovery of collection
// may start from, newest first: its collection snapshots and the full
// snapshots, from the snapshots folder, or from Remote when it is set
// (snapshots_storage: s3).
func (m *Manager) Candidates(ctx context.Context, collection string) ([]Candidate, error) {
	if err := CheckRecoverName(collection); err != nil {
		return nil, err
	}
	var out []Candidate
	if m.Remote != nil {
		for _, c := range []string{collection, ""} {
			cs, err := m.remoteCandidates(ctx, c)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
		}
	} else {
		dir, err := CollectionDir(m.SnapshotsPath, collection)
		if err != nil {
			return nil, err
		}
		out = append(out, localCandidates(dir, KindCollection)...)
		for _, c := range localCandidates(m.SnapshotsPath, KindFull) {
			if strings.HasPrefix(c.Name, fullPrefix) {
				out = append(out, c)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// localCandidates lists the archives in dir with their modification times.
func localCandidates(dir string, kind Kind) []Candidate {
	descs, err := List(dir)
	if err != nil {
		return nil // no folder: no snapshot
	}
	var out []Candidate
	for _, d := range descs {
		p := filepath.Join(dir, d.Name)
		st, err := os.Stat(p)
		if err != nil {
			continue // deleted while listing
		}
		out = append(out, Candidate{Name: d.Name, Kind: kind, Path: p, At: st.ModTime()})
	}
	return out
}

// remoteCandidates lists the remote snapshots of collection ("" for the
// full ones) from their manifests.
func (m *Manager) remoteCandidates(ctx context.Context, collection string) ([]Candidate, error) {
	dir, err := remoteDir(collection, nil)
	if err != nil {
		return nil, err
	}
	prefix := path.Join(RemoteSnapshots, dir) + "/"
	infos, err := m.Remote.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list snapshots in %s: %w", m.Remote, err)
	}
	var out []Candidate
	for _, in := range infos {
		name := strings.TrimPrefix(in.Key, prefix)
		if strings.Contains(name, "/") || ValidName(name) != nil || (collection == "" && !strings.HasPrefix(name, fullPrefix)) {
			continue
		}
		rm, err := m.readRemote(ctx, in.Key)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // deleted while listing
		case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrManifest) || errors.Is(err, ErrFormatVersion) || errors.Is(err, ErrTooLarge):
			m.log().Warn("point-in-time recovery: snapshot manifest left out", "key", in.Key, "err", err)
			continue
		case err != nil:
			return nil, err
		}
		kind := KindCollection
		if collection == "" {
			kind = KindFull
		}
		if rm.Kind != kind {
			continue
		}
		out = append(out, Candidate{Name: rm.Name, Kind: kind, Key: in.Key, At: remoteAt(rm, in.Modified)})
	}
	return out, nil
}

// Unpacked is a snapshot unpacked for the restore of one collection.
type Unpacked struct {
	// Dir is the collection's folder, laid out as a live one.
	Dir string
	// Sums vouches for the checksums of the files under Dir
	// (engine.FileSums), as a recover passes them.
	Sums engine.FileSums
	// Manifest is the snapshot's manifest.
	Manifest *Manifest
	root     string
	m        *Manager
}

// Close removes the unpacked folder.
func (u *Unpacked) Close() {
	if u != nil && u.root != "" {
		u.m.removeTemp(u.root)
	}
}

// UnpackFor unpacks candidate c under the temp path, checked as a recover
// checks it (archive or remote files, checksums, size bound), and returns
// the folder of collection in it: the archive's root for a collection
// snapshot, collections/{collection} for a full one (ErrNotFound when it
// does not hold the collection; a local full archive is scanned for it
// first, without extracting anything).
func (m *Manager) UnpackFor(ctx context.Context, collection string, c Candidate) (*Unpacked, error) {
	if c.Kind != KindCollection && c.Kind != KindFull {
		return nil, fmt.Errorf("%w: a %s snapshot cannot start a point-in-time recovery", ErrWrongKind, c.Kind)
	}
	var root string
	var man *Manifest
	var err error
	if c.Key != "" {
		if c.Kind == KindFull {
			rm, err := m.readRemote(ctx, c.Key)
			if err != nil {
				return nil, err
			}
			if !remoteHolds(rm, collection) {
				return nil, fmt.Errorf("%w: full snapshot %s holds no collection %s", ErrNotFound, c.Name, collection)
			}
		}
		root, man, err = m.fetchRemote(ctx, c.Key, c.Checksum, c.Kind)
	} else {
		if c.Kind == KindFull {
			_, ok, err := scanArchive(c.Path, collection)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%w: full snapshot %s holds no collection %s", ErrNotFound, c.Name, collection)
			}
		}
		sum := c.Checksum
		if sum == "" {
			sum = ReadChecksumFile(c.Path)
		}
		root, man, err = m.unpack(collection, c.Path, sum, PrioritySnapshot, c.Kind)
	}
	if err != nil {
		return nil, err
	}
	u := &Unpacked{Dir: root, Sums: unpackedSums(root, man), Manifest: man, root: root, m: m}
	if c.Kind == KindFull {
		u.Dir = filepath.Join(root, CollectionsFolder, collection)
		if _, err := os.Stat(filepath.Join(u.Dir, engine.CollectionFile)); err != nil {
			u.Close()
			return nil, fmt.Errorf("%w: full snapshot %s holds no collection %s", ErrNotFound, c.Name, collection)
		}
	}
	if err := ctx.Err(); err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

// collectionFileEntry is the path of a collection's file in a full
// snapshot.
func collectionFileEntry(collection string) string {
	return path.Join(CollectionsFolder, collection, engine.CollectionFile)
}

// remoteHolds reports whether a remote full snapshot holds collection.
func remoteHolds(rm *RemoteManifest, collection string) bool {
	want := collectionFileEntry(collection)
	for _, e := range rm.Entries {
		if !e.Dir && e.Path == want {
			return true
		}
	}
	return false
}

// scanArchive reads the local archive at p's tar headers (archive/tar
// seeks over the bodies of a file) and its manifest, and reports whether
// it holds collection's collection file at collections/{collection}/
// ("" skips that). An archive without a valid manifest is refused as a
// recover refuses it.
func scanArchive(p, collection string) (*Manifest, bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, false, fmt.Errorf("open archive: %w", err)
	}
	defer f.Close()
	want := ""
	if collection != "" {
		want = collectionFileEntry(collection)
	}
	var man *Manifest
	holds := false
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("%w: read %s: %v", ErrCorrupt, filepath.Base(p), err)
		}
		switch name := path.Clean(hdr.Name); {
		case name == ManifestName && hdr.Typeflag == tar.TypeReg:
			if hdr.Size > maxManifestSize {
				return nil, false, fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, ManifestName, hdr.Size)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, false, fmt.Errorf("%w: read %s: %v", ErrCorrupt, ManifestName, err)
			}
			if man, err = parseManifest(b); err != nil {
				return nil, false, fmt.Errorf("%s: %w", filepath.Base(p), err)
			}
		case want != "" && name == want && hdr.Typeflag == tar.TypeReg:
			holds = true
		}
	}
	if man == nil {
		return nil, false, fmt.Errorf("%w: %s has no %s", ErrManifest, filepath.Base(p), ManifestName)
	}
	return man, holds, nil
}

// checkTimelines checks a manifest's timelines: collection names a
// recover accepts, each with a non-zero timeline in FormatTimeline form.
func checkTimelines(tls map[string]string) error {
	for c, tl := range tls {
		if err := CheckRecoverName(c); err != nil {
			return fmt.Errorf("%w: timeline of a bad collection name %q", ErrManifest, c)
		}
		if id, err := engine.ParseTimeline(tl); err != nil || id == 0 || engine.FormatTimeline(id) != tl {
			return fmt.Errorf("%w: collection %s has a bad timeline %q", ErrManifest, c, tl)
		}
	}
	return nil
}
