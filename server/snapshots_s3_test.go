package server

import (
	"net/http"
	"os"
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/snapshot"
)

// The REST tests of remote snapshots also run on a real S3 server
// (versitygw on loopback): a bucket per test, keys under the prefix node1.
// Without the binary they are skipped (failed with CI=true, see s3test).
func init() {
	remoteStores["s3"] = func(t testing.TB) objstore.Store { return newS3Store(t) }
}

// newS3Store is a store in a new bucket of the shared S3 server; its
// String is s3://BUCKET/node1.
func newS3Store(t testing.TB) *objstore.S3 {
	t.Helper()
	srv := s3test.Shared(t)
	st, err := objstore.NewS3(objstore.S3Config{Endpoint: srv.Endpoint, Bucket: srv.Bucket(t), Prefix: "node1",
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// TestRemoteVerifyRoutes: with a remote store the verify routes verify the
// store's snapshots (collection, shard, full); an unknown one is 404.
func TestRemoteVerifyRoutes(t *testing.T) {
	for name, mk := range remoteStores {
		t.Run(name, func(t *testing.T) {
			e := newRemoteSnapEnv(t, mk(t))
			e.collection(t, "c", 10)
			for _, base := range []string{"/collections/c/snapshots", "/collections/c/shards/0/snapshots", "/snapshots"} {
				d := e.createRemote(t, base)
				rep := decode[snapshot.Report](t, mustOK(t, e.s, "POST", base+"/"+d.Name+"/verify", ""))
				if !rep.OK || !rep.EngineChecked || rep.ArchiveBytes != d.Size {
					t.Fatalf("%s: %+v", base, rep)
				}
				mustFail(t, e.s, "POST", base+"/none.snapshot/verify", "", http.StatusNotFound)
			}
		})
	}
}
