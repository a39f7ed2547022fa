package snapshot

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
)

// Qdrant's texts for the file:// recover locations it refuses
// (lib/storage/src/content_manager/snapshots/download.rs).
const (
	msgInvalidFileURI  = "Bad request: Invalid snapshot URI, file path must be absolute or on localhost"
	msgOutsideSnapshot = "Forbidden: Snapshot file path must be inside the snapshots directory"
)

// kindError is an error of a sentinel kind (errors.Is finds it) whose
// whole message is msg, for the answers whose text is Qdrant's.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// kindErrorf returns an error of kind whose message is the formatted text.
func kindErrorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// ResolveFileLocation turns a recover request's "file://" location into a
// path, which must name a regular file inside snapshotsPath, before and
// after resolving symbolic links. As Qdrant answers: a location that is not
// an absolute file:// URL on this host gives ErrBadLocation (400, "Invalid
// snapshot URI, file path must be absolute or on localhost"); a path
// outside the folder ErrForbiddenLocation (403, "Forbidden: Snapshot file
// path must be inside the snapshots directory"); a path inside that names
// no file ErrBadLocation (400, `Snapshot file "…" does not exist`). Unlike
// Qdrant, a path outside the folder is refused before its existence is
// checked, so the answer does not tell whether a file exists there, and no
// message names the server's snapshots folder.
func ResolveFileLocation(snapshotsPath, location string) (string, error) {
	u, err := url.Parse(location)
	if err != nil || u.Scheme != "file" || u.Host != "" && u.Host != "localhost" || u.Opaque != "" || !filepath.IsAbs(u.Path) {
		return "", kindErrorf(ErrBadLocation, msgInvalidFileURI)
	}
	abs, err := filepath.Abs(snapshotsPath)
	if err != nil {
		return "", fmt.Errorf("resolve snapshots path: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, os.ErrNotExist) {
		real = abs // nothing lies inside a folder not made yet
	} else if err != nil {
		return "", fmt.Errorf("resolve snapshots path: %w", relErr(err, abs))
	}
	p := filepath.Clean(u.Path)
	if !inside(abs, p) && !inside(real, p) {
		return "", kindErrorf(ErrForbiddenLocation, msgOutsideSnapshot)
	}
	missing := kindErrorf(ErrBadLocation, "Bad request: Snapshot file %s does not exist", strconv.Quote(u.Path))
	resolved, err := filepath.EvalSymlinks(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", missing
	}
	if err != nil {
		return "", fmt.Errorf("resolve snapshot file: %w", relErr(err, abs))
	}
	if !inside(real, resolved) {
		return "", kindErrorf(ErrForbiddenLocation, msgOutsideSnapshot)
	}
	if st, err := os.Stat(resolved); err != nil || !st.Mode().IsRegular() {
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return "", missing
		}
		return "", fmt.Errorf("resolve snapshot file: %w", relErr(err, abs))
	}
	return resolved, nil
}

// inside reports whether p lies strictly below dir.
func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && filepath.IsLocal(rel)
}
