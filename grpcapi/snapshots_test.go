package grpcapi

import (
	"context"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// TestSnapshots: collection and full snapshots are created, listed (name,
// creation time, size and checksum as the manager lists them for REST)
// and deleted; unknown collections and snapshots are NotFound.
func TestSnapshots(t *testing.T) {
	e := newTestEnv(t, Options{})
	sn, bg := e.snapshotsClient(), context.Background()
	e.mustCreate(t, "c")
	created, err := sn.Create(bg, &qdrant.CreateSnapshotRequest{CollectionName: "c"})
	if err != nil {
		t.Fatal(err)
	}
	d := created.GetSnapshotDescription()
	list, err := sn.List(bg, &qdrant.ListSnapshotsRequest{CollectionName: "c"})
	if err != nil || len(list.GetSnapshotDescriptions()) != 1 {
		t.Fatalf("list %v, %v", list, err)
	}
	rest, err := e.snaps.ListCollection("c")
	if err != nil || len(rest) != 1 {
		t.Fatalf("manager lists %v, %v", rest, err)
	}
	for _, got := range []*qdrant.SnapshotDescription{d, list.GetSnapshotDescriptions()[0]} {
		if got.GetName() != rest[0].Name || got.GetSize() != rest[0].Size || got.GetSize() == 0 || got.GetChecksum() != rest[0].Checksum ||
			got.GetChecksum() == "" || !got.GetCreationTime().AsTime().Equal(time.Time(rest[0].CreationTime)) {
			t.Fatalf("description %v, REST's %+v", got, rest[0])
		}
	}
	if _, err := sn.Delete(bg, &qdrant.DeleteSnapshotRequest{CollectionName: "c", SnapshotName: d.GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err = sn.Delete(bg, &qdrant.DeleteSnapshotRequest{CollectionName: "c", SnapshotName: d.GetName()})
	wantCode(t, "delete again", err, codes.NotFound)
	_, err = sn.Delete(bg, &qdrant.DeleteSnapshotRequest{CollectionName: "c", SnapshotName: "../../storage"})
	wantCode(t, "delete a path", err, codes.NotFound)
	list, err = sn.List(bg, &qdrant.ListSnapshotsRequest{CollectionName: "c"})
	if err != nil || len(list.GetSnapshotDescriptions()) != 0 {
		t.Fatalf("list after delete %v, %v", list, err)
	}
	_, err = sn.Create(bg, &qdrant.CreateSnapshotRequest{CollectionName: "nope"})
	wantCode(t, "create unknown", err, codes.NotFound, "Collection `nope` doesn't exist!")
	_, err = sn.List(bg, &qdrant.ListSnapshotsRequest{CollectionName: "nope"})
	wantCode(t, "list unknown", err, codes.NotFound)

	full, err := sn.CreateFull(bg, &qdrant.CreateFullSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := sn.ListFull(bg, &qdrant.ListFullSnapshotsRequest{})
	restFull, _ := e.snaps.ListFull()
	if err != nil || len(fl.GetSnapshotDescriptions()) != 1 || len(restFull) != 1 || fl.GetSnapshotDescriptions()[0].GetName() != full.GetSnapshotDescription().GetName() ||
		fl.GetSnapshotDescriptions()[0].GetChecksum() != restFull[0].Checksum {
		t.Fatalf("full list %v (REST %+v), %v", fl, restFull, err)
	}
	if _, err := sn.DeleteFull(bg, &qdrant.DeleteFullSnapshotRequest{SnapshotName: full.GetSnapshotDescription().GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err = sn.DeleteFull(bg, &qdrant.DeleteFullSnapshotRequest{SnapshotName: full.GetSnapshotDescription().GetName()})
	wantCode(t, "delete full again", err, codes.NotFound)
}

// TestUnavailableWithoutStorage: before the storage is open every service
// but the health check answers Unavailable.
func TestUnavailableWithoutStorage(t *testing.T) {
	_, _, conn := startServer(t, Options{Logger: quiet}, insecureDial())
	bg := context.Background()
	_, err := qdrant.NewCollectionsClient(conn).List(bg, &qdrant.ListCollectionsRequest{})
	wantCode(t, "collections", err, codes.Unavailable)
	_, err = qdrant.NewSnapshotsClient(conn).ListFull(bg, &qdrant.ListFullSnapshotsRequest{})
	wantCode(t, "snapshots", err, codes.Unavailable)
	h, err := qdrant.NewQdrantClient(conn).HealthCheck(bg, &qdrant.HealthCheckRequest{})
	if err != nil || h.GetTitle() != healthTitle || h.GetVersion() == "" {
		t.Fatalf("health %v, %v", h, err)
	}
}
