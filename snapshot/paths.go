package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// relErr returns err with the path of the *fs.PathError or *os.LinkError
// in its chain named relative to root (its base name when it lies outside
// root), so that an answer built from the message does not show the
// server's folders. The error's kind (errors.Is) is unchanged.
func relErr(err error, root string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = relName(root, pe.Path)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		le.Old, le.New = relName(root, le.Old), relName(root, le.New)
	}
	return err
}

// relName names p relative to root, or by its base name when outside.
func relName(root, p string) string {
	if root != "" {
		if rel, err := filepath.Rel(root, p); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.Base(p)
}

// Scrubber replaces the absolute paths of the server's folders in a
// message by names relative to them, so that no answer shows where the
// server keeps its files: the storage root becomes "" (its collections
// read "collections/NAME/…"), the snapshots and temp folders "snapshots/"
// and "tmp/". A path is replaced only where it starts a word (after a
// space, quote, bracket, '=' or ':' or at the start), so the same letters
// inside a URL are kept. Build it with NewScrubber.
type Scrubber struct{ roots []scrubRoot }

type scrubRoot struct{ path, as string }

// NewScrubber returns a Scrubber for the storage, snapshots and temp
// folders; empty paths are skipped. Each is also matched in its absolute
// and symlink-resolved forms.
func NewScrubber(storagePath, snapshotsPath, tempPath string) *Scrubber {
	s := &Scrubber{}
	add := func(p, as string) {
		if p == "" {
			return
		}
		forms := []string{filepath.Clean(p)}
		if a, err := filepath.Abs(p); err == nil {
			forms = append(forms, a)
			if r, err := filepath.EvalSymlinks(a); err == nil {
				forms = append(forms, r)
			}
		}
		for _, f := range forms {
			if filepath.IsAbs(f) && f != string(filepath.Separator) {
				bare := strings.TrimSuffix(as, "/")
				if bare == "" {
					bare = "storage"
				}
				s.roots = append(s.roots, scrubRoot{f + string(filepath.Separator), as}, scrubRoot{f, bare})
			}
		}
	}
	add(tempPath, "tmp/")
	add(snapshotsPath, "snapshots/")
	add(storagePath, "")
	// Longest first, so that a folder inside another (the temp path inside
	// the storage) is named as itself.
	sort.SliceStable(s.roots, func(i, j int) bool { return len(s.roots[i].path) > len(s.roots[j].path) })
	return s
}

// Scrub returns msg with the folders replaced.
func (s *Scrubber) Scrub(msg string) string {
	if s == nil {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, ok := s.rootAt(msg, i)
		if !ok {
			b.WriteByte(msg[i])
			i++
			continue
		}
		b.WriteString(r.as)
		i += len(r.path)
	}
	return b.String()
}

// rootAt returns the root that starts a word at msg[i:], if any.
func (s *Scrubber) rootAt(msg string, i int) (scrubRoot, bool) {
	if i > 0 && !strings.ContainsRune(" \t\n\"'`([{=:,", rune(msg[i-1])) {
		return scrubRoot{}, false
	}
	for _, r := range s.roots {
		if strings.HasPrefix(msg[i:], r.path) {
			if end := i + len(r.path); strings.HasSuffix(r.path, string(filepath.Separator)) || end == len(msg) || !isPathByte(msg[end]) {
				return r, true
			}
		}
	}
	return scrubRoot{}, false
}

// isPathByte reports whether c may continue a file name.
func isPathByte(c byte) bool {
	return c >= 0x80 || c == '.' || c == '-' || c == '_' || c == '~' || c == '/' ||
		'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
