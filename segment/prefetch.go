package segment

import (
	"fmt"

	"github.com/cairn-db/cairn/vfs"
)

// Prefetch maps the pages of every vector file of the segment now (see
// vfs.Prefetch), so that the first searches take no page faults on them.
func (s *Segment) Prefetch() error {
	for name, vb := range s.vectors {
		if len(vb.raw) == 0 {
			continue
		}
		if err := vfs.Prefetch(vb.raw); err != nil {
			return fmt.Errorf("prefetch vectors %q of segment %s: %w", name, s.dir, err)
		}
	}
	return nil
}
