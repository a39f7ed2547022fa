package hnsw

import (
	"fmt"

	"github.com/cairn-db/cairn/vfs"
)

// Prefetch maps every page of an opened graph's file now (see
// vfs.Prefetch), so that the first searches take no page faults on it. A
// graph built in memory has nothing to prefetch.
func (g *Graph) Prefetch() error {
	if g.mapping == nil {
		return nil
	}
	if err := vfs.Prefetch(g.mapping); err != nil {
		return fmt.Errorf("prefetch hnsw graph %s: %w", g.path, err)
	}
	return nil
}
