package snapshot

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkVerify measures the verification of a collection snapshot
// against reading the archive's bytes once, interleaved in each iteration
// (in a rotating order) so that the machine's load falls on all alike:
//
//   - read: an io.Copy of the archive to io.Discard (1 MiB buffer);
//   - cat: cat ARCHIVE > /dev/null;
//   - dd-direct: dd iflag=direct bs=4M, reading it from the disk, past the
//     page cache;
//   - sha256: FileChecksum, reading and hashing it once (the floor of any
//     verification that checks the archive's SHA-256);
//   - archive: VerifyArchive without the engine checks (SHA-256 against the
//     checksum file, tar layout, every file's CRC-32C against the
//     manifest): what the single pass itself costs;
//   - verify: Manager.VerifyCollection, the whole verification (the files
//     spilled to the temp path and the engine's checks on them: segment
//     meta and checksums, ids, vector sizes, graph links, the WAL chain).
//
// ns/op is their sum; the metrics are per-impl medians (read-ms, cat-ms,
// dd-direct-ms, sha256-ms, archive-ms, verify-ms) and the ratios of verify
// to read, cat, dd-direct and sha256 and of archive to sha256.
// points=100000 is the cached indexed collection of BenchmarkRecoverIndexed
// (one segment with its HNSW graph, m 16), points=1000000 the graph-free
// one of BenchmarkSnapshotStall (both built on first use, see their
// caches); -short skips the 1,000,000-point size.
//
//	go test -run '^$' -bench Verify -benchtime 3x -timeout 60m ./snapshot
func BenchmarkVerify(b *testing.B) {
	sizes := []int{100000, 1000000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("points=%d/dim=%d", n, benchDim), func(b *testing.B) {
			m := verifyBenchManager(b, n)
			d, err := m.CreateCollection(ctxb, "bench")
			if err != nil {
				b.Fatal(err)
			}
			archive := filepath.Join(m.SnapshotsPath, "bench", d.Name)
			impls := []struct {
				name string
				run  func() error
			}{
				{"read", func() error { return readOnce(archive) }},
				{"cat", func() error { return exec.Command("sh", "-c", `cat "$1" > /dev/null`, "sh", archive).Run() }},
				{"dd-direct", func() error {
					return exec.Command("dd", "if="+archive, "of=/dev/null", "bs=4M", "iflag=direct", "status=none").Run()
				}},
				{"sha256", func() error { _, err := FileChecksum(archive); return err }},
				{"archive", func() error {
					f, err := os.Open(archive)
					if err != nil {
						return err
					}
					defer f.Close()
					opts := m.VerifyOptions(ReadChecksumFile(archive), KindCollection)
					opts.TempPath = ""
					return reportErr(VerifyArchive(ctxb, f, opts))
				}},
				{"verify", func() error { return reportErr(m.VerifyCollection(ctxb, "bench", d.Name)) }},
			}
			times := make(map[string][]time.Duration)
			b.SetBytes(d.Size)
			i := 0
			for b.Loop() {
				for k := range impls {
					im := impls[(i+k)%len(impls)]
					t0 := time.Now()
					if err := im.run(); err != nil {
						b.Fatalf("%s: %v", im.name, err)
					}
					times[im.name] = append(times[im.name], time.Since(t0))
				}
				i++
			}
			read := median(times["read"])
			for _, im := range impls {
				b.ReportMetric(millis(median(times[im.name])), im.name+"-ms")
			}
			ver := float64(median(times["verify"]))
			b.ReportMetric(ver/float64(read), "verify/read")
			b.ReportMetric(ver/float64(median(times["cat"])), "verify/cat")
			b.ReportMetric(ver/float64(median(times["sha256"])), "verify/sha256")
			b.ReportMetric(ver/float64(median(times["dd-direct"])), "verify/dd-direct")
			b.ReportMetric(float64(median(times["archive"]))/float64(median(times["sha256"])), "archive/sha256")
			b.ReportMetric(float64(d.Size)/(1<<20), "archive-MiB")
		})
	}
}

// verifyBenchManager returns a manager over a private copy of the cached
// benchmark storage of n points (see BenchmarkVerify).
func verifyBenchManager(b *testing.B, n int) *Manager {
	b.Helper()
	if n == 100000 {
		m, _, _ := indexedBenchCollection(b, n)
		return m
	}
	m, _ := benchCollection(b, n)
	return m
}

// readOnce reads the file at path to its end.
func readOnce(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, 1<<20))
	return err
}

// reportErr turns a report that did not pass into an error.
func reportErr(rep Report, err error) error {
	if err == nil && !rep.OK {
		err = fmt.Errorf("verify failed: %+v", rep.Failures)
	}
	return err
}
