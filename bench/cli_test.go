package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, h Hooks, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := MainWithHooks(context.Background(), args, &out, &errb, h)
	return out.String(), errb.String(), err
}

func TestMainGen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "set")
	out, _, err := runMain(t, Hooks{}, "gen", "-data", dir, "-n", "200", "-dim", "6", "-queries", "7", "-k", "4", "-metric", "cosine")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "200 x 6 (cosine), 7 queries, top-4 truth") {
		t.Fatalf("stdout %q", out)
	}
	gt, k, err := ReadIvecs(filepath.Join(dir, GroundTruthFile))
	if err != nil || k != 4 || len(gt) != 28 {
		t.Fatalf("ground truth %d×%d: %v", len(gt)/max(k, 1), k, err)
	}
	if _, err := os.Stat(sidecarPath(filepath.Join(dir, GroundTruthFile))); err != nil {
		t.Fatal(err)
	}
}

func TestMainUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"gen"}, {"search", "-efs", "a,b", "-data", "x"}, {"gen", "-data", "d", "extra"},
		{"ingest", "-waits", "maybe", "-data", "x"}, {"snapshot", "-metric", "hamming"}, {"search", "-no-http", "-data", "x"}, {"search", "-data", "x", "-metric", "manhattan", "-n", "1"},
		{"search", "-data", "x", "-rounds", "0"}, {"ingest", "-data", "x", "-rounds", "0"}, {"snapshot", "-rounds", "-1"}} {
		_, _, err := runMain(t, Hooks{}, args...)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v, want ErrUsage", args, err)
		}
	}
	if _, stderr, err := runMain(t, Hooks{}, "search", "-h"); err != nil || !strings.Contains(stderr, "-efs") {
		t.Errorf("-h: %v %q", err, stderr)
	}
}

func TestMainSearch(t *testing.T) {
	_, srv := newFakeQdrant(t)
	data := filepath.Join(t.TempDir(), "gen") // generated on first use
	out := filepath.Join(t.TempDir(), "results")
	ref := filepath.Join(t.TempDir(), "ref.csv")
	os.WriteFile(ref, []byte("ef,recall,qps\n16,0.9,40000\n64,0.99,15000\n"), 0o644)
	built := 0
	hooks := Hooks{InProcess: func(ctx context.Context, base []float32, dim int, m Metric, M, efc int) (InProcess, func() error, error) {
		built++
		if M != 12 || efc != 50 {
			t.Errorf("builder got M=%d efc=%d", M, efc)
		}
		ds := &Dataset{Base: base, Dim: dim, Metric: m}
		return exactInProcess{ds}, func() error { return nil }, nil
	}}
	stdout, _, err := runMain(t, hooks, "search", "-url", srv.URL, "-data", data, "-n", "300", "-dim", "8", "-queries", "20",
		"-efs", "16,64", "-clients", "2", "-m", "12", "-ef-construct", "50", "-inprocess", "-hnswlib", ref, "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	if built != 1 || !strings.Contains(stdout, "| http | 64 | 2 | 1.0000 |") || !strings.Contains(stdout, "| inprocess | 16 | 1 | 1.0000 |") ||
		!strings.Contains(stdout, "| ref | 64 |") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "search.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil || len(r.Search.Rows) != 4 || r.Machine.GoVersion == "" || len(r.Plots) != 2 {
		t.Fatalf("report %+v: %v", r, err)
	}
	for _, p := range r.Plots {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := runMain(t, Hooks{}, "search", "-url", srv.URL, "-data", filepath.Join(t.TempDir(), "none"), "-inprocess"); !errors.Is(err, ErrNoInProcess) {
		t.Fatalf("-inprocess without a hook: %v", err)
	}
}

func TestMainIngestAndSnapshot(t *testing.T) {
	_, srv := newFakeQdrant(t)
	data := filepath.Join(t.TempDir(), "gen")
	stdout, _, err := runMain(t, Hooks{}, "ingest", "-url", srv.URL, "-data", data, "-n", "200", "-dim", "4", "-queries", "5",
		"-batches", "100", "-waits", "true")
	if err != nil || !strings.Contains(stdout, "| 100 | true | 2 |") {
		t.Fatalf("ingest: %v\n%s", err, stdout)
	}
	out := filepath.Join(t.TempDir(), "results")
	stdout, _, err = runMain(t, Hooks{}, "snapshot", "-url", srv.URL, "-sizes", "100,200", "-dim", "4", "-baseline", "0s", "-out", out)
	if err != nil || !strings.Contains(stdout, "| 200 | 4 |") {
		t.Fatalf("snapshot: %v\n%s", err, stdout)
	}
	for _, f := range []string{"snapshot.json", "snapshot-time.png", "snapshot-time.svg", "snapshot-stall.png", "snapshot-stall.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestHNSWLibLayoutNeedsRefK: hnswlib_ref reads HNSWLibRefK neighbours per
// query, so a ground truth with fewer is refused before it runs.
func TestHNSWLibLayoutNeedsRefK(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateDataset(dir, GenOptions{N: 100, Dim: 4, Queries: 5, Clusters: 3, Seed: 1}, 5); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(dir, L2, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := hnswlibLayout(ds); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "holds 5") {
		t.Fatalf("ground truth of 5: %v, want ErrUsage naming 5", err)
	}
	_, _, err = runMain(t, Hooks{InProcess: func(context.Context, []float32, int, Metric, int, int) (InProcess, func() error, error) {
		t.Error("in-process search built for a refused run")
		return nil, nil, ErrNoInProcess
	}}, "search", "-data", dir, "-k", "5", "-no-http", "-inprocess", "-hnswlib-bin", filepath.Join(dir, "hnswlib_ref"))
	if !errors.Is(err, ErrUsage) {
		t.Fatalf("search -k 5 -hnswlib-bin: %v, want ErrUsage", err)
	}
	ds, err = LoadDataset(dir, L2, HNSWLibRefK)
	if err != nil {
		t.Fatal(err)
	}
	if err := hnswlibLayout(ds); err != nil {
		t.Fatalf("ground truth of %d: %v", HNSWLibRefK, err)
	}
}
