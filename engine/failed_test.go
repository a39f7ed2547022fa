package engine

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestFailedCollectionDoesNotStopOpen breaks three collections in different
// ways (a segment's meta.seg removed, a corrupt manifest, a corrupt
// collection file) and checks that Open still serves the healthy one, lists
// the broken ones as failed (info red or ErrFailed, in Issues), answers
// ErrFailed for their operations, logs why, and that DELETE frees them.
func TestFailedCollectionDoesNotStopOpen(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	for _, n := range []string{"good", "nometa", "badman", "badcfg"} {
		c := mustCreate(t, st, n, simpleReq(2, point.Dot))
		mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 2}}})
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpdateAliases([]AliasOp{{CreateAlias: &CreateAlias{CollectionName: "badman", AliasName: "al"}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, collectionsDir)
	metas, _ := filepath.Glob(filepath.Join(root, "nometa", "shard-0", segmentsDir, "*", "meta.seg"))
	if len(metas) != 1 {
		t.Fatalf("meta.seg files: %v", metas)
	}
	must(t, os.Remove(metas[0]))
	must(t, os.WriteFile(filepath.Join(root, "badman", "shard-0", ManifestFile), []byte("garbage"), 0o644))
	flipLastByte(t, filepath.Join(root, "badcfg", CollectionFile))

	var logs bytes.Buffer
	st, err := Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil)), DisableBackground: true})
	if err != nil {
		t.Fatalf("Open with broken collections: %v", err)
	}
	defer st.Close()
	if got := st.ListCollections(); !slices.Equal(got, []string{"badcfg", "badman", "good", "nometa"}) {
		t.Fatalf("collections = %v", got)
	}
	good, err := st.Collection("good")
	if err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, good, PointStruct{ID: point.NumID(2), Vector: Vectors{"": {3, 4}}})
	if n := mustCount(t, good, nil); n != 2 {
		t.Fatalf("good count = %d", n)
	}
	for _, n := range []string{"nometa", "badman", "al", "badcfg"} {
		if _, err := st.Collection(n); !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "Failed to load local shard") {
			t.Fatalf("Collection(%s) = %v, want ErrFailed", n, err)
		}
		if strings.Contains(func() string { _, err := st.Collection(n); return err.Error() }(), dir) {
			t.Fatalf("error for %s shows the storage path", n)
		}
		if !st.CollectionExists(n) {
			t.Fatalf("CollectionExists(%s) = false", n)
		}
		if err := st.CreateCollection(n, simpleReq(2, point.Dot)); err == nil {
			t.Fatalf("create over failed %s succeeded", n)
		}
		if !strings.Contains(logs.String(), "collection="+n) && n != "al" {
			t.Fatalf("no log line for %s:\n%s", n, logs.String())
		}
	}
	for _, n := range []string{"nometa", "badman"} {
		info, err := st.CollectionInfo(n)
		if err != nil || info.Status != StatusRed || info.Config.Params.Vectors[""].Size != 2 ||
			!strings.Contains(info.OptimizerStatus.Error, "Failed to load local shard") {
			t.Fatalf("info(%s) = %s, %v", n, jsonOf(info), err)
		}
	}
	if _, err := st.CollectionInfo("badcfg"); !errors.Is(err, ErrFailed) {
		t.Fatalf("info(badcfg) = %v", err)
	}
	if info, err := st.CollectionInfo("good"); err != nil || info.Status != StatusGreen {
		t.Fatalf("info(good) = %s, %v", jsonOf(info), err)
	}
	issues := st.Issues()
	var ids []string
	for _, is := range issues {
		ids = append(ids, is.ID)
	}
	if !slices.Equal(ids, []string{"collection_failed_to_open/badcfg", "collection_failed_to_open/badman", "collection_failed_to_open/nometa"}) {
		t.Fatalf("issues = %s", jsonOf(issues))
	}
	if *issues[2].RelatedCollection != "nometa" || !strings.Contains(issues[2].Description, "meta.seg") {
		t.Fatalf("issue = %s", jsonOf(issues[2]))
	}
	st.ClearIssues()
	if n := len(st.Issues()); n != 0 {
		t.Fatalf("%d issues after clear", n)
	}
	for _, n := range []string{"nometa", "badman", "badcfg"} {
		if ok, err := st.DeleteCollection(n); !ok || err != nil {
			t.Fatalf("delete %s = %v, %v", n, ok, err)
		}
		if _, err := os.Stat(filepath.Join(root, n)); !os.IsNotExist(err) {
			t.Fatalf("%s folder after delete: %v", n, err)
		}
	}
	if al := st.ListAliases(); len(al) != 0 {
		t.Fatalf("aliases after deleting their collection: %v", al)
	}
	if got := st.ListCollections(); !slices.Equal(got, []string{"good"}) {
		t.Fatalf("collections after delete = %v", got)
	}
	mustCreate(t, st, "badman", simpleReq(2, point.Dot))
	entries, _ := os.ReadDir(root)
	if len(entries) != 2 {
		t.Fatalf("collections folder holds %d entries", len(entries))
	}
}
