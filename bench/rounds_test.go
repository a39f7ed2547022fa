package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{7}, 7}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{5, 5, 1, 9, 100}, 5},
	} {
		in := slices.Clone(c.in)
		if got := Median(in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("Median reordered its input: %v", in)
		}
	}
	sp := SpreadOf([]float64{30, 10, 20, 1000})
	if sp != (Spread{Median: 25, Min: 10, Max: 1000, N: 4}) {
		t.Errorf("SpreadOf = %+v", sp)
	}
	if SpreadOf(nil) != (Spread{}) {
		t.Error("SpreadOf(nil) not zero")
	}
}

func TestMedianLatency(t *testing.T) {
	got := medianLatency([]Latency{{Count: 10, P50: 1, P95: 9, P99: 3}, {Count: 10, P50: 3, P95: 2, P99: 1}, {Count: 10, P50: 2, P95: 4, P99: 2}})
	if got.Count != 30 || got.P50 != 2 || got.P95 != 4 || got.P99 != 2 {
		t.Errorf("medianLatency = %+v", got)
	}
}

// TestScheduleInterleaves checks that every (mode, ef) is measured once per
// round, rounds in order, and never twice in a row: the order want spells out.
func TestScheduleInterleaves(t *testing.T) {
	efs := map[string][]int{ModeHTTP: {16, 64}, ModeInProcess: {16, 64}}
	steps := Schedule(3, []string{ModeHTTP, ModeInProcess, ModeHNSWLib}, efs)
	want := []Step{}
	for r := range 3 {
		want = append(want, Step{r, ModeHTTP, 16}, Step{r, ModeHTTP, 64}, Step{r, ModeInProcess, 16}, Step{r, ModeInProcess, 64}, Step{r, ModeHNSWLib, 0})
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("schedule\n got %v\nwant %v", steps, want)
	}
	if got := Schedule(0, []string{ModeInProcess}, map[string][]int{ModeInProcess: {8}}); len(got) != 1 {
		t.Errorf("rounds 0: %v, want one round", got)
	}
}

func TestParseHNSWLibOutput(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "hnswlib_ref.out"))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := ParseHNSWLibOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Lib != "hnswlib (C++, -march=native)" || tab.N != 20000 || tab.Dim != 128 || tab.M != 16 || tab.EfC != 100 {
		t.Errorf("header %+v", tab)
	}
	if tab.BuildS["1"] != 2.07 || tab.BuildS["2"] != 1.02 {
		t.Errorf("build %v", tab.BuildS)
	}
	if len(tab.Search) != 5 || tab.Search[0] != (HNSWRow{Ef: 16, Recall: 0.9831, QPS: 35280}) || tab.Search[4].Ef != 256 {
		t.Errorf("search %+v", tab.Search)
	}
	// a line printed before the JSON object is skipped
	if tab2, err := ParseHNSWLibOutput(append([]byte("loading\n"), out...)); err != nil || len(tab2.Search) != 5 {
		t.Errorf("with a leading line: %v", err)
	}
	for _, bad := range []string{
		"", "cannot open x/base.fvecs", `{"lib":"h","search":[]}`,
		`{"lib":"h","search":[{"ef":16,"recall":0.9,"qps":0}]}`,
		`{"lib":"h","search":[{"ef":16,"recall":1.5,"qps":10}]}`,
		`{"lib":"h","search":[{"ef":0,"recall":0.5,"qps":10}]}`,
		`{"lib":"h","build_s":{"1":`,
	} {
		if _, err := ParseHNSWLibOutput([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: %v, want ErrFormat", bad, err)
		}
	}
}

// TestHNSWLibRunner runs a stand-in for hnswlib_ref that records its
// arguments and prints the fixture.
func TestHNSWLibRunner(t *testing.T) {
	dir := t.TempDir()
	fixture, err := filepath.Abs(filepath.Join("testdata", "hnswlib_ref.out"))
	if err != nil {
		t.Fatal(err)
	}
	args := filepath.Join(dir, "args")
	bin := filepath.Join(dir, "hnswlib_ref")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" > %q\ncat %q\n", args, fixture)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tab, err := HNSWLibRunner(bin, "/data/set", Cosine, 24, 200)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Search) != 5 {
		t.Errorf("%d rows", len(tab.Search))
	}
	got, err := os.ReadFile(args)
	if err != nil || strings.TrimSpace(string(got)) != "/data/set ip 24 200" {
		t.Errorf("arguments %q (%v), want the data folder, ip, M and ef_construction", got, err)
	}
	failing := filepath.Join(dir, "failing")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho 'cannot open base.fvecs' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := HNSWLibRunner(failing, dir, L2, 16, 100)(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot open base.fvecs") {
		t.Errorf("failing binary: %v", err)
	}
}

// loggedInProcess is an exact in-process search that logs each ef it is
// asked for, once per pass over the queries.
type loggedInProcess struct {
	exactInProcess
	log *[]string
}

func (l loggedInProcess) Search(q []float32, k, ef int) []uint64 {
	entry := fmt.Sprintf("inprocess ef=%d", ef)
	if n := len(*l.log); n == 0 || (*l.log)[n-1] != entry {
		*l.log = append(*l.log, entry)
	}
	return l.exactInProcess.Search(q, k, ef)
}

// TestRunSearchRounds measures in-process search and a fake reference over
// three rounds: the calls interleave, rows hold medians and every sample,
// and the ratios pair samples of the same round.
func TestRunSearchRounds(t *testing.T) {
	ds := smallDataset(t, L2)
	var calls []string
	refQPS := []float64{100, 300, 200}
	ref := func(ctx context.Context) (*HNSWTable, error) {
		calls = append(calls, "hnswlib")
		q := refQPS[strings.Count(strings.Join(calls, ","), "hnswlib")-1]
		return &HNSWTable{Lib: "fake", BuildS: map[string]float64{"1": q / 100}, Search: []HNSWRow{{Ef: 16, Recall: 0.9, QPS: q}, {Ef: 64, Recall: 0.99, QPS: q / 2}}}, nil
	}
	res, err := RunSearch(context.Background(), ds, SearchOptions{K: 10, Efs: []int{16, 64}, Rounds: 3,
		InProcess: loggedInProcess{exactInProcess{ds}, &calls}, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for range 3 {
		// each ef: a warm-up pass and the measured pass, logged once
		want = append(want, "inprocess ef=16", "inprocess ef=64", "hnswlib")
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls\n got %v\nwant %v", calls, want)
	}
	if res.Rounds != 3 || len(res.Rows) != 4 || len(res.ReferenceRuns) != 3 || res.ReferenceLib != "fake" {
		t.Fatalf("result: rounds %d, %d rows, %d reference runs", res.Rounds, len(res.Rows), len(res.ReferenceRuns))
	}
	for _, r := range res.Rows[:2] {
		if r.Mode != ModeInProcess || r.Rounds != 3 || len(r.Samples) != 3 || r.Recall != 1 || r.Latency.Count != 3*ds.NQ() {
			t.Errorf("in-process row %+v", r)
		}
		qps := []float64{r.Samples[0].QPS, r.Samples[1].QPS, r.Samples[2].QPS}
		if r.QPS != Median(qps) || r.QPSMin != slices.Min(qps) || r.QPSMax != slices.Max(qps) {
			t.Errorf("ef %d: QPS %v (%v–%v) from samples %v", r.Ef, r.QPS, r.QPSMin, r.QPSMax, qps)
		}
	}
	h := res.Rows[2]
	if h.Mode != ModeHNSWLib || h.Ef != 16 || h.QPS != 200 || h.QPSMin != 100 || h.QPSMax != 300 || h.Recall != 0.9 || h.Rounds != 3 {
		t.Errorf("hnswlib row %+v", h)
	}
	if b := res.ReferenceBuild["1"]; b.Median != 2 || b.Min != 1 || b.Max != 3 {
		t.Errorf("build spread %+v", b)
	}
	if len(res.Ratios) != 2 {
		t.Fatalf("ratios %+v", res.Ratios)
	}
	r16 := res.Rows[0]
	var ratios []float64
	for i, s := range r16.Samples {
		ratios = append(ratios, s.QPS/refQPS[i])
	}
	if got := res.Ratios[0]; got.Ef != 16 || math.Abs(got.Ratio.Median-Median(ratios)) > 1e-9 || got.Ratio.N != 3 {
		t.Errorf("ratio %+v, want the median of %v", got, ratios)
	}
	// The same ef values and k on both sides: no note.
	if res.ReferenceNote != "" {
		t.Errorf("reference note %q", res.ReferenceNote)
	}
}

func TestRunSearchReferenceError(t *testing.T) {
	ds := smallDataset(t, L2)
	boom := errors.New("boom")
	_, err := RunSearch(context.Background(), ds, SearchOptions{K: 10, Efs: []int{16}, Rounds: 2,
		InProcess: exactInProcess{ds}, Reference: func(context.Context) (*HNSWTable, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the reference's", err)
	}
}

func TestSummarizeIngest(t *testing.T) {
	row := summarizeIngest([]IngestRow{
		{BatchSize: 64, Wait: true, Points: 10, PointsPerSec: 100, UploadSeconds: 0.1, VisibleSeconds: 0.2, IndexedSeconds: 3, IndexedVectors: 10},
		{BatchSize: 64, Wait: true, Points: 10, PointsPerSec: 300, UploadSeconds: 0.03, VisibleSeconds: 0.04, IndexedSeconds: 1, IndexedVectors: 10},
		{BatchSize: 64, Wait: true, Points: 10, PointsPerSec: 200, UploadSeconds: 0.05, VisibleSeconds: 0.06, IndexedSeconds: 2, IndexedVectors: 9},
	})
	if row.Rounds != 3 || row.PointsPerSec != 200 || row.PPSMin != 100 || row.PPSMax != 300 || row.UploadSeconds != 0.05 ||
		row.IndexedSeconds != 2 || row.IndexedMin != 1 || row.IndexedMax != 3 || row.IndexedVectors != 9 || len(row.Samples) != 3 ||
		row.VisibleSeconds != 0.06 || row.VisibleMin != 0.04 || row.VisibleMax != 0.2 || row.Samples[2].VisibleSeconds != 0.06 {
		t.Errorf("row %+v", row)
	}
}

func TestSummarizeSnapshot(t *testing.T) {
	one := summarizeSnapshot([]SnapshotRow{{Points: 5, CreateSeconds: 1}})
	if one.Rounds != 1 || one.CreateRange != nil || one.Samples != nil {
		t.Errorf("one round %+v", one)
	}
	row := summarizeSnapshot([]SnapshotRow{
		{Points: 5, CreateSeconds: 3, StallMS: 1, FirstQueryMS: 9, TarCreateSecs: 2, ArchiveBytes: 100, StartupRestoreSecs: 0.3, StartupFirstQueryMS: 7},
		{Points: 5, CreateSeconds: 1, StallMS: 5, FirstQueryMS: 1, TarCreateSecs: 4, ArchiveBytes: 100, StartupRestoreSecs: 0.1, StartupFirstQueryMS: 5},
		{Points: 5, CreateSeconds: 2, StallMS: 3, FirstQueryMS: 2, TarCreateSecs: 3, ArchiveBytes: 100, StartupRestoreSecs: 0.2, StartupFirstQueryMS: 6},
	})
	if row.Rounds != 3 || row.CreateSeconds != 2 || row.StallMS != 3 || row.FirstQueryMS != 2 || row.TarCreateSecs != 3 || row.ArchiveBytes != 100 ||
		row.StartupRestoreSecs != 0.2 || row.StartupFirstQueryMS != 6 {
		t.Errorf("medians %+v", row)
	}
	if *row.CreateRange != (Spread{Median: 2, Min: 1, Max: 3, N: 3}) || row.StallRange.Max != 5 || len(row.Samples) != 3 {
		t.Errorf("spreads %+v %+v", row.CreateRange, row.StallRange)
	}
}

// TestReportRounds renders a search with medians, ranges, the reference's
// build times and the ratios, and plots it with error bars.
func TestReportRounds(t *testing.T) {
	r := sampleReport()
	r.Search.Rounds = 3
	r.Search.Rows = []SearchRow{
		{Mode: ModeInProcess, Ef: 16, Clients: 1, Rounds: 3, Recall: 0.95, RecallIDs: 0.95, QPS: 9000, QPSMin: 8000, QPSMax: 12000, Latency: Latency{Count: 30, P50: 0.1, P95: 0.2, P99: 0.3}},
		{Mode: ModeInProcess, Ef: 64, Clients: 1, Rounds: 3, Recall: 0.99, RecallIDs: 0.99, QPS: 4000, QPSMin: 3000, QPSMax: 5000, Latency: Latency{Count: 30, P50: 0.2, P95: 0.3, P99: 0.4}},
		{Mode: ModeHNSWLib, Ef: 16, Clients: 1, Rounds: 3, Recall: 0.94, RecallIDs: 0.94, QPS: 18000, QPSMin: 17000, QPSMax: 30000},
		{Mode: ModeHNSWLib, Ef: 64, Clients: 1, Rounds: 3, Recall: 0.99, RecallIDs: 0.99, QPS: 8000, QPSMin: 7000, QPSMax: 9000},
	}
	r.Search.ReferenceLib = "hnswlib (C++)"
	r.Search.ReferenceBuild = map[string]Spread{"2": {Median: 1.5, Min: 1, Max: 2, N: 3}, "1": {Median: 3, Min: 2.5, Max: 4, N: 3}}
	r.Search.Ratios = []RatioRow{{Ef: 16, Of: ModeInProcess, Over: ModeHNSWLib, Ratio: Spread{Median: 0.5, Min: 0.4, Max: 0.71, N: 3}, Rec: 0.95, RecTo: 0.94}}
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"medians of 3 interleaved round(s)",
		"| inprocess | 16 | 1 | 0.9500 | 0.9500 | 9000 (8000–12000) | 0.100 | 0.200 | 0.300 |",
		"| hnswlib | 64 | 1 | 0.9900 | 0.9900 | 8000 (7000–9000) |  |  |  |",
		"Reference build s, median (min–max): 1 thread(s) 3.00 (2.50–4.00), 2 thread(s) 1.50 (1.00–2.00)",
		"| 16 | inprocess / hnswlib = 0.50× (0.40–0.71) | 0.9500 / 0.9400 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	s := RecallSeries("x", r.Search.Rows, ModeHNSWLib)
	if !slices.Equal(s.Y, []float64{18000, 8000}) || !slices.Equal(s.YMin, []float64{17000, 7000}) || !slices.Equal(s.YMax, []float64{30000, 9000}) {
		t.Errorf("series %+v", s)
	}
	if one := RecallSeries("y", sampleReport().Search.Rows, ModeHTTP); one.YMin != nil {
		t.Errorf("single-round rows got error bars: %+v", one)
	}
	dir := t.TempDir()
	paths, err := writePlots(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "recall-qps.svg"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("plots %v: %v", paths, err)
	}
	for _, want := range []string{"hnswlib (C++), same run", "medians of 3 rounds"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("recall-qps.svg lacks %q", want)
		}
	}
}

// TestReferenceNoteKAndEfs: a run asking another k or other efs than
// hnswlib_ref's recall@10 at ef 16…256 says so in the table, the JSON and
// the plot, whose axis names the run's k.
func TestReferenceNoteKAndEfs(t *testing.T) {
	refEfs := []int{16, 32, 64, 128, 256} // what hnswlib_ref measures
	if n := referenceNote(10, []int{256, 16, 32, 64, 128}, refEfs); n != "" {
		t.Errorf("same k and efs noted: %q", n)
	}
	if n := referenceNote(5, refEfs, refEfs); !strings.Contains(n, "recall@10, Cairn's recall@5") || strings.Contains(n, "it measures ef") {
		t.Errorf("k note %q", n)
	}
	if n := referenceNote(10, []int{16, 512}, refEfs); !strings.Contains(n, "ef 16, 32, 64, 128, 256, Cairn ef 16, 512") {
		t.Errorf("efs note %q", n)
	}
	r := sampleReport()
	r.Search.K = 5
	r.Search.ReferenceLib = "hnswlib (C++)"
	r.Search.Rows = append(r.Search.Rows, SearchRow{Mode: ModeHNSWLib, Ef: 16, Clients: 1, Rounds: 1, Recall: 0.9, RecallIDs: 0.9, QPS: 30000})
	r.Search.ReferenceNote = referenceNote(5, []int{16, 64}, []int{16})
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	if md := buf.String(); !strings.Contains(md, "**Note: hnswlib_ref does not follow -k and -efs: its recall is recall@10, Cairn's recall@5;") ||
		!strings.Contains(md, "recall@10 counts ids in the true top 10") {
		t.Errorf("markdown:\n%s", md)
	}
	dir := t.TempDir()
	if _, err := writePlots(r, dir); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "recall-qps.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">recall@5<", "hnswlib (C++), same run (recall@10)", "QPS against recall@5"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("recall-qps.svg lacks %q", want)
		}
	}
}
