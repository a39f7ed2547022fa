package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plotFormats are the files each plot is written as.
var plotFormats = []string{"png", "svg"}

// Series is one curve of a plot: points in order, and a label.
type Series struct {
	Label  string
	X, Y   []float64
	Labels []string // optional text at each point (such as "ef=64")
	// YMin and YMax, when both as long as Y, draw an error bar at each
	// point from YMin to YMax (the range of repeated samples).
	YMin, YMax []float64
}

// hasBars reports whether s carries an error bar for every point.
func (s Series) hasBars() bool {
	return len(s.YMin) == len(s.Y) && len(s.YMax) == len(s.Y) && len(s.Y) > 0
}

// barPoints are the points of a series with their error bars, for
// plotter.NewYErrorBars.
type barPoints struct {
	plotter.XYs
	plotter.YErrors
}

// Len returns the number of points.
func (b barPoints) Len() int { return len(b.XYs) }

// PlotRecallQPS draws QPS (log y) against recall@k, one curve per series,
// as dir/name.png and dir/name.svg, and returns the paths.
func PlotRecallQPS(dir, name, title string, k int, series []Series) ([]string, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = fmt.Sprintf("recall@%d", k)
	p.Y.Label.Text = "queries per second"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	p.Legend.Left = true
	for i, s := range series {
		series[i] = positive(s)
	}
	if err := addSeries(p, series); err != nil {
		return nil, err
	}
	return savePlot(p, dir, name)
}

// PlotSnapshot draws two plots against the collection size (log x) and
// returns their paths: dir/name-time.{png,svg}, the snapshot create,
// download, upload-recover and restore-at-start-up times beside the
// reference tar -cf and tar -xf (log y, seconds), and dir/name-stall.{png,svg}, the write stall with the
// writer's baseline p50 and its longest write during creation
// (milliseconds).
func PlotSnapshot(dir, name string, rows []SnapshotRow) ([]string, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no snapshot rows to plot", ErrUsage)
	}
	pick := func(label string, f func(SnapshotRow) float64) Series {
		s := Series{Label: label}
		for _, r := range rows {
			s.X, s.Y = append(s.X, float64(r.Points)), append(s.Y, f(r))
		}
		return s
	}
	times := []Series{
		pick("create", func(r SnapshotRow) float64 { return r.CreateSeconds }),
		pick("tar -cf (reference)", func(r SnapshotRow) float64 { return r.TarCreateSecs }),
		pick("download", func(r SnapshotRow) float64 { return r.DownloadSeconds }),
		pick("upload + recover", func(r SnapshotRow) float64 { return r.RecoverSeconds }),
		pick("tar -xf of the snapshot", func(r SnapshotRow) float64 { return r.SnapshotXfSecs }),
		pick("restore at start-up (until ready)", func(r SnapshotRow) float64 { return r.StartupRestoreSecs }),
		pick("tar -xf of the storage files (reference)", func(r SnapshotRow) float64 { return r.TarExtractSecs }),
	}
	for i := range times {
		times[i] = positive(times[i])
	}
	p := sizePlot("Snapshot times against collection size", "seconds")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	if err := addSeries(p, times); err != nil {
		return nil, err
	}
	roomForLegend(p, len(times))
	paths, err := savePlot(p, dir, name+"-time")
	if err != nil {
		return paths, err
	}
	stall := []Series{
		pick("stall above baseline", func(r SnapshotRow) float64 { return r.StallMS }),
		pick("longest write during creation", func(r SnapshotRow) float64 { return r.DuringWrites.Max }),
		pick("baseline write p50", func(r SnapshotRow) float64 { return r.BaselineWrites.P50 }),
	}
	p = sizePlot("Write stall during snapshot creation", "milliseconds")
	if err := addSeries(p, stall); err != nil {
		return paths, err
	}
	more, err := savePlot(p, dir, name+"-stall")
	return append(paths, more...), err
}

// roomForLegend raises the top of a log y axis so that the curves keep
// below a top-left legend of entries lines.
func roomForLegend(p *plot.Plot, entries int) {
	lo, hi := p.Y.Min, p.Y.Max
	if !(lo > 0) || !(hi > lo) {
		return
	}
	share := max(0.3, 1-0.065*float64(entries)) // the part of the height left to the curves
	p.Y.Max = math.Exp(math.Log(lo) + (math.Log(hi)-math.Log(lo))/share)
}

// sizePlot is a plot whose x axis is the collection size, log scaled.
func sizePlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "points in the collection"
	p.Y.Label.Text = ylabel
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	return p
}

// logTicks labels the powers of ten of a log axis, or, when the range
// holds fewer than two of them, places ordinary ticks.
type logTicks struct{}

// Ticks returns the tick marks for the range min..max.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" && t.Value >= min && t.Value <= max {
			labelled++
		}
	}
	if labelled >= 2 {
		return ticks
	}
	return plot.DefaultTicks{}.Ticks(min, max)
}

// positive drops the points a log scale cannot show (y ≤ 0).
func positive(s Series) Series {
	out := Series{Label: s.Label}
	for i := range s.X {
		if s.Y[i] > 0 {
			out.X, out.Y = append(out.X, s.X[i]), append(out.Y, s.Y[i])
			if len(s.Labels) == len(s.X) {
				out.Labels = append(out.Labels, s.Labels[i])
			}
			if s.hasBars() {
				out.YMin, out.YMax = append(out.YMin, min(s.YMin[i], s.Y[i])), append(out.YMax, max(s.YMax[i], s.Y[i]))
			}
		}
	}
	return out
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
}

func addSeries(p *plot.Plot, series []Series) error {
	for i, s := range series {
		if len(s.X) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(s.X))
		for j := range s.X {
			xy[j].X, xy[j].Y = s.X[j], s.Y[j]
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", s.Label, err)
		}
		c := palette[i%len(palette)]
		line.Color, points.Color = c, c
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(s.Label, line, points)
		if s.hasBars() {
			if err := addBars(p, s, xy, c); err != nil {
				return err
			}
		}
		if len(s.Labels) == len(s.X) {
			labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: s.Labels})
			if err != nil {
				return fmt.Errorf("plot %s labels: %w", s.Label, err)
			}
			p.Add(labels)
		}
	}
	p.Add(plotter.NewGrid())
	return nil
}

// addBars draws the series' min–max range at each point as an error bar;
// a non-positive low end (which a log axis cannot show) draws no bar.
func addBars(p *plot.Plot, s Series, xy plotter.XYs, c color.Color) error {
	bp := barPoints{XYs: xy, YErrors: make(plotter.YErrors, len(xy))}
	for j := range xy {
		if s.YMin[j] > 0 {
			bp.YErrors[j].Low, bp.YErrors[j].High = s.Y[j]-s.YMin[j], s.YMax[j]-s.Y[j]
		}
	}
	bars, err := plotter.NewYErrorBars(bp)
	if err != nil {
		return fmt.Errorf("plot %s error bars: %w", s.Label, err)
	}
	bars.Color = c
	p.Add(bars)
	return nil
}

func savePlot(p *plot.Plot, dir, name string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save plot: %w", err)
	}
	var paths []string
	for _, ext := range plotFormats {
		path := filepath.Join(dir, name+"."+ext)
		if err := p.Save(18*vg.Centimeter, 12*vg.Centimeter, path); err != nil {
			return paths, fmt.Errorf("save plot %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// RecallSeries turns the rows of one mode into a recall–QPS curve through
// the median QPS, with the min–max range as error bars where a row has
// several samples.
func RecallSeries(label string, rows []SearchRow, mode string) Series {
	s := Series{Label: label}
	bars := true
	for _, r := range rows {
		if r.Mode == mode {
			s.X, s.Y = append(s.X, r.Recall), append(s.Y, r.QPS)
			s.YMin, s.YMax = append(s.YMin, r.QPSMin), append(s.YMax, r.QPSMax)
			s.Labels = append(s.Labels, fmt.Sprintf("ef=%d", r.Ef))
			bars = bars && r.Rounds > 1
		}
	}
	if !bars {
		s.YMin, s.YMax = nil, nil
	}
	return s
}

// ReferenceSeries turns a reference table (hnswlib_ref's) into a curve.
func ReferenceSeries(t *HNSWTable) Series {
	s := Series{Label: t.Lib}
	for _, r := range t.Search {
		s.X, s.Y = append(s.X, r.Recall), append(s.Y, r.QPS)
		s.Labels = append(s.Labels, fmt.Sprintf("ef=%d", r.Ef))
	}
	return s
}

// LoadReference reads reference search figures: the JSON object
// ../shared/bench/hnswlib_ref prints (the last JSON line of the file), or a
// CSV with the header ef,recall,qps.
func LoadReference(path string) (*HNSWTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load reference: %w", err)
	}
	t, err := ParseReference(b, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	if err != nil {
		return nil, fmt.Errorf("load reference %s: %w", path, err)
	}
	return t, nil
}

// ParseReference parses what LoadReference reads; a CSV table is labelled
// name.
func ParseReference(b []byte, name string) (*HNSWTable, error) {
	text := strings.TrimSpace(string(b))
	if strings.HasSuffix(text, "}") {
		line := text[strings.LastIndex(text, "\n")+1:]
		var t HNSWTable
		if err := json.Unmarshal([]byte(line), &t); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		return &t, nil
	}
	return parseReferenceCSV(strings.NewReader(text), name)
}

func parseReferenceCSV(r io.Reader, name string) (*HNSWTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, fmt.Errorf("%w: want a CSV with header ef,recall,qps (%v)", ErrFormat, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	ie, ok1 := col["ef"]
	ir, ok2 := col["recall"]
	iq, ok3 := col["qps"]
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("%w: header %v lacks ef, recall or qps", ErrFormat, recs[0])
	}
	t := &HNSWTable{Lib: name}
	for _, rec := range recs[1:] {
		if len(rec) <= max(ie, ir, iq) {
			return nil, fmt.Errorf("%w: short row %v", ErrFormat, rec)
		}
		ef, e1 := strconv.Atoi(strings.TrimSpace(rec[ie]))
		rc, e2 := strconv.ParseFloat(strings.TrimSpace(rec[ir]), 64)
		q, e3 := strconv.ParseFloat(strings.TrimSpace(rec[iq]), 64)
		if e1 != nil || e2 != nil || e3 != nil {
			return nil, fmt.Errorf("%w: row %v", ErrFormat, rec)
		}
		t.Search = append(t.Search, HNSWRow{Ef: ef, Recall: rc, QPS: q})
	}
	sort.Slice(t.Search, func(i, j int) bool { return t.Search[i].Ef < t.Search[j].Ef })
	return t, nil
}
