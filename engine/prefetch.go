package engine

import (
	"errors"

	"github.com/cairn-db/cairn/hnsw"
)

// Prefetch maps the pages of every sealed segment's HNSW graphs and vector
// files now (madvise MADV_POPULATE_READ where the kernel has it; see
// vfs.Prefetch), so that the first searches on the collection take no page
// faults on them: a restore calls it once the restored collection is
// live. It reads only what the page cache lacks. Writes and searches go
// on meanwhile; segments replaced meanwhile are skipped or prefetched for
// nothing. The first error is returned (after trying every segment); it
// changes nothing but the prefetch.
func (c *Collection) Prefetch() error {
	var errs []error
	for _, s := range c.shards {
		s.mu.RLock()
		view := s.viewLocked()
		graphs := make([][]*hnsw.Graph, len(view))
		for i, sv := range view {
			for _, g := range sv.h.graphs {
				graphs[i] = append(graphs[i], g)
			}
		}
		s.mu.RUnlock()
		for i, sv := range view {
			// The graph first: a search starts there and reads the
			// vectors of the nodes it visits.
			for _, g := range graphs[i] {
				errs = append(errs, g.Prefetch())
			}
			errs = append(errs, sv.h.seg.Prefetch())
		}
		releaseView(view)
	}
	return errors.Join(errs...)
}
