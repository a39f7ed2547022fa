// Package wal is Cairn's write-ahead log: a sequence of checksummed records,
// numbered by log sequence numbers (LSNs) that start at 1 and increase by one
// per record, stored in segment files of bounded size.
//
// Append writes a record to the operating system; Sync makes every record up
// to an LSN durable. Concurrent callers of Sync share one fsync (group
// commit): one caller, the leader, fsyncs while the others wait for its
// result, and a caller whose record was appended after the leader started
// waits for the next round.
//
// A failed write or fsync breaks the log: the error is returned to every
// waiter and every later Append or Sync fails with ErrBroken, because after a
// failed fsync the kernel may have dropped dirty pages and no later fsync can
// prove them durable (the lesson of PostgreSQL's "fsyncgate"). Records
// acknowledged by an earlier successful Sync stay durable. Repair (or a
// reopen) makes the log writable again: it cuts the log back to the start
// of the batch whose write failed, or, after a failed fsync, to the last
// record a successful fsync covered, truncating the file there, and fsyncs;
// see Repair and docs/format/wal.md.
//
// Segment files have their blocks preallocated to the segment size when
// created (fallocate with FALLOC_FL_KEEP_SIZE, where the filesystem has it),
// and a background goroutine keeps the space just after the last record of
// the current segment written with zeros and synced (see prefill.go), so
// that an append and its fdatasync change no file metadata and need no
// journal commit. Sync uses fdatasync. Zeros after the last record of a
// segment end its records; they are not corruption, and the file size is
// not the end of the records (Extents reports that).
//
// With Options.SegmentsAhead (Qdrant's wal_segments_ahead) the log keeps
// that many empty, preallocated spare files ready; a rotation renames one
// into the next segment instead of creating a file, and a background
// goroutine makes the next spare (see ahead.go).
//
// Open recovers the log: it checks every segment header and record (length,
// CRC-32C, LSN sequence) and cuts the log at the last good record, truncating
// that segment and removing every later one, with a slog warning naming the
// file and offset. A corrupt record in the middle is treated like a torn
// tail: everything after it, including later valid segments, is dropped. If
// anything but zeros follows the last good record of the last segment (a
// torn append), that segment is truncated there and preallocated again, so
// no stale byte can ever be read back as a record. The byte layout and
// recovery rules are in docs/format/wal.md.
//
// Every operation that changes files goes through Options.FS (a vfs.FS), so
// tests can inject faults; reads use the os package directly.
package wal
