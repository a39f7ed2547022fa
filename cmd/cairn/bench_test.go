package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/bench"
)

// benchAsCairnEnv, set to 1, lets this test binary stand for the cairn
// executable: TestMain then runs `serve` as cairn does.
const benchAsCairnEnv = "CAIRN_BENCH_TEST_AS_CAIRN"

// TestMain runs the test binary as cairn when a bench run started it as
// the server (-cairn-bin, benchAsCairnEnv); otherwise it runs the tests.
func TestMain(m *testing.M) {
	if os.Getenv(benchAsCairnEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "serve" {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestInProcessSearch loads a small generated set through the hook, checks
// that an HNSW graph covers every point, and that graph search at ef 64
// finds at least 90% of the exact top 10.
func TestInProcessSearch(t *testing.T) {
	const n, nq, dim, k = 2000, 100, 16, 10
	for _, m := range []bench.Metric{bench.L2, bench.Cosine} {
		t.Run(string(m), func(t *testing.T) {
			base, queries, err := bench.Generate(bench.GenOptions{N: n, Queries: nq, Dim: dim, Clusters: 10, Seed: 7, Metric: m})
			if err != nil {
				t.Fatal(err)
			}
			gt, err := bench.GroundTruth(base, queries, dim, k, m)
			if err != nil {
				t.Fatal(err)
			}
			ipi, closeFn, err := inProcessBuilder(quietLog())(context.Background(), base, dim, m, 16, 100)
			if err != nil {
				t.Fatal(err)
			}
			ip := ipi.(*inProcess)
			if info := ip.c.Info(); info.IndexedVectorsCount != n || info.PointsCount != n || info.SegmentsCount != 1 {
				t.Fatalf("info: %d points, %d indexed, %d segments; want %d, %d, 1", info.PointsCount, info.IndexedVectorsCount, info.SegmentsCount, n, n)
			}
			got := make([][]uint64, nq)
			for i := range got {
				got[i] = ip.Search(queries[i*dim:(i+1)*dim], k, 64)
				if len(got[i]) != k {
					t.Fatalf("query %d: %d ids, want %d", i, len(got[i]), k)
				}
			}
			if r := bench.Recall(m, base, queries, dim, got, gt, k, k); r < 0.9 {
				t.Errorf("recall@%d at ef 64 = %.3f, want >= 0.9", k, r)
			}
			if err := closeFn(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(ip.dir); !os.IsNotExist(err) {
				t.Errorf("temporary storage left behind: %v", err)
			}
		})
	}
}

func TestInProcessRejectsBadInput(t *testing.T) {
	build := inProcessBuilder(quietLog())
	for _, tc := range []struct {
		name string
		base []float32
		dim  int
		m    bench.Metric
	}{
		{"ragged rows", make([]float32, 10), 3, bench.L2},
		{"empty", nil, 4, bench.L2},
		{"metric", make([]float32, 8), 4, bench.Metric("dot")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := build(context.Background(), tc.base, tc.dim, tc.m, 16, 100); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestBenchCommandInProcess runs `cairn bench search --inprocess --no-http`
// end to end and reads the JSON report it writes.
func TestBenchCommandInProcess(t *testing.T) {
	data, out := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"bench", "search", "-data", data, "-n", "2000", "-dim", "16", "-queries", "50",
		"-clusters", "10", "-efs", "16,64", "-runs", "1", "-no-http", "-inprocess", "-out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "inprocess") {
		t.Errorf("table has no in-process row:\n%s", stdout.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "search.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r bench.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Search == nil || len(r.Search.Rows) != 2 {
		t.Fatalf("report search = %+v", r.Search)
	}
	for _, row := range r.Search.Rows {
		if row.Mode != "inprocess" || row.QPS <= 0 {
			t.Errorf("row %+v", row)
		}
		if row.Ef == 64 && row.Recall < 0.9 {
			t.Errorf("recall at ef 64 = %.3f, want >= 0.9", row.Recall)
		}
	}
	for _, p := range r.Plots {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("plot: %v", err)
		}
	}
}

func TestDispatchUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"bench"}, {"bench", "bogus"}, {"bench", "search", "-efs", "x"}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}

// TestBenchCommandRoundsWithReference runs two interleaved rounds of the
// in-process search with a stand-in for hnswlib_ref, and checks that the
// report holds medians over both rounds, the reference's rows and the
// per-round QPS ratios.
func TestBenchCommandRoundsWithReference(t *testing.T) {
	dir := t.TempDir()
	data, out, ref := filepath.Join(dir, "data"), filepath.Join(dir, "out"), filepath.Join(dir, "hnswlib_ref")
	script := `#!/bin/sh
[ -f "$1/groundtruth.ivecs" ] || { echo "no ground truth in $1" >&2; exit 2; }
echo '{"lib":"fake hnswlib","metric":"'"$2"'","n":2000,"dim":16,"M":'"$3"',"ef_construction":'"$4"',"build_s":{"1":0.5,"2":0.3},"search":[{"ef":16,"recall":0.9,"qps":50000},{"ef":64,"recall":0.99,"qps":20000}]}'
`
	if err := os.WriteFile(ref, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"bench", "search", "-data", data, "-n", "2000", "-dim", "16", "-queries", "50",
		"-clusters", "10", "-efs", "16,64", "-rounds", "2", "-no-http", "-inprocess", "-hnswlib-bin", ref, "-out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "search.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r bench.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	s := r.Search
	if s == nil || s.Rounds != 2 || len(s.Rows) != 4 || len(s.ReferenceRuns) != 2 || len(s.Ratios) != 2 || s.ReferenceBuild["2"].Median != 0.3 {
		t.Fatalf("report search = %+v", s)
	}
	for _, row := range s.Rows {
		if row.Rounds != 2 || len(row.Samples) != 2 || row.QPSMin > row.QPS || row.QPS > row.QPSMax {
			t.Errorf("row %+v", row)
		}
	}
	if ref := s.ReferenceRuns[0]; ref.Metric != "l2" || ref.M != 16 || ref.EfC != 100 {
		t.Errorf("reference ran with %s M=%d efc=%d, want l2 16 100", ref.Metric, ref.M, ref.EfC)
	}
	if !strings.Contains(stdout.String(), "| hnswlib | 64 | 1 | 0.9900 | 0.9900 | 20000 (20000–20000) |") ||
		!strings.Contains(stdout.String(), "inprocess / hnswlib") {
		t.Errorf("table:\n%s", stdout.String())
	}
}

// TestBenchSnapshotRestoreAtStartup runs `cairn bench snapshot` against a
// real server, with this test binary standing for the cairn executable
// (-cairn-bin), and checks that the collection was indexed
// and that the restore at start-up and the first query after it were
// measured, reported in the JSON and the table, and plotted.
func TestBenchSnapshotRestoreAtStartup(t *testing.T) {
	t.Setenv(benchAsCairnEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	storage := filepath.Join(dir, "s")
	go func() {
		done <- serve(ctx, []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
			"--storage-path", storage, "--snapshots-path", filepath.Join(dir, "p")}, []string{"QDRANT__LOGGER__FORMAT=json"}, w)
	}()
	var addr string
	select {
	case addr = <-w.addr:
	case err := <-done:
		t.Fatalf("serve returned early: %v", err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"bench", "snapshot", "-url", "http://" + addr, "-collection", "st", "-sizes", "400", "-dim", "8",
		"-rounds", "1", "-baseline", "100ms", "-storage-path", storage, "-index-timeout", "2m", "-cairn-bin", self, "-out", out}, &stdout, &stderr)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r bench.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Snapshot == nil || len(r.Snapshot.Rows) != 1 {
		t.Fatalf("report snapshot = %+v", r.Snapshot)
	}
	row := r.Snapshot.Rows[0]
	if row.StartupRestoreSecs <= 0 || row.StartupFirstQueryMS <= 0 || row.StartupPoints < 400 || row.StartupNote != "" {
		t.Errorf("restore at start-up not measured: %+v", row)
	}
	if row.IndexedVectors != 400 {
		t.Errorf("indexed vectors %d, want 400", row.IndexedVectors)
	}
	if !strings.Contains(string(b), `"startup_restore_s"`) {
		t.Error("JSON lacks startup_restore_s")
	}
	if md := stdout.String(); !strings.Contains(md, "restore at start-up s") || !strings.Contains(md, fmt.Sprintf("| %.3f |", row.StartupRestoreSecs)) {
		t.Errorf("table lacks the restore at start-up:\n%s", md)
	}
	svg, err := os.ReadFile(filepath.Join(out, "snapshot-time.svg"))
	if err != nil || !bytes.Contains(svg, []byte("restore at start-up")) {
		t.Errorf("snapshot time plot lacks the restore at start-up: %v", err)
	}
}

// TestBenchSnapshotS3Wired checks that `cairn bench snapshot -s3` reaches
// the S3 runner (bench/s3snap): with a gateway binary that does not exist
// it fails starting it, not with bench.ErrNoS3Runner.
func TestBenchSnapshotS3Wired(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runBench(context.Background(), []string{"snapshot", "-s3", "-versitygw", filepath.Join(t.TempDir(), "no-such-gateway"),
		"-s3-storage", t.TempDir(), "-work-dir", t.TempDir()}, &stdout, &stderr)
	if err == nil || errors.Is(err, bench.ErrNoS3Runner) || !strings.Contains(err.Error(), "start versitygw") {
		t.Fatalf("err %v, want a failure starting versitygw", err)
	}
}
