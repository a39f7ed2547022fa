package snapshot

import (
	"os"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
)

// The remote tests also run on a real S3 server (versitygw on loopback):
// a bucket per test, keys under the prefix node1. Without the binary they
// are skipped (failed with CI=true, see s3test).
func init() {
	remoteStores["s3"] = func(t testing.TB, _ func() time.Time) objstore.Store { return newS3Store(t) }
}

// newS3Store is a store in a new bucket of the shared S3 server.
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
