package engine

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// TestCreateFaultLeavesNothing fails each file operation of a 3-shard
// create in turn and checks that the create answers the error, leaves no
// folder behind, is not listed, and that the same create then succeeds
// and survives a reopen.
func TestCreateFaultLeavesNothing(t *testing.T) {
	req := simpleReq(2, point.Dot)
	req.ShardNumber = intp(3)
	for _, op := range []vfs.Op{vfs.OpMkdir, vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir, vfs.OpTruncate} {
		for nth := 1; ; nth++ {
			dir := t.TempDir()
			fs := vfs.NewFaulty(vfs.OS)
			st := openTest(t, dir, fs)
			fs.FailNth(op, nth)
			err := st.CreateCollection("c", req)
			fs.FailWhen(nil)
			if err == nil {
				st.Close()
				if nth == 1 {
					t.Logf("%s: never used", op)
				}
				break
			}
			name := fmt.Sprintf("%s#%d", op, nth)
			if !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("%s: err = %v", name, err)
			}
			if got := st.ListCollections(); len(got) != 0 {
				t.Fatalf("%s: listed %v", name, got)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, collectionsDir)); len(entries) != 0 {
				t.Fatalf("%s: left %v", name, entries)
			}
			mustCreate(t, st, "c", req)
			st.Close()
			st = openTest(t, dir, nil)
			if got := st.ListCollections(); !slices.Equal(got, []string{"c"}) || len(st.Issues()) != 0 {
				t.Fatalf("%s: after reopen %v, issues %s", name, got, jsonOf(st.Issues()))
			}
			st.Close()
		}
	}
}

// TestOpenRemovesUnfinishedCreate checks that a staged create a crash left
// behind is removed at Open, with a log line, and does not stop it.
func TestOpenRemovesUnfinishedCreate(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, collectionsDir, ".create-7-c", "shard-0", "wal")
	must(t, os.MkdirAll(stale, 0o755))
	must(t, os.WriteFile(filepath.Join(stale, "wal-00000000000000000001.log"), []byte("partial"), 0o644))
	var logs bytes.Buffer
	st, err := Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil)), DisableBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(filepath.Join(dir, collectionsDir, ".create-7-c")); !os.IsNotExist(err) {
		t.Fatalf("stale create folder: %v", err)
	}
	if !strings.Contains(logs.String(), ".create-7-c") {
		t.Fatalf("no log line:\n%s", logs.String())
	}
	mustCreate(t, st, "c", simpleReq(2, point.Dot))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
