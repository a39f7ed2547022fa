package s3snap

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// settle writes back the dirty pages of the filesystem holding dir before
// a round, as the stall benchmark does, so that no round inherits the
// writeback of the one before.
func settle(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("settle: syncfs: %w", err)
	}
	return nil
}
