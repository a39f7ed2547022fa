package snapshot

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cairn-db/cairn/vfs"
)

// TempPrefix starts the name of every temporary folder or file this package
// makes under the temp path, so RemoveTemps can find them after a crash.
const TempPrefix = "cairn-snapshot-"

// NewTempDir makes a fresh, uniquely named folder under tempPath for purpose
// (a short word such as "stage"), creating tempPath if needed.
func NewTempDir(fsys vfs.FS, tempPath, purpose string) (string, error) {
	if err := fsys.MkdirAll(tempPath, dirMode); err != nil {
		return "", fmt.Errorf("create temp path %s: %w", tempPath, err)
	}
	dir, err := os.MkdirTemp(tempPath, TempPrefix+purpose+"-")
	if err != nil {
		return "", fmt.Errorf("create temp folder: %w", err)
	}
	return dir, nil
}

// TempName returns a fresh path under tempPath, not yet created, for
// purpose: the target of Extract, or an upload being received.
func TempName(tempPath, purpose string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random temp name: %w", err)
	}
	return filepath.Join(tempPath, TempPrefix+purpose+"-"+strconv.FormatUint(binary.LittleEndian.Uint64(b[:]), 36)), nil
}

// RemoveTemps removes every folder and file this package left under
// tempPath (names starting with TempPrefix). Call it at start-up, before any
// snapshot work begins; a missing tempPath is not an error.
func RemoveTemps(fsys vfs.FS, tempPath string) error {
	entries, err := os.ReadDir(tempPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list temp path %s: %w", tempPath, err)
	}
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			if err := fsys.RemoveAll(filepath.Join(tempPath, e.Name())); err != nil {
				errs = append(errs, fmt.Errorf("remove temp %s: %w", e.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// RemovePartial removes, anywhere under snapshotsPath, the half-made files a
// crash can leave: NAME.snapshot.tmp, NAME.snapshot.checksum.tmp, and a
// NAME.snapshot.checksum whose archive never reached its name. Call it at
// start-up; a missing snapshotsPath is not an error.
func RemovePartial(fsys vfs.FS, snapshotsPath string) error {
	var errs []error
	err := filepath.WalkDir(snapshotsPath, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() || !isPartial(p) {
			return nil
		}
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove partial %s: %w", p, err))
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("walk %s: %w", snapshotsPath, err))
	}
	return errors.Join(errs...)
}

func isPartial(p string) bool {
	switch {
	case strings.HasSuffix(p, Ext+TempExt), strings.HasSuffix(p, Ext+ChecksumExt+TempExt):
		return true
	case strings.HasSuffix(p, Ext+ChecksumExt):
		_, err := os.Lstat(strings.TrimSuffix(p, ChecksumExt))
		return errors.Is(err, fs.ErrNotExist)
	}
	return false
}

// LoadNodeID returns the node id stored in the file path, creating the file
// with a random non-zero id on first use. The id stands where Qdrant puts its
// peer id in collection snapshot names, so names stay stable across restarts.
func LoadNodeID(fsys vfs.FS, path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || id == 0 {
			return 0, fmt.Errorf("node id file %s: malformed content %q", path, b)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("read node id %s: %w", path, err)
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return 0, fmt.Errorf("random node id: %w", err)
	}
	id := binary.LittleEndian.Uint64(r[:]) >> 1 // fits an int64 too
	if id == 0 {
		id = 1
	}
	if err := vfs.WriteFileAtomic(fsys, path, []byte(strconv.FormatUint(id, 10)+"\n")); err != nil {
		return 0, fmt.Errorf("store node id: %w", err)
	}
	return id, nil
}
