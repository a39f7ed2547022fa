package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// upload writes every row of base as points 0..n-1 in batches of batch
// rows, with clients requests in flight, and returns the wall time.
func upload(ctx context.Context, c *Client, name string, base []float32, dim, batch, clients int, wait bool, p *Progress) (time.Duration, error) {
	n := len(base) / dim
	batch, clients = max(batch, 1), max(clients, 1)
	batches := (n + batch - 1) / batch
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, clients)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= batches || ctx.Err() != nil {
					return
				}
				lo, hi := b*batch, min((b+1)*batch, n)
				if err := c.Upsert(ctx, name, uint64(lo), base[lo*dim:hi*dim], dim, wait); err != nil {
					errs[w] = fmt.Errorf("upload rows %d–%d: %w", lo, hi, err)
					cancel()
					return
				}
				p.Add(hi - lo)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return wall, err
		}
	}
	return wall, nil
}
