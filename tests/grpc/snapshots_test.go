package grpctests

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// snapshotNames returns the names of listed snapshots.
func snapshotNames(s []*qdrant.SnapshotDescription) []string {
	out := make([]string, len(s))
	for i, d := range s {
		out[i] = d.GetName()
	}
	slices.Sort(out)
	return out
}

// TestSnapshots: collection and full snapshots created, listed (name,
// size, checksum, creation time as REST lists them) and deleted through
// gRPC, the files appearing and going in the snapshots folder.
func TestSnapshots(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	cl := c.client
	c.createCollection("c")
	c.upsert("c", 0, 20)

	d, err := cl.CreateSnapshot(ctx(t), "c")
	if err != nil {
		t.Fatalf("create snapshot: %v", err)
	}
	if d.GetName() == "" || d.GetSize() <= 0 || len(d.GetChecksum()) != 64 || d.GetCreationTime() == nil {
		t.Errorf("snapshot description %v: want a name, a size, a sha256 checksum and a creation time", d)
	}
	if _, err := os.Stat(filepath.Join(c.snapshots, "c", d.GetName())); err != nil {
		t.Errorf("snapshot file: %v", err)
	}
	list, err := cl.ListSnapshots(ctx(t), "c")
	if err != nil {
		t.Fatalf("list snapshots: %v", err)
	}
	if !slices.Equal(snapshotNames(list), []string{d.GetName()}) {
		t.Errorf("listed %v, want [%s]", snapshotNames(list), d.GetName())
	}
	var rest []struct {
		Name     string `json:"name"`
		Size     int64  `json:"size"`
		Checksum string `json:"checksum"`
	}
	c.mustREST("GET", "/collections/c/snapshots", nil).Result(t, &rest)
	if len(rest) != 1 || rest[0].Name != d.GetName() || rest[0].Size != d.GetSize() || rest[0].Checksum != d.GetChecksum() {
		t.Errorf("REST lists %+v, gRPC created %v", rest, d)
	}
	if err := cl.DeleteSnapshot(ctx(t), "c", d.GetName()); err != nil {
		t.Fatalf("delete snapshot: %v", err)
	}
	if list, err := cl.ListSnapshots(ctx(t), "c"); err != nil || len(list) != 0 {
		t.Errorf("list after delete = %v, %v; want none", snapshotNames(list), err)
	}
	err = cl.DeleteSnapshot(ctx(t), "c", d.GetName())
	wantCode(t, "delete a deleted snapshot", err, codes.NotFound)
	_, err = cl.CreateSnapshot(ctx(t), "nothing")
	wantCode(t, "snapshot of an unknown collection", err, codes.NotFound, "nothing")

	full, err := cl.CreateFullSnapshot(ctx(t))
	if err != nil {
		t.Fatalf("create full snapshot: %v", err)
	}
	if full.GetName() == "" || full.GetSize() <= 0 || len(full.GetChecksum()) != 64 {
		t.Errorf("full snapshot description %v", full)
	}
	fl, err := cl.ListFullSnapshots(ctx(t))
	if err != nil || !slices.Equal(snapshotNames(fl), []string{full.GetName()}) {
		t.Errorf("full snapshots listed %v, %v; want [%s]", snapshotNames(fl), err, full.GetName())
	}
	if err := cl.DeleteFullSnapshot(ctx(t), full.GetName()); err != nil {
		t.Fatalf("delete full snapshot: %v", err)
	}
	if fl, err := cl.ListFullSnapshots(ctx(t)); err != nil || len(fl) != 0 {
		t.Errorf("full snapshots after delete = %v, %v; want none", snapshotNames(fl), err)
	}
}
