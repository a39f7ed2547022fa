package wal

import (
	"fmt"

	"github.com/cairn-db/cairn/vfs"
)

// Check reads every segment file of the log in dir without opening the log
// (nothing is written, no torn tail is cut) and reports the records it
// holds, oldest to newest, or the first flaw: a segment whose header
// disagrees with its name, a segment that does not start at the LSN after
// the previous one's last record (a gap), a record whose checksum fails or
// whose LSN is out of sequence, or a record cut short. The error names the
// segment file (its path) and wraps ErrCorrupt. Open would cut the
// log at such a flaw and go on; Check is for a log that must be whole, as
// one in a snapshot. A folder with no segment holds 0 records.
func Check(dir string) (records int64, err error) {
	found, err := listSegments(dir)
	if err != nil {
		return 0, err
	}
	var want uint64
	for _, s := range found {
		switch {
		case want != 0 && s.first > want:
			return records, fmt.Errorf("check wal segment %s: %w", s.path, &corruption{0,
				fmt.Sprintf("gap: records %d to %d are missing", want, s.first-1)})
		case want != 0 && s.first < want:
			return records, fmt.Errorf("check wal segment %s: %w", s.path, &corruption{0,
				fmt.Sprintf("starts at lsn %d, inside the previous segment, which ends at %d", s.first, want-1)})
		}
		_, next, err := scanSegment(s, want)
		if err != nil {
			return records, vfs.PathError("check wal segment", s.path, err)
		}
		records += int64(next - s.first)
		want = next
	}
	return records, nil
}
