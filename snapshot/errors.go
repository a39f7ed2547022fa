package snapshot

import "errors"

// Sentinel errors. Callers test them with errors.Is; the server maps them to
// HTTP status codes (the suggested code is given with each).
var (
	// ErrInvalidName reports a snapshot name that is not a plain file name
	// ending in ".snapshot" (404: it names no snapshot).
	ErrInvalidName = errors.New("invalid snapshot name")
	// ErrNotFound reports a snapshot that does not exist (404).
	ErrNotFound = errors.New("snapshot not found")
	// ErrForbiddenLocation reports a file:// location outside the snapshots
	// folder (403).
	ErrForbiddenLocation = errors.New("snapshot location outside the snapshots folder")
	// ErrMalformedChecksum reports a checksum that is not 64 hexadecimal
	// characters (422).
	ErrMalformedChecksum = errors.New("malformed checksum")
	// ErrChecksumMismatch reports an archive whose SHA-256 differs from the
	// expected one (400).
	ErrChecksumMismatch = errors.New("snapshot checksum mismatch")
	// ErrUnsafeEntry reports an archive entry that could escape the target
	// folder or is not a regular file or folder (400).
	ErrUnsafeEntry = errors.New("unsafe archive entry")
	// ErrFormatVersion reports an archive written in a format version this
	// build does not read (400).
	ErrFormatVersion = errors.New("unsupported snapshot format version")
	// ErrManifest reports an archive whose manifest is missing, malformed or
	// disagrees with the files present (400).
	ErrManifest = errors.New("snapshot manifest mismatch")
	// ErrCorrupt reports an archive that is not a readable tar file, ends
	// early, or whose files fail the engine's check before a restore: a
	// corrupt segment, collection file or WAL (then it wraps the engine's
	// error too, engine.ErrVerify and its cause) (400).
	ErrCorrupt = errors.New("corrupt snapshot archive")
	// ErrTooLarge reports an archive bigger than the configured limit or the
	// free disk space (413 or 507).
	ErrTooLarge = errors.New("snapshot too large")
	// ErrBadPriority reports a recover priority other than snapshot,
	// replica and no_sync (422).
	ErrBadPriority = errors.New("unknown snapshot priority")
	// ErrExists reports that no free name could be found for a new snapshot
	// (500: more than a thousand snapshots in one second).
	ErrExists = errors.New("snapshot name taken")
	// ErrNoShard reports a shard id the collection does not have (404).
	ErrNoShard = errors.New("shard not found")
	// ErrBadLocation reports a recover location that is neither an
	// http(s):// URL nor a file:// URL, or whose download failed (400).
	ErrBadLocation = errors.New("bad snapshot location")
	// ErrIncomplete reports a snapshot whose upload or download broke off
	// or was malformed before its end (400).
	ErrIncomplete = errors.New("incomplete snapshot transfer")
	// ErrWrongKind reports an archive of another kind than the restore
	// expects, such as a full snapshot given to a collection recover (400).
	ErrWrongKind = errors.New("wrong snapshot kind")
	// ErrTargetExists reports a start-up restore whose target collection
	// exists while overwriting was not forced (the command exits non-zero).
	ErrTargetExists = errors.New("restore target exists")
)

// ErrBusy reports a recover from an http(s):// location refused because
// Manager.MaxDownloads downloads are running (503, as Qdrant's answer to an
// overloaded service). Its text is the whole start of the message.
var ErrBusy = errors.New("Service unavailable: too many snapshot downloads running")

// notFound is ErrNotFound for the snapshot what, in Qdrant's words
// ("Not found: Snapshot x.snapshot", its CollectionError::NotFound).
func notFound(what string) error {
	return kindErrorf(ErrNotFound, "Not found: Snapshot %s", what)
}
