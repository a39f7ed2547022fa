package snapshot

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cairn-db/cairn/vfs"
)

// LinkOrCopy makes dst a hard link to src. When the two are on different
// filesystems (EXDEV) it copies src to dst instead, syncs the copy, logs a
// warning that snapshots will be slow with this temp path, and reports
// copied. dst must not exist. A failed copy removes dst.
func LinkOrCopy(fsys vfs.FS, src, dst string, log *slog.Logger) (copied bool, err error) {
	copied, err = linkOrCopy(fsys, src, dst)
	if copied && err == nil {
		warnCopied(log, dst, 1)
	}
	return copied, err
}

func linkOrCopy(fsys vfs.FS, src, dst string) (bool, error) {
	err := fsys.Link(src, dst)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, syscall.EXDEV) {
		return false, fmt.Errorf("link %s: %w", src, err)
	}
	if err := copyFile(fsys, src, dst); err != nil {
		return true, err
	}
	return true, nil
}

func warnCopied(log *slog.Logger, dst string, n int) {
	if log == nil {
		log = slog.Default()
	}
	log.Warn("snapshot files copied, not hard-linked: the temp path is on another filesystem than the storage; snapshots will be slow with this temp path",
		"temp_dir", filepath.Dir(dst), "files", n)
}

// copyFile copies src to a new file dst and syncs it; on error dst is removed.
func copyFile(fsys vfs.FS, src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	out, err := fsys.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			_ = out.Close()
			_ = fsys.Remove(dst)
		}
	}()
	// Hide the file's ReadFrom/WriteTo so the copy goes through out.Write,
	// which a fault-injecting filesystem can fail.
	if _, err = io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, copyBufSize)); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err = out.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	if err = out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}

// LinkTree hard-links (or, across filesystems, copies) each of files, given
// relative to srcRoot, to the same relative path under dstRoot, creating
// folders as needed. Every path must be local (filepath.IsLocal): one that
// could leave either root is refused with ErrUnsafeEntry. It returns how many
// files had to be copied and logs one warning if any did.
func LinkTree(fsys vfs.FS, srcRoot, dstRoot string, files []string, log *slog.Logger) (copied int, err error) {
	made := map[string]bool{}
	for _, rel := range files {
		if !filepath.IsLocal(rel) {
			return copied, fmt.Errorf("%w: %q is not a local path", ErrUnsafeEntry, rel)
		}
		dst := filepath.Join(dstRoot, rel)
		if dir := filepath.Dir(dst); !made[dir] {
			if err := fsys.MkdirAll(dir, dirMode); err != nil {
				return copied, fmt.Errorf("create %s: %w", dir, err)
			}
			made[dir] = true
		}
		c, err := linkOrCopy(fsys, filepath.Join(srcRoot, rel), dst)
		if c {
			copied++
		}
		if err != nil {
			return copied, err
		}
	}
	if copied > 0 {
		warnCopied(log, filepath.Join(dstRoot, "x"), copied)
	}
	return copied, nil
}
