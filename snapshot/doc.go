// Package snapshot makes, lists, verifies and unpacks Cairn's snapshot
// archives, independently of the engine that owns the data.
//
// A snapshot is made in two steps. First the owner of the data (a collection,
// a shard, or the whole instance) pins its immutable files and writes its
// small mutable state into a fresh stage folder under the temp path; the files
// are hard-linked into that folder (copied only across filesystems), so
// writers are held for milliseconds whatever the data's size. Then, without
// any lock, the folder is streamed into a tar archive while its SHA-256 is
// computed in the same pass; the archive and its NAME.checksum file are
// renamed into place, so a half-made archive is never listed.
//
// Archives from outside are untrusted: Extract unpacks them into a fresh
// temp folder through os.Root, rejects every entry kind that could escape or
// surprise (absolute or ".." paths, links, devices, duplicates), enforces a
// size limit and the free disk space, and verifies every file against the
// archive's manifest before the caller lets anything replace live data.
//
// The archive layout is described in docs/format/snapshot.md. This package
// returns sentinel errors (errors.go); only the server maps them to HTTP codes.
package snapshot
