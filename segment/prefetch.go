package segment

import (
	"fmt"
	"unsafe"

	"github.com/cairn-db/cairn/vfs"
)

// Prefetch maps the pages of every vector file of the segment now (see
// vfs.Prefetch), so that the first searches take no page faults on them.
func (s *Segment) Prefetch() error {
	for name, vb := range s.vectors {
		if len(vb.data) == 0 {
			continue
		}
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vb.data))), 4*len(vb.data))
		if err := vfs.Prefetch(b); err != nil {
			return fmt.Errorf("prefetch vectors %q of segment %s: %w", name, s.dir, err)
		}
	}
	return nil
}
