package snapshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// fullFolderFS answers ENOSPC for files opened under dir while full is set.
type fullFolderFS struct {
	vfs.FS
	dir  string
	full atomic.Bool
}

func (f *fullFolderFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	if f.full.Load() && strings.HasPrefix(name, f.dir+string(filepath.Separator)) {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	return f.FS.OpenFile(name, flag, perm)
}

// TestNodeIDRetriedAfterFailure checks that a failed node id write (the
// snapshots folder out of space) fails that snapshot with a message saying
// so, and that the next snapshot, once space is back, succeeds: only a
// loaded id is kept (it was a sync.Once caching the first error, which
// failed every collection snapshot until a restart).
func TestNodeIDRetriedAfterFailure(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, "c", 4, 1)
	fsys := &fullFolderFS{FS: vfs.OS, dir: e.m.SnapshotsPath}
	e.m.FS, e.m.NodeID = fsys, 0
	fsys.full.Store(true)
	_, err := e.m.CreateCollection(context.Background(), "c")
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "the snapshots folder is out of space") {
		t.Fatalf("snapshot with a full snapshots folder: %v, want ENOSPC naming the snapshots folder", err)
	}
	fsys.full.Store(false)
	d, err := e.m.CreateCollection(context.Background(), "c")
	if err != nil {
		t.Fatalf("snapshot once space is back: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(e.m.SnapshotsPath, NodeIDFile))
	if err != nil || !strings.Contains(d.Name, "-"+strings.TrimSpace(string(b))+"-") {
		t.Fatalf("snapshot %s, node id file %q (%v)", d.Name, b, err)
	}
	fsys.full.Store(true) // the id is kept now: no write needed
	if _, err := e.m.nodeID(); err != nil {
		t.Fatalf("node id after success: %v", err)
	}
}
