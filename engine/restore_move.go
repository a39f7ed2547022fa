package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cairn-db/cairn/vfs"
)

// moveDir renames src to dst, or copies the tree (syncing every file and
// folder) when they lie on different filesystems and then removes src;
// copied reports the latter.
func moveDir(fsys vfs.FS, src, dst string) (copied bool, err error) {
	err = fsys.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return false, err
	}
	if err := copyTree(fsys, src, dst); err != nil {
		_ = fsys.RemoveAll(dst)
		return true, err
	}
	return true, fsys.RemoveAll(src)
}

func copyTree(fsys vfs.FS, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := fsys.MkdirAll(target, 0o755); err != nil || rel == "." {
				return err
			}
			// A folder holding only folders gets no file's SyncDir.
			return fsys.SyncDir(filepath.Dir(target))
		case d.Type().IsRegular():
			if err := copyFileSynced(fsys, p, target); err != nil {
				return err
			}
			return fsys.SyncDir(filepath.Dir(target))
		default:
			return fmt.Errorf("copy %s: not a regular file", p)
		}
	})
}

func copyFileSynced(fsys vfs.FS, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsys.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	return errors.Join(err, out.Close())
}
