package server

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// noSpaceFS is vfs.OS whose file writes under dir fail with ENOSPC, as on
// a full disk.
type noSpaceFS struct {
	vfs.FS
	dir string
}

func (f noSpaceFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasPrefix(name, f.dir+string(filepath.Separator)) {
		return file, err
	}
	return noSpaceFile{file}, nil
}

type noSpaceFile struct{ vfs.File }

func (f noSpaceFile) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// TestSnapshotOutOfSpace: a create whose archive write meets a full
// snapshots folder answers Qdrant's storage error (500) saying the
// snapshots folder is out of space, without the server's paths, and
// leaves no partial archive.
func TestSnapshotOutOfSpace(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	e.m.FS = noSpaceFS{FS: vfs.OS, dir: e.snaps}
	for _, path := range []string{"/collections/c/snapshots", "/snapshots", "/collections/c/shards/0/snapshots"} {
		r := call(t, e.s, "POST", path, "")
		if r.code != 500 || !strings.HasPrefix(r.err, "Service internal error: ") || !strings.Contains(r.err, "the snapshots folder is out of space") ||
			!strings.Contains(r.err, "no space left on device") || strings.Contains(r.err, e.snaps) {
			t.Errorf("POST %s on a full disk: %d %q", path, r.code, r.err)
		}
	}
	e.m.FS = nil
	if ds := e.list(t, "/collections/c/snapshots"); len(ds) != 0 {
		t.Fatalf("listed %v", ds)
	}
	if ds := e.list(t, "/snapshots"); len(ds) != 0 {
		t.Fatalf("listed %v", ds)
	}
}
