package wal

// Extent is the part of one segment file that holds the log's records at
// the moment Extents was called.
type Extent struct {
	// Path is the segment file's path.
	Path string
	// Size is the number of bytes from the start of the file that hold the
	// segment header and its records. Bytes after it are preallocated
	// space, zeros, or records appended later; a copy of the first Size
	// bytes replays exactly the records appended before the call.
	Size int64
}

// Extents returns every segment file of the log, oldest first, with the
// length of its valid content, taken at one point under the log's lock: no
// record appended after the call lies within the returned extents, and no
// record appended before it lies outside. The segment being appended to
// reports the end of its last record at the call, an earlier one (which
// never changes again) the end of its records; either file may be longer
// (preallocated and zero-filled ahead of the appends).
func (l *Log) Extents() ([]Extent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	out := make([]Extent, 0, len(l.segs))
	for i, s := range l.segs {
		if i == len(l.segs)-1 {
			out = append(out, Extent{Path: s.path, Size: l.curSize})
			continue
		}
		out = append(out, Extent{Path: s.path, Size: s.end})
	}
	return out, nil
}
