// Package s3snap is the in-process benchmark of snapshots stored in S3
// behind `cairn bench snapshot -s3` (docs/BENCHMARKS.md, "S3 snapshots"):
// a private copy of a closed storage folder is opened with the engine,
// and, round after round, its first snapshot into an empty bucket prefix
// (with the stall of a single-point wait=true writer, measured as
// snapshot's BenchmarkSnapshotStall does) is interleaved with a minio-go
// PutObject of the same collection's local archive; then a series of
// snapshots, each after a share of new points is sealed into a segment;
// then restores from the bucket interleaved with GetObject of the same
// chunks, and the first query after each restore.
package s3snap
