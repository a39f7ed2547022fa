package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// Report is everything one `cairn bench` run measured, with where and how.
// Its JSON form is the results file.
type Report struct {
	Tool     string          `json:"tool"`
	Command  string          `json:"command"`
	Started  time.Time       `json:"started"`
	Seconds  float64         `json:"seconds"`
	Machine  Machine         `json:"machine"`
	Search   *SearchResult   `json:"search,omitempty"`
	Ingest   *IngestResult   `json:"ingest,omitempty"`
	Snapshot *SnapshotResult `json:"snapshot,omitempty"`
	// S3Snapshot holds the figures of `snapshot -s3`.
	S3Snapshot *S3Result  `json:"s3_snapshot,omitempty"`
	Reference  *HNSWTable `json:"reference,omitempty"` // e.g. hnswlib_ref's table, given with --hnswlib
	Plots      []string   `json:"plots,omitempty"`
}

// WriteJSON writes the report, indented, to path (temp, fsync, rename).
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := vfs.WriteFileAtomic(vfs.OS, path, append(b, '\n')); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteMarkdown writes the report as Markdown tables: a header naming the
// machine and the command, then one table per benchmark that ran.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "`%s` — %s, %d cores, simd %s, %s, commit %s\n\n", r.Command, m.CPU, m.Cores, m.SIMD, m.GoVersion, shortCommit(m))
	if s := r.Search; s != nil {
		writeSearchMarkdown(&b, s, r.Reference)
	}
	if in := r.Ingest; in != nil {
		fmt.Fprintf(&b, "Ingest: %d × %d (%s); medians of %d interleaved round(s)\n\n", in.Data.N, in.Data.Dim, in.Data.Metric, max(in.Rounds, 1))
		b.WriteString("| batch | wait | clients | points/s | upload s | until counted s | until indexed s | indexed | segments |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, x := range in.Rows {
			fmt.Fprintf(&b, "| %d | %t | %d | %s | %.2f | %s | %s | %d | %d |\n", x.BatchSize, x.Wait, x.Clients,
				spreadText(x.Rounds, x.PointsPerSec, x.PPSMin, x.PPSMax, "%.0f"), x.UploadSeconds,
				spreadText(x.Rounds, x.VisibleSeconds, x.VisibleMin, x.VisibleMax, "%.2f"),
				spreadText(x.Rounds, x.IndexedSeconds, x.IndexedMin, x.IndexedMax, "%.2f"), x.IndexedVectors, x.Segments)
		}
		fmt.Fprintf(&b, "\nTimes from the first upsert: until counted = points_count holds every point; until indexed = "+
			"green with indexed_vectors_count ≥ the points (every segment sealed, merged and given its HNSW graph). "+
			"Collections created with indexing_threshold %s kB, flush_interval_sec %s, default_segment_number %s.\n\n",
			orDefault(in.IndexingThreshold), orDefault(in.FlushIntervalSec), orDefault(in.Segments))
	}
	if sn := r.Snapshot; sn != nil {
		writeSnapshotMarkdown(&b, sn)
	}
	if s3 := r.S3Snapshot; s3 != nil {
		writeS3Markdown(&b, s3)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSnapshotMarkdown writes the snapshot tables: the writes and the
// creation, then the restores beside the reference tar -xf times, then the
// rows' notes.
func writeSnapshotMarkdown(b *strings.Builder, sn *SnapshotResult) {
	b.WriteString("Snapshot creation (medians over each row's rounds, min–max in brackets)\n\n" +
		"| points | dim | rounds | indexed vectors | write p50 ms (baseline) | longest write during ms | stall ms | create s | tar -cf s (reference) | archive MiB |\n" +
		"|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range sn.Rows {
		stall, create := fmt.Sprintf("%.2f", x.StallMS), fmt.Sprintf("%.3f", x.CreateSeconds)
		if x.StallRange != nil && x.CreateRange != nil {
			stall = spreadText(x.StallRange.N, x.StallMS, x.StallRange.Min, x.StallRange.Max, "%.2f")
			create = spreadText(x.CreateRange.N, x.CreateSeconds, x.CreateRange.Min, x.CreateRange.Max, "%.3f")
		}
		fmt.Fprintf(b, "| %d | %d | %d | %d | %.2f | %.2f | %s | %s | %s | %.1f |\n", x.Points, x.Dim, max(x.Rounds, 1), x.IndexedVectors,
			x.BaselineWrites.P50, x.DuringWrites.Max, stall, create, optSecs(x.TarCreateSecs), float64(x.ArchiveBytes)/(1<<20))
	}
	b.WriteString("\nSnapshot restore (medians): upload+recover into a new collection of the running server; restore at start-up = " +
		"from starting `cairn serve --snapshot FILE:NAME` (fresh storage) until /readyz answers; each followed by the first query (top 10)\n\n" +
		"| points | download s | upload+recover s | first query after ms | restore at start-up s | first query after ms | tar -xf of the storage files s (reference) | tar -xf of the snapshot s |\n" +
		"|---|---|---|---|---|---|---|---|\n")
	var notes []string
	for _, x := range sn.Rows {
		startup, startupQuery := "—", "—"
		if x.StartupRestoreSecs > 0 {
			startup, startupQuery = fmt.Sprintf("%.3f", x.StartupRestoreSecs), fmt.Sprintf("%.2f", x.StartupFirstQueryMS)
		}
		fmt.Fprintf(b, "| %d | %.3f | %.3f | %.2f | %s | %s | %s | %s |\n", x.Points, x.DownloadSeconds, x.RecoverSeconds, x.FirstQueryMS,
			startup, startupQuery, optSecs(x.TarExtractSecs), optSecs(x.SnapshotXfSecs))
		for _, n := range []string{x.StartupNote, x.Note} {
			if n != "" && !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	for _, n := range notes {
		fmt.Fprintf(b, "\nNote: %s.", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// orDefault formats a configuration value, 0 meaning the server's default.
func orDefault(v int) string {
	if v == 0 {
		return "(server default)"
	}
	return fmt.Sprint(v)
}

func optSecs(s float64) string {
	if s == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", s)
}

func shortCommit(m Machine) string {
	c := m.Commit
	if c == "" {
		return "unknown"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if m.Modified {
		c += "+dirty"
	}
	return c
}

// writeSearchMarkdown writes the search table (medians with the QPS
// range), the reference's build times, the QPS ratios, and the rows of a
// reference table given with --hnswlib.
func writeSearchMarkdown(b *strings.Builder, s *SearchResult, ref *HNSWTable) {
	fmt.Fprintf(b, "Search: %d × %d (%s), %d queries, recall@%d; medians of %d interleaved round(s)\n\n",
		s.Data.N, s.Data.Dim, s.Data.Metric, s.Data.Queries, s.K, max(s.Rounds, 1))
	cpu := slices.ContainsFunc(s.Rows, func(x SearchRow) bool { return x.CPUPerQueryUS > 0 })
	b.WriteString("| mode | ef | clients | recall | recall (ids) | QPS median (min–max) | p50 ms | p95 ms | p99 ms |")
	if cpu {
		b.WriteString(" server CPU µs/query median (min–max) |")
	}
	b.WriteString("\n|---|---|---|---|---|---|---|---|---|")
	if cpu {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, x := range s.Rows {
		lat := [3]string{}
		if x.Latency.Count > 0 {
			lat = [3]string{fmt.Sprintf("%.3f", x.Latency.P50), fmt.Sprintf("%.3f", x.Latency.P95), fmt.Sprintf("%.3f", x.Latency.P99)}
		}
		fmt.Fprintf(b, "| %s | %d | %d | %.4f | %.4f | %s | %s | %s | %s |", x.Mode, x.Ef, x.Clients,
			x.Recall, x.RecallIDs, qpsRange(x), lat[0], lat[1], lat[2])
		if cpu {
			c := ""
			if x.CPUPerQueryUS > 0 {
				c = spreadText(x.Rounds, x.CPUPerQueryUS, x.CPUMinUS, x.CPUMaxUS, "%.1f")
			}
			fmt.Fprintf(b, " %s |", c)
		}
		b.WriteString("\n")
	}
	if s.ReferenceLib != "" {
		fmt.Fprintf(b, "\nhnswlib rows: %s, run once per round between Cairn's; recall@%d counts ids in the true top %d; each sample is its best of %d passes.\n",
			s.ReferenceLib, HNSWLibRefK, HNSWLibRefK, HNSWLibRefPasses)
		if s.ReferenceNote != "" {
			fmt.Fprintf(b, "**Note: %s.**\n", s.ReferenceNote)
		}
	}
	if len(s.ReferenceBuild) > 0 {
		threads := make([]string, 0, len(s.ReferenceBuild))
		for t := range s.ReferenceBuild {
			threads = append(threads, t)
		}
		slices.Sort(threads)
		b.WriteString("Reference build s, median (min–max):")
		for i, t := range threads {
			sp := s.ReferenceBuild[t]
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(b, "%s %s thread(s) %.2f (%.2f–%.2f)", sep, t, sp.Median, sp.Min, sp.Max)
		}
		b.WriteString("\n")
	}
	if len(s.Ratios) > 0 {
		b.WriteString("\n| ef | QPS ratio, median of per-round ratios (min–max) | recall |\n|---|---|---|\n")
		for _, x := range s.Ratios {
			fmt.Fprintf(b, "| %d | %s / %s = %.2f× (%.2f–%.2f) | %.4f / %.4f |\n", x.Ef, x.Of, x.Over,
				x.Ratio.Median, x.Ratio.Min, x.Ratio.Max, x.Rec, x.RecTo)
		}
	}
	if coarse := coarseCPUSamples(s.Rows); coarse > 0 {
		fmt.Fprintf(b, "\n**Note: %d sample(s) used under %.1f s of server CPU; /proc counts it in 10 ms ticks, so their CPU per query is coarse: use more queries.**\n", coarse, coarseCPU)
	}
	if len(s.CPURatios) > 0 {
		b.WriteString("\n| ef | server CPU per query ratio, median of per-round ratios (min–max) |\n|---|---|\n")
		for _, x := range s.CPURatios {
			fmt.Fprintf(b, "| %d | %s / %s = %.2f× (%.2f–%.2f) |\n", x.Ef, x.Of, x.Over, x.Ratio.Median, x.Ratio.Min, x.Ratio.Max)
		}
	}
	if ref != nil {
		b.WriteString("\n| reference (--hnswlib file) | ef | recall (ids) | QPS |\n|---|---|---|---|\n")
		for _, x := range ref.Search {
			fmt.Fprintf(b, "| %s | %d | %.4f | %.0f |\n", ref.Lib, x.Ef, x.Recall, x.QPS)
		}
	}
	b.WriteString("\n")
}

// coarseCPU is the server CPU time under which a sample's CPU per query,
// counted in 10 ms ticks, is off by more than 2%.
const coarseCPU = 0.5

// coarseCPUSamples counts the samples whose server CPU was measured but
// under coarseCPU seconds.
func coarseCPUSamples(rows []SearchRow) int {
	n := 0
	for _, r := range rows {
		for _, s := range r.Samples {
			if s.CPUPerQueryUS > 0 && s.CPUSeconds < coarseCPU {
				n++
			}
		}
	}
	return n
}

// spreadText formats a median with its range when there are several
// samples, each number with format.
func spreadText(n int, median, lo, hi float64, format string) string {
	if n <= 1 {
		return fmt.Sprintf(format, median)
	}
	return fmt.Sprintf(format+" ("+format+"–"+format+")", median, lo, hi)
}

// qpsRange formats a row's median QPS with its range when it has more
// than one sample.
func qpsRange(x SearchRow) string {
	return spreadText(x.Rounds, x.QPS, x.QPSMin, x.QPSMax, "%.0f")
}
