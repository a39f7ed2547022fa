package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// CreationTimeLayout is how Qdrant writes a snapshot's creation_time: a
// chrono NaiveDateTime, RFC 3339 without a zone, in UTC, to the second.
const CreationTimeLayout = "2006-01-02T15:04:05"

// Description is one entry of a snapshot listing, shaped as Qdrant's
// SnapshotDescription.
type Description struct {
	// Name is the archive's file name.
	Name string `json:"name"`
	// CreationTime is the archive's modification time, in UTC, to the
	// second: the same value in a create's answer and in listings.
	CreationTime CreationTime `json:"creation_time"`
	// Size is the archive's length in bytes.
	Size int64 `json:"size"`
	// Checksum is the archive's SHA-256 from its .checksum file, or "" when
	// that file is missing or malformed.
	Checksum string `json:"checksum,omitempty"`
}

// CreationTime is a time that marshals to JSON as Qdrant does:
// "2022-08-04T10:49:10", UTC without a zone.
type CreationTime time.Time

// MarshalJSON writes the time in CreationTimeLayout.
func (t CreationTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(CreationTimeLayout) + `"`), nil
}

// UnmarshalJSON reads a time in CreationTimeLayout (or RFC 3339) as UTC.
func (t *CreationTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := time.Parse(CreationTimeLayout, s)
	if err != nil {
		if v, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("parse creation_time %q: %w", s, err)
		}
	}
	*t = CreationTime(v.UTC())
	return nil
}

// List describes the snapshot archives in dir, oldest first (ties by name).
// It skips temporary files, checksum files, folders and every name ValidName
// rejects; a missing dir lists nothing.
func List(dir string) ([]Description, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Description{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list snapshots in %s: %w", dir, err)
	}
	out := []Description{}
	for _, e := range entries {
		if !e.Type().IsRegular() || ValidName(e.Name()) != nil {
			continue
		}
		d, err := Describe(dir, e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // deleted while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sortDescriptions(out)
	return out, nil
}

// sortDescriptions orders listing entries oldest first, by name on a tie.
func sortDescriptions(out []Description) {
	sort.Slice(out, func(i, j int) bool {
		ti, tj := time.Time(out[i].CreationTime), time.Time(out[j].CreationTime)
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return out[i].Name < out[j].Name
	})
}

// Describe returns the listing entry of the snapshot name in dir, or an
// error wrapping ErrInvalidName or ErrNotFound.
func Describe(dir, name string) (Description, error) {
	p, st, err := regularSnapshot(dir, name)
	if err != nil {
		return Description{}, err
	}
	return Description{
		Name:         name,
		CreationTime: creationTime(st.ModTime()),
		Size:         st.Size(),
		Checksum:     ReadChecksumFile(p),
	}, nil
}

// Path returns the path of the snapshot name in dir after checking the name
// with ValidName; it does not check that the file exists.
func Path(dir, name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// Open opens the snapshot name in dir for download, or returns an error
// wrapping ErrInvalidName or ErrNotFound (both 404). Only a regular file
// counts, as in List: a symbolic link (which could lead out of the
// snapshots folder) is not followed, and a file swapped for one between the
// check and the open is refused too.
func Open(dir, name string) (*os.File, os.FileInfo, error) {
	p, li, err := regularSnapshot(dir, name)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, notFound(name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open snapshot %s: %w", p, err)
	}
	st, err := f.Stat()
	if err == nil && (!st.Mode().IsRegular() || !os.SameFile(li, st)) {
		err = notFound(name)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// creationTime is the creation_time reported for an archive modified at t:
// UTC, to the second.
func creationTime(t time.Time) CreationTime { return CreationTime(t.UTC().Truncate(time.Second)) }

// regularSnapshot returns the path of the snapshot name in dir and its
// Lstat, or an error wrapping ErrInvalidName, or ErrNotFound when it names
// no regular file (a symbolic link is not followed).
func regularSnapshot(dir, name string) (string, os.FileInfo, error) {
	p, err := Path(dir, name)
	if err != nil {
		return "", nil, err
	}
	li, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !li.Mode().IsRegular() {
		return "", nil, notFound(name)
	}
	if err != nil {
		return "", nil, fmt.Errorf("open snapshot %s: %w", p, err)
	}
	return p, li, nil
}

// snapshotFile returns the path of the snapshot name in dir, a regular
// file (see regularSnapshot).
func snapshotFile(dir, name string) (string, error) {
	p, _, err := regularSnapshot(dir, name)
	return p, err
}

// Delete removes the snapshot name from dir with its checksum file and syncs
// dir. It returns an error wrapping ErrInvalidName or ErrNotFound when there
// is no such snapshot. A download already open keeps reading the old file.
func Delete(fsys vfs.FS, dir, name string) error {
	p, err := Path(dir, name)
	if err != nil {
		return err
	}
	if st, err := os.Lstat(p); err != nil || !st.Mode().IsRegular() {
		return notFound(name)
	}
	if err := fsys.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return notFound(name)
		}
		return fmt.Errorf("delete snapshot %s: %w", p, err)
	}
	if err := fsys.Remove(p + ChecksumExt); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete checksum %s: %w", p+ChecksumExt, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
