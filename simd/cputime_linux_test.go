package simd

import "golang.org/x/sys/unix"

// threadCPU returns the CPU time the calling OS thread has used, in
// nanoseconds, and true. The benchmarks report it next to wall time
// because a build machine may be shared: time spent preempted by other
// processes counts in ns/op but not in cpu-ns/op. It reads
// CLOCK_THREAD_CPUTIME_ID, which counts nanoseconds; getrusage's
// RUSAGE_THREAD counts in scheduler ticks (4 ms here), far too coarse for
// a 2 ms scan timed call by call.
func threadCPU() (int64, bool) {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0, false
	}
	return ts.Nano(), true
}
