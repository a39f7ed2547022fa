package engine

import (
	"math"
	"sort"

	"github.com/cairn-db/cairn/point"
)

// rrfK is Qdrant's default k of Reciprocal Rank Fusion.
const rrfK = 2

// Fuse combines ranked lists (best first) into one, best first: FusionRRF
// scores a point Σ 1/(k + rank) over the lists it appears in (rank from
// 0); FusionDBSF normalises each list's scores to [0, 1] between mean ± 3σ and
// sums them. higher says whether a larger raw score is better (false for
// Euclid and Manhattan distances).
func Fuse(method string, lists [][]ScoredPoint, higher bool) []ScoredPoint {
	score := map[point.ID]float64{}
	first := map[point.ID]ScoredPoint{}
	var order []point.ID
	add := func(p ScoredPoint, s float64) {
		if _, seen := first[p.ID]; !seen {
			first[p.ID] = p
			order = append(order, p.ID)
		}
		score[p.ID] += s
	}
	for _, l := range lists {
		if method == FusionRRF {
			for rank, p := range l {
				add(p, 1/float64(rrfK+rank))
			}
			continue
		}
		norm := dbsfNormalizer(l, higher)
		for _, p := range l {
			add(p, norm(p.Score))
		}
	}
	out := make([]ScoredPoint, len(order))
	for i, id := range order {
		p := first[id]
		p.Score = float32(score[id])
		out[i] = p
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return point.Compare(out[i].ID, out[j].ID) < 0
	})
	return out
}

// dbsfNormalizer maps a list's scores into [0, 1] using mean ± 3σ.
func dbsfNormalizer(l []ScoredPoint, higher bool) func(float32) float64 {
	sign := 1.0
	if !higher {
		sign = -1
	}
	if len(l) == 0 {
		return func(float32) float64 { return 0 }
	}
	var sum, sq float64
	for _, p := range l {
		v := sign * float64(p.Score)
		sum += v
		sq += v * v
	}
	n := float64(len(l))
	mean := sum / n
	std := math.Sqrt(max(0, sq/n-mean*mean))
	lo, hi := mean-3*std, mean+3*std
	return func(s float32) float64 {
		v := sign * float64(s)
		if hi == lo {
			return 0.5
		}
		return min(1, max(0, (v-lo)/(hi-lo)))
	}
}
