package bench

import (
	"math"

	"github.com/cairn-db/cairn/simd"
)

// RecallEpsilon is ann-benchmarks' tolerance: a returned neighbour counts if
// its distance is at most the k-th true distance plus this.
const RecallEpsilon = 1e-3

// Distance returns ann-benchmarks' distance between a and b: the Euclidean
// distance for L2, 1 − cosine similarity for Cosine (normalised vectors).
func Distance(m Metric, a, b []float32) float64 {
	if m == Cosine {
		return 1 - float64(simd.Dot(a, b))
	}
	return math.Sqrt(float64(simd.L2Squared(a, b)))
}

// Recall is recall@k as ann-benchmarks defines it (its "knn" metric): for
// each query, the share of the first k returned ids whose distance to the
// query is at most the k-th true neighbour's distance plus RecallEpsilon,
// averaged over queries. Distances are recomputed from base, so ties at the
// k-th distance are not counted as misses. got[i] holds query i's returned
// ids (base rows), gt holds gdim true ids per query, nearest first. Ids
// outside base count as misses.
func Recall(m Metric, base, queries []float32, dim int, got [][]uint64, gt []int32, gdim, k int) float64 {
	nq := len(got)
	if nq == 0 || k < 1 || gdim < k {
		return 0
	}
	n := uint64(len(base) / dim)
	total := 0.0
	for i, ids := range got {
		q := queries[i*dim : (i+1)*dim]
		kth := int(gt[i*gdim+k-1])
		limit := Distance(m, q, base[kth*dim:(kth+1)*dim]) + RecallEpsilon
		hit := 0
		for _, id := range ids[:min(k, len(ids))] {
			if id < n && Distance(m, q, base[int(id)*dim:(int(id)+1)*dim]) <= limit {
				hit++
			}
		}
		total += float64(hit) / float64(k)
	}
	return total / float64(nq)
}

// RecallIDs is the id-intersection recall@k that hnswlib_ref prints: the
// share of the true top-k ids found among the first k returned, averaged
// over queries.
func RecallIDs(got [][]uint64, gt []int32, gdim, k int) float64 {
	if len(got) == 0 || k < 1 || gdim < k {
		return 0
	}
	total := 0
	for i, ids := range got {
		truth := gt[i*gdim : i*gdim+k]
		for _, id := range ids[:min(k, len(ids))] {
			for _, t := range truth {
				if uint64(t) == id && t >= 0 {
					total++
					break
				}
			}
		}
	}
	return float64(total) / float64(len(got)*k)
}
