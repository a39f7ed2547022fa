package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func smallDataset(t *testing.T, m Metric) *Dataset {
	t.Helper()
	dir := t.TempDir()
	if err := GenerateDataset(dir, GenOptions{N: 400, Queries: 30, Dim: 8, Clusters: 4, Seed: 9, Metric: m}, 10); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadDataset(dir, m, 10)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestRunSearchAgainstExactServer runs the search benchmark against the
// exact fake server: recall must be 1 and every query answered.
func TestRunSearchAgainstExactServer(t *testing.T) {
	for _, m := range []Metric{L2, Cosine} {
		t.Run(string(m), func(t *testing.T) {
			fq, srv := newFakeQdrant(t)
			ds := smallDataset(t, m)
			res, err := RunSearch(context.Background(), ds, SearchOptions{
				URL: srv.URL, Collection: "s", K: 10, Efs: []int{16, 64}, Clients: 3, Runs: 2, BatchSize: 64, UploadClients: 2,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 2 || res.Data.N != 400 || res.UploadPPS <= 0 {
				t.Fatalf("result %+v", res)
			}
			for _, r := range res.Rows {
				if r.Mode != "http" || r.Runs != 2 || r.Recall != 1 || r.RecallIDs < 0.99 || r.QPS <= 0 || r.Latency.Count != 30 || r.Latency.P99 < r.Latency.P50 {
					t.Errorf("row %+v", r)
				}
			}
			var searches int
			for _, req := range fq.log() {
				if strings.HasPrefix(req, "POST /collections/s/points/search") {
					searches++
				}
			}
			if searches != 2*2*(30+30) { // per ef and run: warm-up + measured
				t.Errorf("%d search requests", searches)
			}
			if _, exists := fq.collections["s"]; exists {
				t.Error("collection left behind without -keep")
			}
		})
	}
}

// exactInProcess is an exact search used to test the in-process path.
type exactInProcess struct{ ds *Dataset }

func (e exactInProcess) Search(q []float32, k, ef int) []uint64 {
	h := exactTopK(e.ds.Base, q, e.ds.Dim, k, e.ds.Metric, make([]float32, blockRows), nil)
	ids := make([]int32, k)
	h.sortedIDs(ids)
	out := make([]uint64, k)
	for i, id := range ids {
		out[i] = uint64(id)
	}
	return out
}

func TestRunSearchInProcess(t *testing.T) {
	ds := smallDataset(t, L2)
	res, err := RunSearch(context.Background(), ds, SearchOptions{K: 5, Efs: []int{32}, InProcess: exactInProcess{ds}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Mode != "inprocess" || res.Rows[0].Recall != 1 || res.Rows[0].Clients != 1 {
		t.Fatalf("rows %+v", res.Rows)
	}
	if _, err := RunSearch(context.Background(), ds, SearchOptions{K: 11}); !errors.Is(err, ErrUsage) {
		t.Fatalf("k beyond the ground truth: %v", err)
	}
}

func TestRunSearchReuse(t *testing.T) {
	fq, srv := newFakeQdrant(t)
	ds := smallDataset(t, L2)
	o := SearchOptions{URL: srv.URL, Collection: "r", K: 10, Efs: []int{8}, Clients: 1, BatchSize: 100, Keep: true}
	if _, err := RunSearch(context.Background(), ds, o); err != nil {
		t.Fatal(err)
	}
	o.Reuse = true
	res, err := RunSearch(context.Background(), ds, o)
	if err != nil || !res.Reused {
		t.Fatalf("reuse: %+v %v", res, err)
	}
	upserts := 0
	for _, r := range fq.log() {
		if strings.HasPrefix(r, "PUT /collections/r/points") {
			upserts++
		}
	}
	if upserts != 4 {
		t.Fatalf("%d upserts, want 4 (one load of 400 points in batches of 100)", upserts)
	}
}

func TestRunIngest(t *testing.T) {
	fq, srv := newFakeQdrant(t)
	ds := smallDataset(t, L2)
	res, err := RunIngest(context.Background(), ds, IngestOptions{URL: srv.URL, Collection: "i",
		BatchSizes: []int{50, 400}, Waits: []bool{false, true}, Clients: 2, MinIndexed: -1, FlushIntervalSec: 1, Segments: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 4 {
		t.Fatalf("%d rows", len(res.Rows))
	}
	for _, r := range res.Rows {
		if r.Points != 400 || r.PointsPerSec <= 0 || r.IndexedVectors != 400 || r.VisibleSeconds < r.UploadSeconds || r.IndexedSeconds < r.VisibleSeconds {
			t.Errorf("row %+v", r)
		}
	}
	// A fifth of 400 points of dimension 8 is 80 × 32 bytes: 2 kB.
	if res.IndexingThreshold != 2 || res.FlushIntervalSec != 1 || res.Segments != 2 {
		t.Errorf("result config %+v", res)
	}
	if got := fq.optimizers["i"]; len(got) != 4 || got[0] != "map[default_segment_number:2 flush_interval_sec:1 indexing_threshold:2]" {
		t.Errorf("ingest optimizers_config %q", got)
	}
	var waits, noWaits int
	for _, r := range fq.log() {
		switch {
		case strings.HasPrefix(r, "PUT /collections/i/points?wait=true"):
			waits++
		case strings.HasPrefix(r, "PUT /collections/i/points?wait=false"):
			noWaits++
		}
	}
	if waits != 8+1 || noWaits != 8+1 { // batches of 50 and of 400
		t.Fatalf("wait=true %d, wait=false %d upserts", waits, noWaits)
	}
}

func TestRunSnapshot(t *testing.T) {
	fq, srv := newFakeQdrant(t)
	storage := t.TempDir()
	folder := filepath.Join(storage, "collections", "snap-300")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "segment.bin"), bytes.Repeat([]byte{7}, 1<<16), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := RunSnapshot(context.Background(), SnapshotOptions{URL: srv.URL, Collection: "snap",
		Sizes: []int{300, 500}, Dim: 8, Seed: 1, Metric: L2, BatchSize: 100, Clients: 2,
		StoragePath: storage, Baseline: 0, WorkDir: t.TempDir(), Index: true, Segments: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("%d rows", len(res.Rows))
	}
	r := res.Rows[0]
	if r.CreateSeconds <= 0 || r.ArchiveBytes <= 0 || r.RestoredPoints < 300 || r.DownloadSeconds <= 0 || r.RecoverSeconds <= 0 || r.FirstQueryMS <= 0 || r.Rounds != 1 {
		t.Errorf("row %+v", r)
	}
	if r.TarCreateSecs <= 0 || r.TarExtractSecs <= 0 || r.TarBytes < 1<<16 || r.Note != "" {
		t.Errorf("tar reference %+v", r)
	}
	if res.Rows[1].Note == "" || res.Rows[1].TarCreateSecs != 0 {
		t.Errorf("missing storage folder not noted: %+v", res.Rows[1])
	}
	if len(fq.collections) != 0 || len(fq.snapshots) != 0 {
		t.Errorf("left behind: %d collections, %d snapshots", len(fq.collections), len(fq.snapshots))
	}
	if r.StartupRestoreSecs != 0 || !strings.Contains(r.StartupNote, "no cairn binary") {
		t.Errorf("restore at start-up without a binary: %+v", r)
	}
	if r.IndexedVectors != 300 {
		t.Errorf("indexed vectors %d, want 300", r.IndexedVectors)
	}
	var creates, patches []string
	for _, q := range fq.log() {
		switch {
		case strings.HasPrefix(q, "PUT /collections/snap-300?") || q == "PUT /collections/snap-300":
			creates = append(creates, q)
		case strings.HasPrefix(q, "PATCH /collections/snap-300"):
			patches = append(patches, q)
		}
	}
	if len(creates) != 1 || len(patches) != 1 {
		t.Errorf("creates %q, patches %q: want one of each", creates, patches)
	}
}

// TestRunSnapshotIndexConfig checks the optimizers_config an indexed
// snapshot collection is created with, and the one patched in before the
// rounds.
func TestRunSnapshotIndexConfig(t *testing.T) {
	fq, srv := newFakeQdrant(t)
	for _, index := range []bool{true, false} {
		name := fmt.Sprintf("ix%t", index)
		_, err := RunSnapshot(context.Background(), SnapshotOptions{URL: srv.URL, Collection: name,
			Sizes: []int{1000}, Dim: 128, Seed: 1, Metric: L2, BatchSize: 500, Clients: 1,
			WorkDir: t.TempDir(), Index: index, Segments: 2})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A fifth of 1000 points of 512 bytes is 100 kB; after indexing, 4 × 1000 points (2000 kB).
	want := []string{"map[default_segment_number:2 flush_interval_sec:1 indexing_threshold:100]",
		"map[default_segment_number:2 flush_interval_sec:3600 indexing_threshold:2000]"}
	if got := fq.optimizers["ixtrue-1000"]; !slices.Equal(got, want) {
		t.Errorf("indexed: optimizers_config %q, want %q", got, want)
	}
	if got := fq.optimizers["ixfalse-1000"]; !slices.Equal(got, []string{"map[]"}) {
		t.Errorf("-index=false: optimizers_config %q, want the server's defaults", got)
	}
}

// TestRunSnapshotStartupNotCairn: with a binary but a server that is not
// Cairn, the restore at start-up is skipped with a note.
func TestRunSnapshotStartupNotCairn(t *testing.T) {
	_, srv := newFakeQdrant(t)
	bin := filepath.Join(t.TempDir(), "cairn")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := RunSnapshot(context.Background(), SnapshotOptions{URL: srv.URL, Collection: "nc",
		Sizes: []int{100}, Dim: 4, Seed: 1, Metric: L2, BatchSize: 100, Clients: 1, WorkDir: t.TempDir(), CairnBin: bin})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r.StartupRestoreSecs != 0 || !strings.Contains(r.StartupNote, "not Cairn") {
		t.Fatalf("row %+v", r)
	}
}

// TestRunSearchIndexesFirst checks that bench search gives every segment a
// graph (a threshold of a fifth of the data) and waits for every vector to
// be indexed before measuring, so that no seal or graph build runs during
// a round.
func TestRunSearchIndexesFirst(t *testing.T) {
	fq, srv := newFakeQdrant(t)
	ds := smallDataset(t, L2)
	o := SearchOptions{URL: srv.URL, Collection: "s", K: 10, Efs: []int{8}, Clients: 1, BatchSize: 100,
		FlushIntervalSec: 1, Segments: 2, MinIndexed: -1}
	if _, err := RunSearch(context.Background(), ds, o); err != nil {
		t.Fatal(err)
	}
	// A fifth of 400 points of dimension 8 is 80 × 32 bytes: 2 kB.
	if got := fq.optimizers["s"]; len(got) != 1 || got[0] != "map[default_segment_number:2 flush_interval_sec:1 indexing_threshold:2]" {
		t.Errorf("search optimizers_config %q", got)
	}
	// A server that never indexes every vector makes the run wait, then fail.
	o.MinIndexed, o.WaitTimeout = 401, 300*time.Millisecond
	if _, err := RunSearch(context.Background(), ds, o); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for 401 indexed vectors of 400: %v, want a deadline error", err)
	}
}
