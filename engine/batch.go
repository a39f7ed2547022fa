package engine

import (
	"context"
	"fmt"
)

// RunBatch answers a batch of read requests in order with run: Qdrant's
// batch semantics for search, recommend and query batches. The context is
// checked before each request; the first failure answers for the whole
// batch, naming the request by its index ("searches[2]: ..."). Batches
// only read, so nothing is left half done.
func RunBatch[T, R any](ctx context.Context, reqs []T, run func(context.Context, *T) (R, error)) ([]R, error) {
	out := make([]R, len(reqs))
	for i := range reqs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := run(ctx, &reqs[i])
		if err != nil {
			return nil, fmt.Errorf("searches[%d]: %w", i, err)
		}
		out[i] = r
	}
	return out, nil
}

// SearchBatch answers several searches in order (see RunBatch).
func (c *Collection) SearchBatch(ctx context.Context, reqs []SearchRequest) ([][]ScoredPoint, error) {
	checks := make([]readCheck, len(reqs))
	for i := range reqs {
		checks[i] = reqs[i].strictCheck()
	}
	ctx, err := c.checkRead(ctx, true, checks...)
	if err != nil {
		return nil, err
	}
	return RunBatch(ctx, reqs, func(ctx context.Context, r *SearchRequest) ([]ScoredPoint, error) {
		return c.Search(ctx, *r)
	})
}
