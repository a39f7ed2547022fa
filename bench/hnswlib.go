package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ReferenceRunner measures a reference library once on the run's data set
// and returns its table: build seconds and one row per ef. RunSearch calls
// it once per round, between Cairn's measurements.
type ReferenceRunner func(ctx context.Context) (*HNSWTable, error)

// ModeHNSWLib is the mode of the search rows measured by a ReferenceRunner.
const ModeHNSWLib = "hnswlib"

// HNSWLibRefK is the k of hnswlib_ref's recall (recall@10), whatever the
// run asks of Cairn, and HNSWLibRefPasses the passes over the queries of
// which it keeps the best QPS.
const (
	HNSWLibRefK      = 10
	HNSWLibRefPasses = 5
)

// referenceNote says how the reference's figures differ from the run's
// request (k, ef values), or "" when they match.
func referenceNote(k int, efs, refEfs []int) string {
	var diffs []string
	if k != HNSWLibRefK {
		diffs = append(diffs, fmt.Sprintf("its recall is recall@%d, Cairn's recall@%d", HNSWLibRefK, k))
	}
	if !slices.Equal(sortedInts(efs), sortedInts(refEfs)) {
		diffs = append(diffs, fmt.Sprintf("it measures ef %s, Cairn ef %s (ratios only where both measured)", joinInts(refEfs), joinInts(efs)))
	}
	if len(diffs) == 0 {
		return ""
	}
	return "hnswlib_ref does not follow -k and -efs: " + strings.Join(diffs, "; ")
}

func sortedInts(xs []int) []int {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

// HNSWLibRunner returns a ReferenceRunner that runs the compiled
// ../shared/bench/hnswlib_ref at bin on the data set folder dir (base.fvecs,
// query.fvecs, groundtruth.ivecs) with HNSW parameters M and efConstruction,
// and parses the JSON object it prints. Each run builds the index on 1 and
// 2 threads and measures single-thread QPS (best of HNSWLibRefPasses
// passes) and recall@10 at ef 16…256. Cosine data (unit vectors) is
// searched as inner product.
func HNSWLibRunner(bin, dir string, m Metric, M, efConstruction int) ReferenceRunner {
	space := "l2"
	if m == Cosine {
		space = "ip"
	}
	args := []string{dir, space, strconv.Itoa(M), strconv.Itoa(efConstruction)}
	return func(ctx context.Context) (*HNSWTable, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("run %s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		t, err := ParseHNSWLibOutput(out)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", bin, err)
		}
		return t, nil
	}
}

// ParseHNSWLibOutput parses what hnswlib_ref prints: one JSON object (the
// last line of out) with the library's name, build seconds per thread
// count and a search row per ef. A table without search rows or with a
// row that is not a measurement (ef < 1, recall outside 0..1, QPS ≤ 0) is
// an ErrFormat error.
func ParseHNSWLibOutput(out []byte) (*HNSWTable, error) {
	text := strings.TrimSpace(string(out))
	if !strings.HasSuffix(text, "}") {
		return nil, fmt.Errorf("%w: hnswlib_ref printed no JSON object: %q", ErrFormat, clip(text, 200))
	}
	t, err := ParseReference([]byte(text), ModeHNSWLib)
	if err != nil {
		return nil, err
	}
	if len(t.Search) == 0 {
		return nil, fmt.Errorf("%w: hnswlib_ref printed no search rows", ErrFormat)
	}
	for _, r := range t.Search {
		if r.Ef < 1 || r.Recall < 0 || r.Recall > 1 || !(r.QPS > 0) {
			return nil, fmt.Errorf("%w: hnswlib_ref row %+v", ErrFormat, r)
		}
	}
	if t.Lib == "" {
		t.Lib = ModeHNSWLib
	}
	return t, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// referenceRows turns the tables of every round into one search row per
// ef (mode "hnswlib", one client): median QPS and recall with the QPS
// range and every round's sample. hnswlib_ref's recall counts ids in the
// true top k, so Recall and RecallIDs are both that figure.
func referenceRows(tables []*HNSWTable) []SearchRow {
	byEf := map[int][]Sample{}
	for round, t := range tables {
		for _, r := range t.Search {
			byEf[r.Ef] = append(byEf[r.Ef], Sample{Round: round, QPS: r.QPS, Recall: r.Recall, RecallIDs: r.Recall})
		}
	}
	efs := make([]int, 0, len(byEf))
	for ef := range byEf {
		efs = append(efs, ef)
	}
	slices.Sort(efs)
	rows := make([]SearchRow, 0, len(efs))
	for _, ef := range efs {
		row := SearchRow{Mode: ModeHNSWLib, Ef: ef, Clients: 1, Runs: HNSWLibRefPasses}
		row.summarize(byEf[ef])
		rows = append(rows, row)
	}
	return rows
}

// referenceBuild returns the spread of the build seconds of every round,
// per thread count.
func referenceBuild(tables []*HNSWTable) map[string]Spread {
	by := map[string][]float64{}
	for _, t := range tables {
		for threads, s := range t.BuildS {
			by[threads] = append(by[threads], s)
		}
	}
	if len(by) == 0 {
		return nil
	}
	out := make(map[string]Spread, len(by))
	for threads, xs := range by {
		out[threads] = SpreadOf(xs)
	}
	return out
}

// runReference runs the reference once, logging how long it took.
func runReference(ctx context.Context, o SearchOptions, round int) (*HNSWTable, error) {
	t0 := time.Now()
	t, err := o.Reference(ctx)
	if err != nil {
		return nil, fmt.Errorf("reference round %d: %w", round+1, err)
	}
	if o.Log != nil {
		Logf(o.Log, "round %d: %s in %.1fs", round+1, t.Lib, time.Since(t0).Seconds())
	}
	return t, nil
}
