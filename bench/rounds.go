package bench

import (
	"slices"
)

// Spread summarises repeated samples of one figure: their median, minimum
// and maximum. The shared machines are noisy (the same measurement varies
// by 30–100 %), so reports quote the median with the range beside it.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Median returns the median of xs (the mean of the two middle values for
// an even count), or 0 for no samples. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// SpreadOf returns the median, minimum and maximum of xs.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	return Spread{Median: Median(xs), Min: slices.Min(xs), Max: slices.Max(xs), N: len(xs)}
}

// Step is one measurement in an interleaved schedule: a round, a mode
// ("http", "inprocess" or "hnswlib") and an ef (0 for a step that measures
// every ef at once, as one hnswlib_ref invocation does).
type Step struct {
	Round int
	Mode  string
	Ef    int
}

// Schedule returns the interleaved order of the search measurements:
// rounds one after the other, and within each round every mode in turn,
// each over every ef. A mode whose efs list is nil is one step per round
// (Ef 0). Each (mode, ef) is thus measured once per round, never rounds
// times in a row, so slow drifts of the shared machine's load spread over
// every figure alike.
func Schedule(rounds int, modes []string, efs map[string][]int) []Step {
	var out []Step
	for r := range max(rounds, 1) {
		for _, m := range modes {
			list := efs[m]
			if list == nil {
				out = append(out, Step{Round: r, Mode: m})
				continue
			}
			for _, ef := range list {
				out = append(out, Step{Round: r, Mode: m, Ef: ef})
			}
		}
	}
	return out
}

// medianLatency is the field-wise median of per-round latency summaries.
func medianLatency(ls []Latency) Latency {
	if len(ls) == 0 {
		return Latency{}
	}
	pick := func(f func(Latency) float64) float64 {
		xs := make([]float64, len(ls))
		for i, l := range ls {
			xs[i] = f(l)
		}
		return Median(xs)
	}
	count := 0
	for _, l := range ls {
		count += l.Count
	}
	return Latency{
		Count: count,
		Mean:  pick(func(l Latency) float64 { return l.Mean }),
		P50:   pick(func(l Latency) float64 { return l.P50 }),
		P95:   pick(func(l Latency) float64 { return l.P95 }),
		P99:   pick(func(l Latency) float64 { return l.P99 }),
		Max:   pick(func(l Latency) float64 { return l.Max }),
	}
}
