//go:build unix

package engine

import "golang.org/x/sys/unix"

// processCPU returns the CPU time the process has used, in nanoseconds,
// and true. Benchmarks report it next to wall time because the build
// machine may be shared: time spent preempted by other processes counts in
// ns/op but not in CPU time.
func processCPU() (int64, bool) {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts) != nil {
		return 0, false
	}
	return ts.Nano(), true
}
