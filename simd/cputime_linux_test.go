package simd

import "syscall"

// threadCPU returns the CPU time the calling OS thread has used, in
// nanoseconds, and true. The benchmarks report it next to wall time
// because the build machine is shared: time spent preempted by other
// processes counts in ns/op but not in cpu-ns/op.
func threadCPU() (int64, bool) {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0, false
	}
	return syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime), true
}
