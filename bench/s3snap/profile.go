package s3snap

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// profiled runs f with a CPU profile into cpu+suffix and an execution
// trace into tr+suffix when those are not "" (a restore's own files: a
// profile cannot be paused while the reference download runs).
func profiled(cpu, tr, suffix string, f func() error) (err error) {
	if cpu != "" {
		out, err := os.Create(cpu + suffix)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() { err = errors.Join(err, out.Close()) }()
		if err := pprof.StartCPUProfile(out); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if tr != "" {
		out, err := os.Create(tr + suffix)
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		defer func() { err = errors.Join(err, out.Close()) }()
		if err := trace.Start(out); err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		defer trace.Stop()
	}
	return f()
}
