package wal

import (
	"fmt"
	"path/filepath"
)

// Check reads every segment file of the log in dir without opening the log
// (nothing is written, no torn tail is cut) and reports the records it
// holds, oldest to newest, or the first flaw: a segment whose header
// disagrees with its name, a segment that does not start at the LSN after
// the previous one's last record (a gap), a record whose checksum fails or
// whose LSN is out of sequence, or a record cut short. The error names the
// segment file (its base name) and wraps ErrCorrupt. Open would cut the
// log at such a flaw and go on; Check is for a log that must be whole, as
// one in a snapshot. A folder with no segment holds 0 records.
func Check(dir string) (records int64, err error) {
	found, err := listSegments(dir)
	if err != nil {
		return 0, err
	}
	var want uint64
	for _, s := range found {
		_, next, err := scanSegment(s, want)
		if err != nil {
			return records, fmt.Errorf("check wal segment %s: %w", filepath.Base(s.path), err)
		}
		records += int64(next - s.first)
		want = next
	}
	return records, nil
}
