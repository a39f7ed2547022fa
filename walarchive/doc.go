// Package walarchive ships every durable WAL record of every collection to
// an object store (backup.wal_archive), as immutable checksummed chunks,
// and replays an archive onto a restored snapshot up to a moment
// (point-in-time recovery).
//
// An Archiver runs in the server: each interval it reads, per shard, the
// records made durable since the last archived LSN (engine.Collection.
// ReadWAL), writes them as one or more chunks under
// wal/{collection}/{shard}/{firstLSN:020d}-{lastLSN:020d}.chunk, and then
// lets the engine truncate its WAL up to them (engine.Options.ArchivedLSN,
// Collection.TrimWAL). Where it left off is derived from the store's listing,
// so a restart resumes without a state file. Replay (see pitr.go) takes the
// chunks after a shard's LSN, refuses any gap naming the missing LSN range,
// and applies the records whose time is not after the moment.
//
// The chunk format is in docs/format/wal-archive.md.
package walarchive
