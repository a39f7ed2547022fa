// Package segment implements Cairn's sealed segment: an immutable folder of
// files written once by Write, fsynced, renamed into place and never modified
// again, then opened read-only through memory maps by Open.
//
// A segment holds n points sorted by id. Each point is addressed by its
// offset (0..n-1) in that order: its id, its version, one vector per
// configured vector (stored contiguously and 64-byte aligned so the batch
// distance kernels can scan a whole block), and its raw JSON payload. Extra
// files given by the caller (payload indexes, graphs) are stored verbatim and
// checksummed with the rest.
//
// Points deleted or replaced after sealing are recorded in a separate small
// file, deleted.bits, that is replaced atomically (a new inode through
// rename) by StoreDeleted, so a hard link taken earlier by a snapshot keeps
// showing the earlier state. The byte layout of every file is documented in
// docs/format/segment.md.
//
// A Segment is safe for concurrent readers. Close unmaps the files: the
// caller guarantees that no reader remains, since every slice a Segment
// returns points into a mapping.
package segment
