package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cairn-db/cairn/simd"
)

// Machine describes where and with what a benchmark ran.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	SIMD       string `json:"simd"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Commit     string `json:"commit,omitempty"`
	Modified   bool   `json:"modified,omitempty"` // the working tree had uncommitted changes
	Hostname   string `json:"hostname,omitempty"`
}

// DescribeMachine collects the CPU model (from /proc/cpuinfo), the cores, the
// SIMD kernel simd chose, the Go version, and the commit: the one stamped
// in the binary's build information, else (go run, go test) `git rev-parse
// HEAD` of the working directory.
func DescribeMachine(ctx context.Context) Machine {
	m := Machine{
		CPU: cpuModel("/proc/cpuinfo"), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		SIMD: simd.Chosen(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
	}
	m.Hostname, _ = os.Hostname()
	m.Commit, m.Modified = commit(ctx)
	return m
}

// cpuModel returns the first "model name" of a cpuinfo file ("" if none).
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, val, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return ""
}

func commit(ctx context.Context) (string, bool) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			return rev, dirty
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	dirty := false
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		dirty = len(strings.TrimSpace(string(st))) > 0
	}
	return strings.TrimSpace(string(out)), dirty
}
