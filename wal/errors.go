package wal

import "errors"

// ErrClosed is returned by operations on a closed Log.
var ErrClosed = errors.New("wal: log closed")

// ErrBroken is returned by Append and Sync after a write or fsync has failed:
// the log no longer knows which of its records are durable and refuses
// further writes until it is repaired (Log.Repair) or reopened. The
// returned error also wraps the original failure.
var ErrBroken = errors.New("wal: log broken by an earlier write or sync failure")

// ErrCorrupt is returned when Replay meets a record or segment header that
// fails validation (Open cuts such a tail; Replay sees one only if a file
// changed on disk after Open).
var ErrCorrupt = errors.New("wal: corrupt log")

// ErrTooLarge is returned by Append for a record larger than MaxRecordSize.
var ErrTooLarge = errors.New("wal: record too large")

// ErrNotAppended is returned by Sync for an LSN that has not been appended.
var ErrNotAppended = errors.New("wal: lsn not appended")

// ErrNoSpace is returned when the filesystem cannot hold a new segment
// (Options.SegmentSize bytes, preallocated): Open of a log that needs its
// first segment, or an append that needs a new one. Nothing was written
// and the log is not broken: the append can be retried once space is freed.
var ErrNoSpace = errors.New("wal: not enough free space")
