package snapshot

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

const createChildEnv = "CAIRN_SNAPSHOT_CREATE_CHILD"

// blockFS blocks the calling goroutine forever at its n-th file operation,
// after printing "kill", so the parent kills the process exactly there.
type blockFS struct {
	vfs.FS
	n     int64
	count atomic.Int64
}

func (f *blockFS) step() {
	if f.count.Add(1) == f.n {
		fmt.Println("kill")
		select {}
	}
}

func (f *blockFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		f.step()
	}
	return f.FS.OpenFile(name, flag, perm)
}
func (f *blockFS) Rename(o, n string) error { f.step(); return f.FS.Rename(o, n) }
func (f *blockFS) Link(o, n string) error   { f.step(); return f.FS.Link(o, n) }
func (f *blockFS) Remove(n string) error    { f.step(); return f.FS.Remove(n) }
func (f *blockFS) RemoveAll(n string) error { f.step(); return f.FS.RemoveAll(n) }
func (f *blockFS) SyncDir(n string) error   { f.step(); return f.FS.SyncDir(n) }

// TestCrashDuringEngineSnapshot kills (SIGKILL) a process making snapshots
// of a live collection at seeded file operations. After a restart
// (RemoveTemps, RemovePartial) every listed snapshot verifies and restores
// to the collection's data, no temp file is left, and the collection itself
// opens unchanged.
func TestCrashDuringEngineSnapshot(t *testing.T) {
	if spec := os.Getenv(createChildEnv); spec != "" {
		createChild(spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for seed := range 3 {
		e := newEnv(t, nil)
		fill(t, e.create(t, "c", dim, 2), uint64(seed), dim)
		c, _ := e.st.Collection("c")
		want := dump(t, c)
		storageDir := filepath.Join(e.dir, "storage")
		if err := e.st.Close(); err != nil {
			t.Fatal(err)
		}
		n := 1 + (seed*37)%60
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringEngineSnapshot$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%s|%d", createChildEnv, storageDir, e.m.SnapshotsPath, e.m.TempPath, n))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		k, _ := out.Read(buf)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if !strings.HasPrefix(string(buf[:k]), "kill") {
			t.Fatalf("seed %d: child said %q", seed, buf[:k])
		}

		if err := RemoveTemps(vfs.OS, e.m.TempPath); err != nil {
			t.Fatal(err)
		}
		if err := RemovePartial(vfs.OS, e.m.SnapshotsPath); err != nil {
			t.Fatal(err)
		}
		st, err := engine.Open(engine.Options{Dir: storageDir, Logger: quiet(), DisableBackground: true})
		if err != nil {
			t.Fatal(err)
		}
		m := &Manager{Storage: st, SnapshotsPath: e.m.SnapshotsPath, TempPath: e.m.TempPath, Logger: quiet(), NodeID: 42}
		c, _ = st.Collection("c")
		if got := dump(t, c); got != want {
			t.Fatalf("seed %d: live collection changed by a crashed snapshot", seed)
		}
		list, err := m.ListCollection("c")
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range list {
			name := "r" + strconv.Itoa(i)
			if err := m.Recover(ctxb, name, filepath.Join(m.SnapshotsPath, "c", d.Name), d.Checksum, ""); err != nil {
				t.Fatalf("seed %d: listed snapshot %s: %v", seed, d.Name, err)
			}
			r, _ := st.Collection(name)
			if dump(t, r) != want {
				t.Fatalf("seed %d: snapshot %s differs", seed, d.Name)
			}
		}
		entries, _ := os.ReadDir(m.TempPath)
		for _, en := range entries {
			t.Fatalf("seed %d: temp left: %s", seed, en.Name())
		}
		walkNoTmp(t, m.SnapshotsPath)
		t.Logf("seed %d: killed at file operation %d; %d complete snapshots", seed, n, len(list))
		_ = st.Close()
	}
}

func walkNoTmp(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, TempExt) {
			t.Fatalf("partial file left: %s", p)
		}
		return nil
	})
}

// createChild snapshots collection c until its file system blocks it.
func createChild(spec string) {
	parts := strings.Split(spec, "|")
	n, _ := strconv.Atoi(parts[3])
	st, err := engine.Open(engine.Options{Dir: parts[0], Logger: quiet(), DisableBackground: true})
	if err != nil {
		os.Exit(2)
	}
	m := &Manager{Storage: st, SnapshotsPath: parts[1], TempPath: parts[2], FS: &blockFS{FS: vfs.OS, n: int64(n)}, Logger: quiet(), NodeID: 42}
	for {
		if _, err := m.CreateCollection(ctxb, "c"); err != nil {
			fmt.Println("error", err)
			select {}
		}
	}
}
