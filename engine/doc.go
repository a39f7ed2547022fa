// Package engine is Cairn's collection engine: a Storage holds collections
// (and their aliases); a collection is split into shards by a hash of the
// point id; each shard has its own write-ahead log, an in-memory mutable head
// that is searchable at once, and immutable memory-mapped segments listed by
// a manifest, the shard's single source of truth.
//
// A write is encoded as a WAL record (puts of whole points, or deletions:
// every operation — set_payload, update_vectors, delete by filter — is
// resolved into those under the shard lock, so that replay is idempotent),
// appended, applied to the head, and with wait=true acknowledged only once
// the WAL has synced it (group commit). The record's LSN is the version of
// every point it writes; a later version always wins because writing a point
// marks its older copy deleted wherever it lives (head slot, or the deletion
// bitmap of a sealed segment, a small file replaced atomically).
//
// Two background loops run per shard. The sealer seals the head into a new
// segment when it reaches the indexing threshold or the flush interval. The
// optimizer merges small segments, vacuums segments with many deleted
// points, rebuilds segments missing a payload index and adds HNSW graphs to
// segments past the indexing threshold (merges and graph builds wait while
// the shard is ingesting). Each writes a new segment folder, then swaps the
// manifest atomically; old folders are removed when no reader or pin holds
// them (reference counting). Pin and PinAll give snapshots a consistent cut.
//
// On-disk formats: docs/format/collection.md and docs/format/manifest.md.
package engine
