package engine

import (
	"math"
	"sort"

	"github.com/cairn-db/cairn/point"
)

// DefaultRRFK is Qdrant's default k of Reciprocal Rank Fusion.
const DefaultRRFK = 2

// RRFParams are the parameters of {"rrf": {"k": K, "weights": [...]}}:
// K 0 means DefaultRRFK; Weights, when set, weigh each prefetch's list
// (one weight per prefetch).
type RRFParams struct {
	K       *int
	Weights []float32
}

// rrfPositionScore is Qdrant's RRF score of the point at position pos
// (from 0) of a list of weight w: 1 / ((pos + 1) / w + k − 1), which is
// 1 / (pos + k) for w = 1; a weight of 0 or less contributes nothing.
func rrfPositionScore(pos, k int, w float32) float32 {
	if w <= 0 {
		return 0
	}
	return 1 / (float32(pos+1)/w + float32(k) - 1)
}

// Fuse combines ranked lists (best first) into one, best first: FusionRRF
// scores a point Σ 1/(k + rank) over the lists it appears in (rank from
// 0, k and weights from rrf); FusionDBSF normalises each list's scores
// between mean ± 3σ (σ the sample deviation; a one-point list scores 0.5)
// and sums them, as Qdrant does. higher[i] says whether a larger raw score
// is better in list i (false for a Euclid or Manhattan search); a list
// past the end of higher is read as higher-is-better. Ties go to the
// smaller id.
func Fuse(method string, rrf RRFParams, lists [][]ScoredPoint, higher []bool) []ScoredPoint {
	score := map[point.ID]float32{}
	first := map[point.ID]ScoredPoint{}
	var order []point.ID
	add := func(p ScoredPoint, s float32) {
		if _, seen := first[p.ID]; !seen {
			first[p.ID] = p
			order = append(order, p.ID)
		}
		score[p.ID] += s
	}
	k := DefaultRRFK
	if rrf.K != nil && *rrf.K > 0 {
		k = *rrf.K
	}
	for i, l := range lists {
		if method == FusionRRF {
			w := float32(1)
			if i < len(rrf.Weights) {
				w = rrf.Weights[i]
			}
			for rank, p := range l {
				add(p, rrfPositionScore(rank, k, w))
			}
			continue
		}
		hi := i >= len(higher) || higher[i]
		norm := dbsfNormalizer(l, hi)
		for _, p := range l {
			add(p, norm(p.Score))
		}
	}
	out := make([]ScoredPoint, len(order))
	for i, id := range order {
		p := first[id]
		p.Score = score[id]
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

// dbsfNormalizer is Qdrant's distribution normalisation of one list: the
// mean and sample variance in float32 by Welford's method, extremes at
// mean ± 3σ, a score mapped to (s − lo) / (hi − lo) (to (hi − s) / (hi −
// lo) when smaller is better), without clamping; 0.5 for every score when
// the list has one point or the extremes coincide.
func dbsfNormalizer(l []ScoredPoint, higher bool) func(float32) float32 {
	if len(l) < 2 {
		return func(float32) float32 { return 0.5 }
	}
	var mean, agg float32
	for i, p := range l {
		old := p.Score - mean
		mean += old / float32(i+1)
		agg += old * (p.Score - mean)
	}
	std := float32(math.Sqrt(float64(agg / float32(len(l)-1))))
	lo, hi := mean-3*std, mean+3*std
	return func(s float32) float32 {
		switch {
		case lo == hi:
			return 0.5
		case higher:
			return (s - lo) / (hi - lo)
		default:
			return (hi - s) / (hi - lo)
		}
	}
}
