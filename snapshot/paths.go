package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
// and "tmp/". Build it with NewScrubber.
type Scrubber struct{ r *strings.Replacer }

// NewScrubber returns a Scrubber for the storage, snapshots and temp
// folders; empty paths are skipped. Each is also matched in its absolute
// and symlink-resolved forms.
func NewScrubber(storagePath, snapshotsPath, tempPath string) *Scrubber {
	type root struct{ path, as string }
	var roots []root
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
				roots = append(roots, root{f + string(filepath.Separator), as}, root{f, strings.TrimSuffix(as, "/")})
			}
		}
	}
	add(tempPath, "tmp/")
	add(snapshotsPath, "snapshots/")
	add(storagePath, "")
	// Longest first, so that a folder inside another (the temp path inside
	// the storage) is replaced by its own name.
	for i := 1; i < len(roots); i++ {
		for j := i; j > 0 && len(roots[j].path) > len(roots[j-1].path); j-- {
			roots[j], roots[j-1] = roots[j-1], roots[j]
		}
	}
	var pairs []string
	for _, r := range roots {
		as := r.as
		if as == "" && !strings.HasSuffix(r.path, string(filepath.Separator)) {
			as = "storage"
		}
		pairs = append(pairs, r.path, as)
	}
	return &Scrubber{r: strings.NewReplacer(pairs...)}
}

// Scrub returns msg with the folders replaced.
func (s *Scrubber) Scrub(msg string) string {
	if s == nil || s.r == nil {
		return msg
	}
	return s.r.Replace(msg)
}
