package objstore_test

import (
	"os"
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/objstore/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// s3Config is the configuration of a store in a new bucket of srv.
func s3Config(t *testing.T, srv *s3test.Server) objstore.S3Config {
	return objstore.S3Config{Endpoint: srv.Endpoint, Bucket: srv.Bucket(t), AccessKey: s3test.AccessKey,
		SecretKey: s3test.SecretKey, PartSize: 5 << 20, Threads: 3}
}

func newS3(t *testing.T, cfg objstore.S3Config) *objstore.S3 {
	t.Helper()
	s, err := objstore.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestS3Contract runs the Store contract against a real S3 server, with
// and without a key prefix.
func TestS3Contract(t *testing.T) {
	srv := s3test.Shared(t)
	for _, prefix := range []string{"", "cairn/node1"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) objstore.Store {
				cfg := s3Config(t, srv)
				cfg.Prefix = prefix
				s := newS3(t, cfg)
				t.Cleanup(func() {
					if left := srv.Incomplete(t, cfg.Bucket); len(left) != 0 {
						t.Errorf("unfinished multipart uploads left: %v", left)
					}
				})
				return s
			})
		})
	}
}
