package bench

import (
	"math"
	"testing"
	"time"
)

func TestRecall(t *testing.T) {
	// 1-d points 0..9; query at 0.1: true order 0,1,2,...
	base := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	queries := []float32{0.1, 5.0}
	gt := []int32{0, 1, 2, 3, 5, 4, 6, 3} // k=4 rows; query 2: 5,4,6 then 4 (tie at distance 1)
	cases := []struct {
		name      string
		got       [][]uint64
		want, ids float64
	}{
		{"perfect", [][]uint64{{0, 1, 2, 3}, {5, 4, 6, 3}}, 1, 1},
		{"order does not matter", [][]uint64{{3, 2, 1, 0}, {3, 6, 4, 5}}, 1, 1},
		// query 2's 4th true neighbour (3, at distance 2) is replaced by 7,
		// also at distance 2: a tie, counted by ann-benchmarks, not by ids.
		{"tie at k-th distance", [][]uint64{{0, 1, 2, 3}, {5, 4, 6, 7}}, 1, 7.0 / 8},
		{"half", [][]uint64{{0, 1, 8, 9}, {5, 4, 0, 9}}, 0.5, 0.5},
		{"short and out of range", [][]uint64{{0}, {5, 99}}, (0.25 + 0.25) / 2, (0.25 + 0.25) / 2},
		{"extra results ignored", [][]uint64{{9, 8, 7, 6, 0, 1, 2, 3}, {5, 4, 6, 3}}, 0.5, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := Recall(L2, base, queries, 1, c.got, gt, 4, 4); math.Abs(r-c.want) > 1e-9 {
				t.Errorf("Recall = %v, want %v", r, c.want)
			}
			if r := RecallIDs(c.got, gt, 4, 4); math.Abs(r-c.ids) > 1e-9 {
				t.Errorf("RecallIDs = %v, want %v", r, c.ids)
			}
		})
	}
	// k below the ground truth's width uses the first k true neighbours.
	if r := Recall(L2, base, queries, 1, [][]uint64{{0, 1}, {5, 4}}, gt, 4, 2); r != 1 {
		t.Errorf("recall@2 = %v", r)
	}
	if r := Recall(L2, base, queries, 1, nil, gt, 4, 4); r != 0 {
		t.Errorf("no queries: %v", r)
	}
}

func TestRecallCosine(t *testing.T) {
	base := []float32{1, 0, 0, 1, -1, 0}
	q := []float32{1, 0}
	if r := Recall(Cosine, base, q, 2, [][]uint64{{0}}, []int32{0}, 1, 1); r != 1 {
		t.Errorf("hit: %v", r)
	}
	if r := Recall(Cosine, base, q, 2, [][]uint64{{2}}, []int32{0}, 1, 1); r != 0 {
		t.Errorf("opposite vector: %v", r)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	s := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{0, time.Millisecond}, {50, 5500 * time.Microsecond}, {95, 9550 * time.Microsecond},
		{99, 9910 * time.Microsecond}, {100, 10 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v (numpy linear)", c.p, got, c.want)
		}
	}
	if Percentile(nil, 50) != 0 || Percentile(ms(7), 99) != 7*time.Millisecond {
		t.Error("empty or single sample")
	}
	l := Summarize(ms(10, 1, 3, 2))
	if l.Count != 4 || l.Max != 10 || l.P50 != 2.5 || l.Mean != 4 {
		t.Errorf("Summarize = %+v", l)
	}
	if Summarize(nil) != (Latency{}) {
		t.Error("Summarize(nil) not zero")
	}
}

func TestQPS(t *testing.T) {
	if q := QPS(500, 250*time.Millisecond); q != 2000 {
		t.Errorf("QPS = %v", q)
	}
	if QPS(5, 0) != 0 {
		t.Error("QPS over no time")
	}
}
