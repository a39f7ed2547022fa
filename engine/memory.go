package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// MemoryReading is what max_resident_memory_percent compares: the
// process's resident memory and the memory available to it, in bytes.
type MemoryReading struct {
	// Resident is the process's resident set size.
	Resident uint64
	// Total is the cgroup v2 memory limit where one is set, else the
	// machine's memory.
	Total uint64
}

// errNoMemoryReading is the reason max_resident_memory_percent is refused
// where the process's memory cannot be read.
var errNoMemoryReading = errors.New("the resident memory of the process cannot be read on " + runtime.GOOS)

// readMemory is the default Options.Memory: RSS pages of /proc/self/statm
// times the page size, over /sys/fs/cgroup/memory.max (when not "max")
// or else MemTotal of /proc/meminfo. Only Linux has these files.
func readMemory() (MemoryReading, error) {
	if runtime.GOOS != "linux" {
		return MemoryReading{}, errNoMemoryReading
	}
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return MemoryReading{}, fmt.Errorf("read resident memory: %w", err)
	}
	res, err := parseStatmRSS(statm)
	if err != nil {
		return MemoryReading{}, err
	}
	total, err := totalMemory()
	if err != nil {
		return MemoryReading{}, err
	}
	return MemoryReading{Resident: res * uint64(os.Getpagesize()), Total: total}, nil
}

// parseStatmRSS returns the resident pages, the second field of statm.
func parseStatmRSS(b []byte) (uint64, error) {
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("parse /proc/self/statm: %d fields", len(f))
	}
	n, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc/self/statm: %w", err)
	}
	return n, nil
}

// totalMemory is the cgroup v2 limit, else MemTotal.
func totalMemory() (uint64, error) {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, ok := parseCgroupMax(b); ok {
			return n, nil
		}
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("read total memory: %w", err)
	}
	return parseMemTotal(b)
}

// parseCgroupMax reads memory.max: a byte count, or "max" (no limit).
func parseCgroupMax(b []byte) (uint64, bool) {
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// parseMemTotal reads the MemTotal line (in kB) of /proc/meminfo.
func parseMemTotal(b []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil || n == 0 {
				return 0, fmt.Errorf("parse MemTotal %q", sc.Text())
			}
			return n * 1024, nil
		}
	}
	return 0, errors.New("parse /proc/meminfo: no MemTotal line")
}

// percent is Resident in percent of Total, rounded down and at most 100,
// as Qdrant computes it.
func (m MemoryReading) percent() int {
	if m.Total == 0 {
		return 0
	}
	if m.Resident >= m.Total {
		return 100
	}
	return int(m.Resident * 100 / m.Total) // Resident < Total: no overflow short of 10^17 bytes
}

// readMemory reads the collection's memory figures (Options.Memory).
func (c *Collection) readMemory() (MemoryReading, error) {
	if c.core.memory == nil {
		return readMemory()
	}
	return c.core.memory()
}

// checkResidentMemory refuses a memory-consuming update once resident
// memory is at limit percent or more, with Qdrant's text. A reading that
// fails lets the update through, as Qdrant does; a collection only takes
// the setting where a reading worked (checkMemoryReadable).
func (c *Collection) checkResidentMemory(limit int) error {
	m, err := c.readMemory()
	if err != nil || m.Total == 0 {
		return nil
	}
	used := m.percent()
	if used < limit {
		return nil
	}
	return errBadRequestText("Bad request: Resident memory usage is at %d%% of total memory, exceeding the configured limit of %d%%. "+
		"Help: Reduce memory usage (e.g. delete points or drop collections), or raise `max_resident_memory_percent` in the strict mode config of this collection.", used, limit)
}

// checkMemoryReadable refuses a strict mode that sets
// max_resident_memory_percent where read cannot measure memory: the limit
// would be accepted and never checked.
func checkMemoryReadable(sm *StrictModeConfig, read func() (MemoryReading, error)) error {
	if sm == nil || sm.MaxResidentMemoryPercent == nil {
		return nil
	}
	if read == nil {
		read = readMemory
	}
	m, err := read()
	if err == nil && m.Total == 0 {
		err = errors.New("the total memory reads as 0")
	}
	if err != nil {
		return errBadRequestText("Bad request: strict_mode_config.max_resident_memory_percent is not supported here: %v", err)
	}
	return nil
}
