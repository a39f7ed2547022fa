package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// twoCollections makes a closed storage under dir with collections a and
// b of n points whose vector's first element is v, and alias alias → a
// (none when ""); it returns the collections folder.
func twoCollections(t *testing.T, dir string, n int, v float32, alias string) string {
	t.Helper()
	st := openTest(t, dir, nil)
	for _, name := range []string{"a", "b"} {
		req := simpleReq(4, point.Dot)
		req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1)} // small files: the fixtures are copied often
		c := mustCreate(t, st, name, req)
		for i := range n {
			mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": {v, 0, 0, 0}}})
			if i == n/2 {
				if err := c.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if alias != "" {
		if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "a", AliasName: alias}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir)
}

// allOutcome reopens the storage in dir: "old" when a and b hold 10 points
// of 1 and the aliases are {x: a}, "new" when they hold 20 points of 2 and
// the aliases are {x: a, y: b}, or what is wrong.
func allOutcome(t *testing.T, dir string) string {
	t.Helper()
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		return "open: " + err.Error()
	}
	defer st.Close()
	for _, p := range []string{restoreIntentPrefix, restoreAllPrefix} {
		if left, _ := filepath.Glob(filepath.Join(dir, p+"*")); len(left) != 0 {
			return fmt.Sprintf("intent files left: %v", left)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, collectionsDir)); len(entries) != 2 {
		return fmt.Sprintf("%d collection folders", len(entries))
	}
	var states []string
	for _, name := range []string{"a", "b"} {
		c, err := st.Collection(name)
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
			states = append(states, "old")
		case n == 20 && v == 2:
			states = append(states, "new")
		default:
			return fmt.Sprintf("%s half: %d points, first %v", name, n, v)
		}
	}
	var aliases []string
	for _, a := range st.ListAliases() {
		aliases = append(aliases, a.AliasName+":"+a.CollectionName)
	}
	sort.Strings(aliases)
	al := strings.Join(aliases, ",")
	switch {
	case states[0] == "old" && states[1] == "old" && al == "x:a":
		return "old"
	case states[0] == "new" && states[1] == "new" && al == "x:a,y:b":
		return "new"
	}
	return fmt.Sprintf("mixed: collections %v, aliases %s", states, al)
}

// crashPoints copies the fixture tmpl into a fresh folder, opens the
// storage in its "live" folder through a crashFS stopping before file
// operation n (0: never), runs restore and reports whether it finished.
// It runs the restore once uncrashed to count the operations, then once
// per crash point, in parallel, checking each restart's outcome with
// check (which must give "old" or "new", and "new" once the intent
// matched by intentGlob was durable, or when the restore finished).
func crashPoints(t *testing.T, tmpl, intentGlob string, restore func(st *Storage, base string) error, check func(t *testing.T, dir string) string) {
	t.Helper()
	run := func(t *testing.T, n int64) (dir string, finished bool, ops int64) {
		base := t.TempDir()
		if err := os.CopyFS(base, os.DirFS(tmpl)); err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(base, "live")
		fs := &crashFS{FS: vfs.OS, n: n}
		st := openTest(t, dir, fs)
		fs.armed.Store(true)
		func() {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(crashed); !ok {
						panic(r)
					}
				}
			}()
			if err := restore(st, base); err != nil {
				t.Fatalf("crash point %d: %v", n, err)
			}
			finished = true
		}()
		if finished {
			_ = st.Close()
		}
		return dir, finished, fs.count.Load()
	}
	_, _, total := run(t, 0)
	var mu sync.Mutex
	seen := map[string]int{}
	t.Run("points", func(t *testing.T) {
		for n := int64(1); n <= total+1; n++ {
			t.Run(strconv.FormatInt(n, 10), func(t *testing.T) {
				t.Parallel()
				dir, finished, _ := run(t, n)
				intent, _ := filepath.Glob(filepath.Join(dir, intentGlob))
				got := check(t, dir)
				if got != "old" && got != "new" || (len(intent) > 0 || finished) && got != "new" {
					t.Fatalf("crash before operation %d (intent durable: %v, finished: %v): %s", n, len(intent) > 0, finished, got)
				}
				if finished != (n == total+1) {
					t.Fatalf("crash point %d of %d: finished %v", n, total, finished)
				}
				mu.Lock()
				seen[got]++
				mu.Unlock()
			})
		}
	})
	if seen["old"] == 0 || seen["new"] < 2 {
		t.Fatalf("outcomes %v: the crash points did not cover both sides", seen)
	}
	t.Logf("outcomes over %d crash points: %v", total+1, seen)
}

// TestRestoreAllCrashPoints stops a two-collection restore before each of
// its file operations in turn: a restart finds both collections and the
// aliases old, or all new (always new once the intent is durable).
func TestRestoreAllCrashPoints(t *testing.T) {
	tmpl := t.TempDir()
	twoCollections(t, filepath.Join(tmpl, "live"), 10, 1, "x")
	twoCollections(t, filepath.Join(tmpl, "src"), 20, 2, "")
	crashPoints(t, tmpl, restoreAllPrefix+"*[0-9]", func(st *Storage, base string) error {
		src := filepath.Join(base, "src", collectionsDir)
		return st.RestoreAll(map[string]string{"a": filepath.Join(src, "a"), "b": filepath.Join(src, "b")}, map[string]string{"y": "b"}, nil)
	}, allOutcome)
}

// TestRestoreAllFaults injects a failure at each rename and sync of the
// swap: the restore reports it and the running storage, like a restart,
// shows the old state entirely (or, when the undo itself cannot finish,
// the restart completes the restore).
func TestRestoreAllFaults(t *testing.T) {
	tmpl := t.TempDir()
	twoCollections(t, filepath.Join(tmpl, "live"), 10, 1, "x")
	twoCollections(t, filepath.Join(tmpl, "src"), 20, 2, "")
	for _, fault := range []struct {
		name string
		op   vfs.Op
		hit  func(base string) bool
		skip int // occurrences to let pass first
	}{
		{"a renamed into place", vfs.OpRename, func(b string) bool { return b == "a" }, 0}, // a half swapped
		{"b renamed into place", vfs.OpRename, func(b string) bool { return b == "b" }, 0}, // a swapped, b half
		{"old b to the trash", vfs.OpRename, func(b string) bool { return strings.HasPrefix(b, ".deleted-") && strings.HasSuffix(b, "-b") }, 0},
		{"alias table", vfs.OpRename, func(b string) bool { return b == AliasesFile }, 0},
		{"renames made durable", vfs.OpSyncDir, func(b string) bool { return b == collectionsDir }, 1}, // the first is staging's
		{"intent written", vfs.OpRename, func(b string) bool { return strings.HasPrefix(b, restoreAllPrefix) }, 0},
	} {
		t.Run(fault.name, func(t *testing.T) {
			base := t.TempDir()
			if err := os.CopyFS(base, os.DirFS(tmpl)); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(base, "live")
			src := filepath.Join(base, "src", collectionsDir)
			fs := vfs.NewFaulty(vfs.OS)
			st := openTest(t, dir, fs)
			armed, seen := false, 0
			fs.FailWhen(func(op vfs.Op, path string) bool {
				if armed || op != fault.op || !strings.HasPrefix(path, dir) || !fault.hit(filepath.Base(path)) {
					return false
				}
				if seen++; seen <= fault.skip {
					return false
				}
				armed = true
				return true
			})
			err := st.RestoreAll(map[string]string{"a": filepath.Join(src, "a"), "b": filepath.Join(src, "b")}, map[string]string{"y": "b"}, nil)
			if err == nil || !armed {
				t.Fatalf("restore with a fault: %v (fault hit: %v)", err, armed)
			}
			pending := errors.Is(err, errIntentPending)
			t.Logf("restore: %v", err)
			if !pending {
				// The running storage is the old one, and usable.
				for _, name := range []string{"a", "b"} {
					c, cerr := st.Collection(name)
					if cerr != nil {
						t.Fatalf("after %v: %v", err, cerr)
					}
					if n := mustCount(t, c, nil); n != 10 {
						t.Fatalf("after %v: %s has %d points", err, name, n)
					}
				}
				if len(st.ListAliases()) != 1 {
					t.Fatalf("aliases %v", st.ListAliases())
				}
			}
			_ = st.Close()
			want := "old"
			if pending {
				want = "new"
			}
			if got := allOutcome(t, dir); got != want {
				t.Fatalf("after %v: restart finds %s, want %s", err, got, want)
			}
		})
	}
	// A failure to remove the intent after the swap is only a warning: the
	// restore is done, and a restart's roll forward changes nothing.
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	twoCollections(t, dir, 10, 1, "x")
	src := twoCollections(t, filepath.Join(base, "src"), 20, 2, "")
	fs := vfs.NewFaulty(vfs.OS)
	st := openTest(t, dir, fs)
	fs.FailWhen(func(op vfs.Op, path string) bool {
		return op == vfs.OpRemove && strings.HasPrefix(filepath.Base(path), restoreAllPrefix)
	})
	if err := st.RestoreAll(map[string]string{"a": filepath.Join(src, "a"), "b": filepath.Join(src, "b")}, map[string]string{"y": "b"}, nil); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, restoreAllPrefix+"*")); len(left) != 1 {
		t.Fatalf("intent files %v, want the one that could not be removed", left)
	}
	if got := allOutcome(t, dir); got != "new" {
		t.Fatalf("restart after a kept intent: %s", got)
	}
}

// TestRestoreAllRejects: bad names and alias conflicts change nothing.
func TestRestoreAllRejects(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	twoCollections(t, dir, 10, 1, "x")
	src := twoCollections(t, filepath.Join(base, "src"), 20, 2, "")
	bad := twoCollections(t, filepath.Join(base, "bad"), 20, 2, "")
	flipLastByte(t, vectorsFile(t, filepath.Join(bad, "b", "shard-0")))
	st := openTest(t, dir, nil)
	both := map[string]string{"a": filepath.Join(src, "a"), "b": filepath.Join(src, "b")}
	cases := []struct {
		what    string
		cols    map[string]string
		aliases map[string]string
		want    error
	}{
		{"bad name", map[string]string{".x": filepath.Join(src, "a")}, nil, ErrInvalid},
		{"alias outside", both, map[string]string{"y": "c"}, ErrBadRequest},
		{"alias is a restored collection", both, map[string]string{"a": "b"}, ErrAlreadyExists},
		{"collection is a live alias", map[string]string{"x": filepath.Join(src, "a")}, nil, ErrAlreadyExists},
		{"corrupt b", map[string]string{"a": filepath.Join(src, "a"), "b": filepath.Join(bad, "b")}, nil, nil},
	}
	for _, tc := range cases {
		err := st.RestoreAll(tc.cols, tc.aliases, nil)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
		if tc.want != nil { // refused before anything moved
			for _, p := range tc.cols {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s: source consumed: %v", tc.what, err)
				}
			}
		}
	}
	_ = st.Close()
	if got := allOutcome(t, dir); got != "old" {
		t.Fatalf("after refused restores: %s", got)
	}
}
