package snapshot

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
)

// BenchmarkRemoteCreateS3 is the first remote snapshot of the cached
// 100,000-point collection (graph-free, 79 MB) into an empty prefix of the
// shared versitygw, a fresh Manager (no hash cache) each time: the create
// path for CPU profiles (`go test -run ^$ -bench RemoteCreateS3
// -cpuprofile`). The server runs in its own process, outside the profile.
func BenchmarkRemoteCreateS3(b *testing.B) {
	m, _ := openCachedCopy(b, cachedBenchStorage(b, 100_000))
	srv := s3test.Shared(b)
	bucket := srv.Bucket(b)
	snaps := b.TempDir()
	var uploaded int64
	observeRemote = func(st RemoteStats) { uploaded += st.UploadedBytes }
	b.Cleanup(func() { observeRemote = nil })
	for i := 0; b.Loop(); i++ {
		st, err := objstore.NewS3(objstore.S3Config{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: fmt.Sprintf("run%d", i),
			AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
		if err != nil {
			b.Fatal(err)
		}
		fresh := &Manager{Storage: m.Storage, SnapshotsPath: filepath.Join(snaps, fmt.Sprint(i)), TempPath: m.TempPath,
			Logger: m.Logger, NodeID: m.NodeID, Remote: st}
		if _, err := fresh.CreateCollection(ctxb, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(uploaded)/float64(b.N)/1e6, "MB/op")
}
