package snapshot

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// settle syncs the filesystem of dir, so that a round does not meet the
// writeback and discards of the previous round's removed files (this
// disk is mounted with discard: freeing 600 MB issues discards at the next
// journal commit, which a WAL fdatasync then queues behind).
func settle(b *testing.B, dir string) {
	f, err := os.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		b.Fatal(err)
	}
}
