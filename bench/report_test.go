package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	return &Report{
		Tool: "cairn bench", Command: "cairn bench search -data d", Started: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Machine: Machine{CPU: "AMD EPYC", Cores: 2, SIMD: "avx2", GoVersion: "go1.26", Commit: "0123456789abcdef", Modified: true},
		Search: &SearchResult{Data: DataInfo{Dir: "d", N: 1000, Dim: 8, Queries: 10, Metric: L2}, K: 10, Rows: []SearchRow{
			{Mode: "http", Ef: 16, Clients: 4, Recall: 0.9, RecallIDs: 0.89, QPS: 1000, Latency: Latency{Count: 10, P50: 1, P95: 2, P99: 3}},
			{Mode: "http", Ef: 64, Clients: 4, Recall: 0.99, RecallIDs: 0.99, QPS: 500, Latency: Latency{Count: 10, P50: 2, P95: 3, P99: 4}},
			{Mode: "inprocess", Ef: 16, Clients: 1, Recall: 0.91, QPS: 20000},
		}},
		Ingest: &IngestResult{Rows: []IngestRow{{BatchSize: 64, Wait: true, Clients: 2, Points: 1000, PointsPerSec: 12345, UploadSeconds: 0.08, IndexedSeconds: 0.5, IndexedVectors: 1000}}},
		Snapshot: &SnapshotResult{Rows: []SnapshotRow{
			{Points: 10000, Dim: 128, IndexedVectors: 10000, StallMS: 1.5, CreateSeconds: 0.2, TarCreateSecs: 0.3, BaselineWrites: Latency{P50: 0.5}, DuringWrites: Latency{Max: 2}, ArchiveBytes: 5 << 20,
				DownloadSeconds: 0.01, RecoverSeconds: 0.12, FirstQueryMS: 1.5, StartupRestoreSecs: 0.25, StartupFirstQueryMS: 2.5, TarExtractSecs: 0.04, SnapshotXfSecs: 0.05},
			{Points: 1000000, Dim: 128, StallMS: 2.5, CreateSeconds: 3, TarCreateSecs: 2.8, ArchiveBytes: 500 << 20, StartupNote: "restore at start-up skipped: no cairn binary (-cairn-bin)"},
		}},
		Reference: &HNSWTable{Lib: "hnswlib", Search: []HNSWRow{{Ef: 16, Recall: 0.908, QPS: 47000}, {Ef: 64, Recall: 0.994, QPS: 16000}}},
	}
}

func TestReportJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	if err := sampleReport().WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	m := got["machine"].(map[string]any)
	for _, k := range []string{"cpu", "cores", "simd", "go_version", "commit"} {
		if _, ok := m[k]; !ok {
			t.Errorf("machine lacks %q", k)
		}
	}
	rows := got["search"].(map[string]any)["rows"].([]any)
	row := rows[0].(map[string]any)
	for _, k := range []string{"mode", "ef", "clients", "recall", "recall_ids", "qps"} {
		if _, ok := row[k]; !ok {
			t.Errorf("search row lacks %q", k)
		}
	}
	lat := row["latency"].(map[string]any)
	if lat["p50_ms"] != 1.0 || lat["p95_ms"] != 2.0 || lat["p99_ms"] != 3.0 {
		t.Errorf("latency %v", lat)
	}
	snap := got["snapshot"].(map[string]any)["rows"].([]any)[0].(map[string]any)
	for _, k := range []string{"points", "stall_above_baseline_ms", "create_s", "tar_cf_s", "download_s", "upload_recover_s", "archive_bytes"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("snapshot row lacks %q", k)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Search.Rows[1].QPS != 500 || back.Ingest.Rows[0].PointsPerSec != 12345 {
		t.Errorf("round trip: %v", err)
	}
}

func TestReportMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"`cairn bench search -data d`", "AMD EPYC", "avx2", "0123456789ab+dirty",
		"| mode | ef | clients | recall |", "| http | 16 | 4 | 0.9000 | 0.8900 | 1000 | 1.000 | 2.000 | 3.000 |",
		"| inprocess | 16 | 1 |", "| hnswlib | 64 | 0.9940 | 16000 |",
		"| 64 | true | 2 | 12345 |", "until counted s", "indexing_threshold (server default) kB",
		"| 10000 | 128 | 1 | 10000 | 0.50 | 2.00 | 1.50 | 0.200 | 0.300 | 5.0 |", "| 1000000 | 128 |",
		"| 10000 | 0.010 | 0.120 | 1.50 | 0.250 | 2.50 | 0.040 | 0.050 |", "| 1000000 | 0.000 | 0.000 | 0.00 | — | — | — | — |",
		"Note: restore at start-up skipped: no cairn binary (-cairn-bin).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// every table row has the same number of cells as its header
	for _, block := range strings.Split(md, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if !strings.HasPrefix(lines[0], "|") {
			continue
		}
		cells := strings.Count(lines[0], "|")
		for _, l := range lines[1:] {
			if strings.Count(l, "|") != cells {
				t.Errorf("row %q has %d bars, header %d", l, strings.Count(l, "|"), cells)
			}
		}
	}
}

func TestPlotsWritten(t *testing.T) {
	dir := t.TempDir()
	r := sampleReport()
	paths, err := writePlots(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"recall-qps.png", "recall-qps.svg", "snapshot-time.png", "snapshot-time.svg", "snapshot-stall.png", "snapshot-stall.svg"}
	if len(paths) != len(want) {
		t.Fatalf("plots %v", paths)
	}
	for i, p := range paths {
		if filepath.Base(p) != want[i] {
			t.Errorf("plot %d is %s, want %s", i, p, want[i])
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(p) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 1000 {
				t.Errorf("%s is not a PNG (%d bytes)", p, len(b))
			}
		case ".svg":
			if !bytes.Contains(b[:min(len(b), 512)], []byte("<svg")) {
				t.Errorf("%s is not an SVG", p)
			}
			if label := map[string]string{"recall-qps.svg": "hnswlib", "snapshot-time.svg": "tar -cf", "snapshot-stall.svg": "baseline"}[filepath.Base(p)]; !bytes.Contains(b, []byte(label)) {
				t.Errorf("%s lacks the curve %q", p, label)
			}
		}
	}
	if _, err := PlotSnapshot(dir, "x", nil); err == nil {
		t.Error("empty snapshot plot accepted")
	}
}

func TestLoadReference(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "hnswlib.json")
	os.WriteFile(js, []byte(`building...
{"lib":"hnswlib (C++, -march=native)","metric":"l2","n":100000,"dim":128,"M":16,"ef_construction":100,"build_s":{"1":9.1,"2":4.2},"search":[{"ef":16,"recall":0.9080,"qps":47000},{"ef":32,"recall":0.9760,"qps":28000}]}
`), 0o644)
	tab, err := LoadReference(js)
	if err != nil || tab.Lib != "hnswlib (C++, -march=native)" || len(tab.Search) != 2 || tab.Search[1].QPS != 28000 || tab.BuildS["2"] != 4.2 {
		t.Fatalf("json reference: %+v %v", tab, err)
	}
	csvPath := filepath.Join(dir, "faiss.csv")
	os.WriteFile(csvPath, []byte("qps,ef,recall\n1000,64,0.99\n2000,16,0.9\n"), 0o644)
	tab, err = LoadReference(csvPath)
	if err != nil || tab.Lib != "faiss" || len(tab.Search) != 2 || tab.Search[0].Ef != 16 || tab.Search[1].Recall != 0.99 {
		t.Fatalf("csv reference: %+v %v", tab, err)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("a,b\n1,2\n"), 0o644)
	if _, err := LoadReference(bad); err == nil {
		t.Fatal("CSV without ef/recall/qps accepted")
	}
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false, "upload", 100)
	for range 100 {
		p.Add(1)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[0], "upload: 10/100 (10%)") || !strings.HasPrefix(lines[9], "upload: done 100/100") {
		t.Fatalf("plain progress:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "\r") {
		t.Fatal("carriage return in plain mode")
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, true, "load", 4)
	p.Add(4)
	p.Done()
	if !strings.Contains(buf.String(), "\rload [==============================] 4/4") || !strings.HasSuffix(buf.String(), "\n") {
		t.Fatalf("bar: %q", buf.String())
	}
	if IsTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
}

func TestDescribeMachine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpuinfo")
	os.WriteFile(path, []byte("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\nflags\t: avx2\n"), 0o644)
	if got := cpuModel(path); got != "AMD EPYC 7B13 64-Core Processor" {
		t.Fatalf("cpuModel = %q", got)
	}
	if cpuModel(filepath.Join(t.TempDir(), "none")) != "" {
		t.Fatal("missing cpuinfo gave a model")
	}
	m := DescribeMachine(context.Background())
	if m.Cores < 1 || m.GOMAXPROCS < 1 || m.SIMD == "" || !strings.HasPrefix(m.GoVersion, "go") {
		t.Fatalf("machine %+v", m)
	}
}

func FuzzParseReference(f *testing.F) {
	f.Add([]byte("ef,recall,qps\n16,0.9,1000\n"), "x")
	f.Add([]byte(`{"lib":"hnswlib","search":[{"ef":16,"recall":0.9,"qps":5}]}`), "x")
	f.Add([]byte("ef,recall,qps\n16\n"), "")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		tab, err := ParseReference(b, name)
		if err == nil && tab == nil {
			t.Fatal("nil table without error")
		}
	})
}
