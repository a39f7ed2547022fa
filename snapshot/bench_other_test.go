//go:build !linux

package snapshot

import "testing"

// settle does nothing where syncfs is missing (see the Linux one).
func settle(*testing.B, string) {}
