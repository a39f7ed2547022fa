// Package snapshot makes, lists, verifies, unpacks and restores Cairn's
// snapshot archives.
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
// The archive code (archive.go, extract.go, …) knows nothing of the engine:
// it works on any Source. engine.go adapts a collection, one shard, or the
// whole storage to Source (CollectionSource, ShardSource, FullSource): under
// the write hold it only opens the mutable files and notes their sizes, and
// copies and hard-links once writes have resumed. Manager (manager.go,
// recover.go, download.go) is what the server and the command line call: create, list,
// open, delete for collection, shard and full snapshots, and recovery from an
// archive, a file:// location or an http(s):// download, which the engine
// swaps in atomically (engine.Storage.RestoreCollection).
//
// The archive layout is described in docs/format/snapshot.md. This package
// returns sentinel errors (errors.go); only the server maps them to HTTP codes.
package snapshot
