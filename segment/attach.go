package segment

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/cairn-db/cairn/vfs"
)

// attach opens the segment written so far, runs fn and adds the files it
// created to w.files.
func (w *segWriter) attach(fn func(fs vfs.FS, tmpDir string, s *Segment) ([]string, error)) error {
	s, err := Open(w.dir)
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	names, err := fn(w.fs, w.dir, s)
	if err = errors.Join(err, s.Close()); err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	for _, name := range names {
		if err := checkExtraName(name); err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		for _, f := range w.files {
			if f.Name == name {
				return fmt.Errorf("attach: %w: file %q already in the segment", ErrInvalid, name)
			}
		}
		f, err := w.sealFile(name)
		if err != nil {
			return fmt.Errorf("attach %s: %w", name, err)
		}
		w.files = append(w.files, f)
	}
	return nil
}

// sealFile fsyncs a file created by an Attach function and checksums it.
func (w *segWriter) sealFile(name string) (fileEntry, error) {
	f, err := w.fs.OpenFile(filepath.Join(w.dir, name), os.O_RDONLY, 0)
	if err != nil {
		return fileEntry{}, err
	}
	h := crc32.New(castagnoli)
	size, err := io.CopyBuffer(h, f, w.buf[:cap(w.buf)])
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return fileEntry{}, err
	}
	return fileEntry{Name: name, Kind: kindExtra, Size: uint64(size), CRC: h.Sum32()}, nil
}
