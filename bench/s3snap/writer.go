package s3snap

import (
	"math/rand/v2"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot/stallprobe"
)

// writerFirstID is the first id the writer upserts (100,000 ids from it,
// round after round), far from the collection's and the churn's.
const writerFirstID = 2000000

// startWriter starts the stall probe of snapshot's BenchmarkSnapshotStall:
// single points upserted with wait=true in a loop, each call's span
// recorded.
func startWriter(c *engine.Collection, dim int) *stallprobe.Writer {
	r := rand.New(rand.NewPCG(99, 7))
	return stallprobe.Start(c, func(i int) []engine.PointStruct {
		return randomPoints(r, writerFirstID+i%100000, 1, dim)
	})
}

// randomPoints returns n points of dimension dim with ids from first,
// uniform in [-1, 1), with a small payload.
func randomPoints(r *rand.Rand, first, n, dim int) []engine.PointStruct {
	pts := make([]engine.PointStruct, n)
	for i := range pts {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		pts[i] = engine.PointStruct{ID: point.NumID(uint64(first + i)), Vector: engine.Vectors{"": v},
			Payload: map[string]any{"tag": []string{"a", "b"}[(first+i)%2]}}
	}
	return pts
}
