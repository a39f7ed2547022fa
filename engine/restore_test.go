package engine

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
)

// crashFS stops the goroutine (panics) just before its n-th file operation
// once armed, and then refuses every operation (deferred cleanups do
// nothing): the state on disk is what a SIGKILL at that moment leaves.
type crashFS struct {
	vfs.FS
	armed atomic.Bool
	dead  atomic.Bool
	n     int64
	count atomic.Int64
}

type crashed struct{}

var errCrashed = errors.New("process crashed")

func (f *crashFS) step() error {
	if f.dead.Load() {
		return errCrashed
	}
	if f.armed.Load() && f.count.Add(1) == f.n {
		f.dead.Store(true)
		panic(crashed{})
	}
	return nil
}

func (f *crashFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		if err := f.step(); err != nil {
			return nil, err
		}
	}
	return f.FS.OpenFile(name, flag, perm)
}

func (f *crashFS) Rename(o, n string) error {
	if err := f.step(); err != nil {
		return err
	}
	return f.FS.Rename(o, n)
}

func (f *crashFS) Remove(n string) error {
	if err := f.step(); err != nil {
		return err
	}
	return f.FS.Remove(n)
}

func (f *crashFS) RemoveAll(n string) error {
	// The folder a restore replaced is removed in the background after the
	// restore has returned (Storage.removeTrash); a crash then leaves a
	// dot-prefixed leftover that Open removes, so its removal is no crash
	// point of the restore.
	if strings.HasPrefix(filepath.Base(n), ".deleted-") && !f.dead.Load() {
		return f.FS.RemoveAll(n)
	}
	if err := f.step(); err != nil {
		return err
	}
	return f.FS.RemoveAll(n)
}

func (f *crashFS) SyncDir(n string) error {
	if err := f.step(); err != nil {
		return err
	}
	return f.FS.SyncDir(n)
}

func (f *crashFS) MkdirAll(n string, perm os.FileMode) error {
	if f.dead.Load() {
		return errCrashed
	}
	return f.FS.MkdirAll(n, perm)
}

// collectionFolder makes a closed storage under dir holding collection c
// with n points whose vector's first element is v, and returns c's folder.
func collectionFolder(t *testing.T, dir string, n int, v float32) string {
	t.Helper()
	st := openTest(t, dir, nil)
	c := mustCreate(t, st, "c", simpleReq(4, point.Dot))
	for i := range n {
		mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": {v, 0, 0, 0}}})
		if i == n/2 {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir, "c")
}

// outcome reopens a storage after a crash and says which collection "c"
// holds: "old" (10 points of 1), "new" (20 points of 2), or what is wrong.
func outcome(t *testing.T, dir string) string {
	t.Helper()
	if err := recoverRestores(vfs.OS, dir, quietLogger()); err != nil {
		return "recover: " + err.Error()
	}
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		return "open: " + err.Error()
	}
	defer st.Close()
	entries, _ := os.ReadDir(filepath.Join(dir, collectionsDir))
	if len(entries) != 1 {
		return fmt.Sprintf("%d collection folders", len(entries))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, restoreIntentPrefix+"*")); len(left) != 0 {
		return fmt.Sprintf("intent files left: %v", left)
	}
	c, err := st.Collection("c")
	if err != nil {
		return err.Error()
	}
	n := mustCount(t, c, nil)
	recs, err := c.Get(ctxb, []point.ID{point.NumID(0)}, WithPayload{}, WithVector{Enable: true})
	if err != nil || len(recs) != 1 {
		return fmt.Sprintf("get: %v", err)
	}
	switch v := recs[0].Vector[""][0]; {
	case n == 10 && v == 1:
		return "old"
	case n == 20 && v == 2:
		return "new"
	default:
		return fmt.Sprintf("half: %d points, first %v", n, v)
	}
}

// TestRestoreCrashPoints stops a restore before each of its file operations
// in turn and checks that a restart finds the old or the new collection,
// the new one as soon as the intent file is durable.
func TestRestoreCrashPoints(t *testing.T) {
	seen := map[string]int{}
	for n := int64(1); ; n++ {
		base := t.TempDir()
		dir := filepath.Join(base, "live")
		collectionFolder(t, dir, 10, 1)
		src := collectionFolder(t, filepath.Join(base, "other"), 20, 2)
		fs := &crashFS{FS: vfs.OS, n: n}
		st := openTest(t, dir, fs)
		fs.armed.Store(true)
		finished := func() (done bool) {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(crashed); !ok {
						panic(r)
					}
				}
			}()
			if err := st.RestoreCollection("c", src, nil); err != nil {
				t.Fatalf("crash point %d: %v", n, err)
			}
			return true
		}()
		intent, _ := filepath.Glob(filepath.Join(dir, restoreIntentPrefix+"*[0-9]-c"))
		got := outcome(t, dir)
		if got != "old" && got != "new" || len(intent) > 0 && got != "new" {
			t.Fatalf("crash before operation %d (intent durable: %v): %s", n, len(intent) > 0, got)
		}
		seen[got]++
		if finished {
			if got != "new" {
				t.Fatalf("completed restore reads %s", got)
			}
			break
		}
	}
	if seen["old"] == 0 || seen["new"] < 2 {
		t.Fatalf("outcomes %v: the crash points did not cover both sides", seen)
	}
	t.Logf("outcomes over every crash point: %v", seen)
}

// TestRestoreRejectsBadFolder: a folder that fails verification changes
// nothing, and is removed.
func TestRestoreRejectsBadFolder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	collectionFolder(t, dir, 10, 1)
	src := collectionFolder(t, filepath.Join(base, "other"), 20, 2)
	flipLastByte(t, vectorsFile(t, filepath.Join(src, "shard-0")))
	st := openTest(t, dir, nil)
	if err := st.RestoreCollection("c", src, nil); err == nil {
		t.Fatal("corrupt segment restored")
	}
	if err := st.RestoreCollection("bad/name", src, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	_ = st.Close()
	if got := outcome(t, dir); got != "old" {
		t.Fatalf("after a refused restore: %s", got)
	}
}

const restoreChildEnv = "CAIRN_RESTORE_CRASH_CHILD"

// TestRestoreSIGKILL runs restores in a child process and kills it with
// SIGKILL after a seeded number of file operations; the restart must find
// the old or the new collection, and both must be seen. This is
// deterministic: the kill points are fixed (operations 1, 4, 5, 9, 10, 14)
// and a restore of this data performs 14 operations of which the 5th
// renames the intent into place, so 1, 4 and 5 stop it before the intent
// exists (old) and the others after (new). Only operations running side by
// side (the folder fsync beside the verification's WAL open, both before
// the intent) can swap places, which moves no kill point across it.
func TestRestoreSIGKILL(t *testing.T) {
	if spec := os.Getenv(restoreChildEnv); spec != "" {
		restoreChild(spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	seen := map[string]int{}
	for seed := range 6 {
		base := t.TempDir()
		dir := filepath.Join(base, "live")
		collectionFolder(t, dir, 10, 1)
		src := collectionFolder(t, filepath.Join(base, "other"), 20, 2)
		after := 1 + (seed*7919)%14 // operations before the kill
		cmd := exec.Command(os.Args[0], "-test.run=^TestRestoreSIGKILL$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d", restoreChildEnv, dir, src, after))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, _ := out.Read(buf) // the child prints when it reaches the kill point (or finishes)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		got := outcome(t, dir)
		if got != "old" && got != "new" {
			t.Fatalf("seed %d, killed at %q: %s", seed, buf[:n], got)
		}
		seen[got]++
	}
	t.Logf("outcomes: %v", seen)
	if seen["old"] == 0 || seen["new"] == 0 {
		t.Fatalf("outcomes %v: the kill points no longer fall on both sides of the intent", seen)
	}
}

// restoreChild restores src over dir's collection and blocks forever at its
// n-th file operation, after telling the parent, which kills it there.
func restoreChild(spec string) {
	parts := strings.Split(spec, "|")
	n, _ := strconv.Atoi(parts[2])
	fs := &blockFS{FS: vfs.OS, n: int64(n)}
	st, err := Open(Options{Dir: parts[0], FS: fs, Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		os.Exit(2)
	}
	fs.armed.Store(true)
	_ = st.RestoreCollection("c", parts[1], nil)
	fmt.Println("done")
	select {}
}

// blockFS is crashFS for a child process: it blocks instead of panicking.
type blockFS struct {
	vfs.FS
	armed atomic.Bool
	n     int64
	count atomic.Int64
}

func (f *blockFS) step() {
	if f.armed.Load() && f.count.Add(1) == f.n {
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
func (f *blockFS) Remove(n string) error    { f.step(); return f.FS.Remove(n) }
func (f *blockFS) RemoveAll(n string) error { f.step(); return f.FS.RemoveAll(n) }
func (f *blockFS) SyncDir(n string) error   { f.step(); return f.FS.SyncDir(n) }

// TestRestoreRemovesReplacedFolder: the folder a restore replaced is gone
// once the storage is closed (its removal runs in the background), and a
// replaced folder left behind by a stop during that removal is removed by
// the next Open.
func TestRestoreRemovesReplacedFolder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	collectionFolder(t, dir, 10, 1)
	src := collectionFolder(t, filepath.Join(base, "other"), 20, 2)
	st := openTest(t, dir, nil)
	if err := st.RestoreCollection("c", src, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, collectionsDir)
	leftovers := func() []string {
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	if l := leftovers(); len(l) != 0 {
		t.Fatalf("after Close: leftovers %v", l)
	}
	// A stop while the replaced folder was being removed.
	if err := os.CopyFS(filepath.Join(root, ".deleted-7-c"), os.DirFS(filepath.Join(root, "c"))); err != nil {
		t.Fatal(err)
	}
	if got := outcome(t, dir); got != "new" {
		t.Fatalf("after a stop during the removal: %s", got)
	}
	if l := leftovers(); len(l) != 0 {
		t.Fatalf("after Open: leftovers %v", l)
	}
}

// TestVerifyErr: a check that fails on the files marks the restore source
// as failing verification (bad input); a fault of this machine (no file
// descriptors, memory or space, an I/O error) does not.
func TestVerifyErr(t *testing.T) {
	bad := fmt.Errorf("open segment: %w", segment.ErrCorrupt)
	if err := verifyErr(bad); !errors.Is(err, ErrVerify) || !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("corrupt segment: %v", err)
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENOMEM, syscall.ENOSPC, syscall.EIO} {
		local := fmt.Errorf("open collection: %w", &os.PathError{Op: "open", Path: "x", Err: errno})
		if err := verifyErr(local); errors.Is(err, ErrVerify) || !errors.Is(err, errno) {
			t.Fatalf("%v: %v, want the fault itself, not ErrVerify", errno, err)
		}
	}
}

// folderSums returns the CRC-32C of every file under dir, keyed by path.
func folderSums(t *testing.T, dir string) FileSums {
	t.Helper()
	sums := FileSums{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		sums[p] = crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// TestRestoreVouchedSums: a restore's check takes the segment checksums the
// caller vouches for (FileSums, by path under src) instead of reading the
// files, follows them to the staged folder, refuses a folder whose
// vouched-for checksum differs from meta.seg's, and reads a folder it had
// to copy in full (the sums describe the source's bytes, not the copy's).
func TestRestoreVouchedSums(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bumpSum   bool   // the vectors file's vouched-for checksum is wrong
		flipByte  bool   // a byte of the vectors file changes after the sums
		fs        vfs.FS // nil: vfs.OS
		refused   bool
		afterward string
	}{
		{name: "differs from meta", bumpSum: true, refused: true, afterward: "old"},
		{name: "copied across filesystems", flipByte: true, fs: exdevFS{vfs.OS}, refused: true, afterward: "old"},
		// Only a check that reads the file would see the flipped byte
		// (TestRestoreRejectsBadFolder does, without sums).
		{name: "not read again", flipByte: true, afterward: "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "live")
			collectionFolder(t, dir, 10, 1)
			src := collectionFolder(t, filepath.Join(base, "other"), 20, 2)
			sums := folderSums(t, src)
			seg := vectorsFile(t, filepath.Join(src, "shard-0"))
			if tc.bumpSum {
				sums[seg]++
			}
			if tc.flipByte {
				flipLastByte(t, seg)
			}
			st := openTest(t, dir, tc.fs)
			err := st.RestoreCollection("c", src, sums)
			if tc.refused && !errors.Is(err, ErrVerify) || !tc.refused && err != nil {
				t.Fatalf("restore: %v (want refused: %v)", err, tc.refused)
			}
			_ = st.Close()
			if got := outcome(t, dir); got != tc.afterward {
				t.Fatalf("after the restore: %s, want %s", got, tc.afterward)
			}
		})
	}
}

// vectorsFile returns a vectors file of a segment of the shard folder dir.
func vectorsFile(t *testing.T, dir string) string {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "segments", "*", "vectors*"))
	if len(segs) == 0 {
		t.Fatal("no segment file")
	}
	return segs[0]
}

// flipLastByte inverts the last byte of the file at path.
func flipLastByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err == nil {
		b[len(b)-1] ^= 0xff
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// exdevFS fails every rename into a staged restore folder with EXDEV, as
// when the folder lies on another filesystem, so the restore copies it.
type exdevFS struct{ vfs.FS }

func (f exdevFS) Rename(o, n string) error {
	if strings.HasPrefix(filepath.Base(n), ".restore-") {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: syscall.EXDEV}
	}
	return f.FS.Rename(o, n)
}
