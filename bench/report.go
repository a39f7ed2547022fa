package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// Report is everything one `cairn bench` run measured, with where and how.
// Its JSON form is the results file.
type Report struct {
	Tool      string          `json:"tool"`
	Command   string          `json:"command"`
	Started   time.Time       `json:"started"`
	Seconds   float64         `json:"seconds"`
	Machine   Machine         `json:"machine"`
	Search    *SearchResult   `json:"search,omitempty"`
	Ingest    *IngestResult   `json:"ingest,omitempty"`
	Snapshot  *SnapshotResult `json:"snapshot,omitempty"`
	Reference *HNSWTable      `json:"reference,omitempty"` // e.g. hnswlib_ref's table, given with --hnswlib
	Plots     []string        `json:"plots,omitempty"`
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
		fmt.Fprintf(&b, "Search: %d × %d (%s), %d queries, recall@%d\n\n", s.Data.N, s.Data.Dim, s.Data.Metric, s.Data.Queries, s.K)
		b.WriteString("| mode | ef | clients | recall | recall (ids) | QPS (best of runs) | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, x := range s.Rows {
			fmt.Fprintf(&b, "| %s | %d | %d | %.4f | %.4f | %.0f | %.3f | %.3f | %.3f |\n", x.Mode, x.Ef, x.Clients,
				x.Recall, x.RecallIDs, x.QPS, x.Latency.P50, x.Latency.P95, x.Latency.P99)
		}
		if t := r.Reference; t != nil {
			for _, x := range t.Search {
				fmt.Fprintf(&b, "| %s | %d | 1 | — | %.4f | %.0f | | | |\n", t.Lib, x.Ef, x.Recall, x.QPS)
			}
		}
		b.WriteString("\n")
	}
	if in := r.Ingest; in != nil {
		fmt.Fprintf(&b, "Ingest: %d × %d (%s)\n\n", in.Data.N, in.Data.Dim, in.Data.Metric)
		b.WriteString("| batch | wait | clients | points/s | upload s | until indexed s | indexed |\n|---|---|---|---|---|---|---|\n")
		for _, x := range in.Rows {
			fmt.Fprintf(&b, "| %d | %t | %d | %.0f | %.2f | %.2f | %d |\n", x.BatchSize, x.Wait, x.Clients,
				x.PointsPerSec, x.UploadSeconds, x.IndexedSeconds, x.IndexedVectors)
		}
		b.WriteString("\n")
	}
	if sn := r.Snapshot; sn != nil {
		b.WriteString("Snapshots\n\n| points | dim | write p50 ms (baseline) | longest write during ms | stall ms | create s | tar -cf s | download s | upload+recover s | tar -xf s | archive MiB |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, x := range sn.Rows {
			fmt.Fprintf(&b, "| %d | %d | %.2f | %.2f | %.2f | %.3f | %s | %.3f | %.3f | %s | %.1f |\n", x.Points, x.Dim,
				x.BaselineWrites.P50, x.DuringWrites.Max, x.StallMS, x.CreateSeconds, optSecs(x.TarCreateSecs),
				x.DownloadSeconds, x.RecoverSeconds, optSecs(x.SnapshotXfSecs), float64(x.ArchiveBytes)/(1<<20))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
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
