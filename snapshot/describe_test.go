package snapshot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCreateAndListAgree: a create's answer and the listing report the same
// creation_time (the archive's modification time, to the second), even
// when the archive is written in a later second than its cut.
func TestCreateAndListAgree(t *testing.T) {
	e := newEnv(t, nil)
	fill(t, e.create(t, "c", dim, 2), 3, dim)
	cut := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.m.Now = func() time.Time { return cut } // the cut is long before the archive's write
	creates := map[string]func() (Description, error){
		"collection": func() (Description, error) { return e.m.CreateCollection(ctxb, "c") },
		"shard":      func() (Description, error) { return e.m.CreateShard(ctxb, "c", 1) },
		"full":       func() (Description, error) { return e.m.CreateFull(ctxb) },
	}
	lists := map[string]func() ([]Description, error){
		"collection": func() ([]Description, error) { return e.m.ListCollection("c") },
		"shard":      func() ([]Description, error) { return e.m.ListShard("c", 1) },
		"full":       e.m.ListFull,
	}
	for kind, create := range creates {
		d, err := create()
		if err != nil {
			t.Fatal(err)
		}
		ds, err := lists[kind]()
		if err != nil || len(ds) != 1 {
			t.Fatalf("%s: list %v %v", kind, ds, err)
		}
		a, _ := json.Marshal(d)
		b, _ := json.Marshal(ds[0])
		if string(a) != string(b) {
			t.Fatalf("%s: created %s, listed %s", kind, a, b)
		}
		// The value follows the archive, whatever the clock says later.
		p := filepath.Join(e.m.SnapshotsPath, d.Name)
		switch kind {
		case "collection":
			p = filepath.Join(e.m.SnapshotsPath, "c", d.Name)
		case "shard":
			p = filepath.Join(e.m.SnapshotsPath, "c", "shards", "1", d.Name)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := st.ModTime().UTC().Truncate(time.Second); !time.Time(d.CreationTime).Equal(want) {
			t.Fatalf("%s: creation_time %v, archive mtime %v", kind, time.Time(d.CreationTime), want)
		}
	}
}
