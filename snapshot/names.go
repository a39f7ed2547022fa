package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-db/cairn/engine"
)

// File name suffixes.
const (
	// Ext ends every snapshot archive's name.
	Ext = ".snapshot"
	// ChecksumExt is appended to an archive's name for its checksum file.
	ChecksumExt = ".checksum"
	// TempExt is appended to a file being written; listings ignore it and
	// RemovePartial deletes it at start-up.
	TempExt = ".tmp"
)

// TimeLayout is the timestamp in snapshot names, in UTC, as Qdrant writes it
// (chrono "%Y-%m-%d-%H-%M-%S").
const TimeLayout = "2006-01-02-15-04-05"

// maxNameLen keeps a name and its longest derived name (NAME.checksum.tmp)
// within the 255 bytes most filesystems allow.
const maxNameLen = 255 - len(ChecksumExt) - len(TempExt)

// CollectionName returns the name of a collection snapshot made at t by the
// node nodeID: "{collection}-{nodeID}-{YYYY-MM-DD-HH-MM-SS}.snapshot", the
// pattern Qdrant uses with its peer id. For a collection whose name cannot
// start a snapshot name (see archiveName) NameKey(collection) stands for it.
func CollectionName(collection string, nodeID uint64, t time.Time) string {
	return archiveName(collection, "-"+strconv.FormatUint(nodeID, 10)+"-"+stamp(t)+Ext)
}

// ShardName returns the name of a shard snapshot made at t:
// "{collection}-shard-{shard}-{YYYY-MM-DD-HH-MM-SS}.snapshot", as Qdrant
// does, with NameKey(collection) standing for a name that cannot start a
// snapshot name (see archiveName).
func ShardName(collection string, shard uint32, t time.Time) string {
	return archiveName(collection, "-shard-"+strconv.FormatUint(uint64(shard), 10)+"-"+stamp(t)+Ext)
}

// suffixRoom is what withSuffix may add to a name ("-999").
const suffixRoom = 4

// archiveName returns collection+rest, Qdrant's form, when it is a valid
// snapshot name with room for withSuffix; otherwise NameKey(collection)+rest.
// Qdrant's form does not fit for a collection name longer than about 190
// bytes (every name up to 255 bytes is valid, but a file name, with
// ".checksum.tmp" after it, is at most 255 bytes too: Qdrant fails there), or
// for one that ValidName refuses inside a snapshot name (percent-encoded
// text such as "a%2Fb", control characters).
func archiveName(collection, rest string) string {
	if n := collection + rest; len(n)+suffixRoom <= maxNameLen && ValidName(n) == nil {
		return n
	}
	return NameKey(collection) + rest
}

// Bounds of NameKey.
const (
	keyPrefixLen = 64 // bytes of the name kept, readable
	keyHashLen   = 16 // hex digits of the name's SHA-256
)

// NameKey is the short stand-in of a collection name in a snapshot file or
// folder name where the name itself does not fit or is not safe: the first
// bytes of the name (at most 64, whole UTF-8 characters, with '%', control
// characters and invalid bytes replaced by '_'), "~", then 16 hex digits
// of the SHA-256 of the whole name. Names differ in their key whenever they
// differ (up to a hash collision).
func NameKey(collection string) string {
	var b strings.Builder
	for _, r := range collection {
		if r == '%' || r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > keyPrefixLen {
			break
		}
		b.WriteRune(r)
	}
	sum := sha256.Sum256([]byte(collection))
	return b.String() + "~" + hex.EncodeToString(sum[:])[:keyHashLen]
}

// FullName returns the name of a full (whole instance) snapshot made at t:
// "full-snapshot-{YYYY-MM-DD-HH-MM-SS}.snapshot".
func FullName(t time.Time) string { return fullPrefix + stamp(t) + Ext }

// fullPrefix starts the name of every full snapshot.
const fullPrefix = "full-snapshot-"

func stamp(t time.Time) string { return t.UTC().Format(TimeLayout) }

// withSuffix returns name for n == 0 and "{base}-{n}.snapshot" otherwise: the
// names tried, in order, when snapshots are made in the same second.
func withSuffix(name string, n int) string {
	if n == 0 {
		return name
	}
	return strings.TrimSuffix(name, Ext) + "-" + strconv.Itoa(n) + Ext
}

// CollectionDir returns the folder of a collection's snapshots,
// "{snapshotsPath}/{collection}", as Qdrant lays them out; a collection
// named like a full snapshot ("full-snapshot-…", whose archives live in
// snapshotsPath itself) gets "{snapshotsPath}/{NameKey(collection)}"
// instead, so that its folder and a full snapshot never take one name. The
// collection name must be one path element: not empty, not "." or "..",
// without a path separator or NUL. Names like "v1..2" pass; whether a
// collection may have a name is the engine's check
// (engine.ValidateCollectionName). A refused name gives an error wrapping
// engine.ErrInvalid, as that check does.
func CollectionDir(snapshotsPath, collection string) (string, error) {
	if !folderName(collection) {
		return "", fmt.Errorf("%w: collection_name: %q is not a single path element", engine.ErrInvalid, collection)
	}
	if strings.HasPrefix(collection, fullPrefix) {
		collection = NameKey(collection)
	}
	return filepath.Join(snapshotsPath, collection), nil
}

// folderName reports whether s names one entry of a folder.
func folderName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00") && filepath.IsLocal(s)
}

// ShardDir returns the folder of a shard's snapshots,
// "{snapshotsPath}/{collection}/shards/{shard}", as Qdrant lays them out.
func ShardDir(snapshotsPath, collection string, shard uint32) (string, error) {
	dir, err := CollectionDir(snapshotsPath, collection)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "shards", strconv.FormatUint(uint64(shard), 10)), nil
}

// ValidName reports whether name can name a snapshot archive: a single plain
// file name ending in ".snapshot". It rejects the empty name, "/", "\", a
// leading dot (so "." and ".." too), NUL and other control characters,
// separators hidden by percent-encoding (decoded repeatedly) and over-long
// names; ".." inside a name, as in a snapshot of the collection "v1..2", is
// kept. The error wraps ErrInvalidName, which the server answers with 404.
func ValidName(name string) error {
	if !strings.HasSuffix(name, Ext) || len(name) == len(Ext) || len(name) > maxNameLen {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	s := name
	for range 4 {
		if err := validElement(s); err != nil {
			return fmt.Errorf("%w: %q: %v", ErrInvalidName, name, err)
		}
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			break
		}
		s = d
	}
	return nil
}

// validElement accepts a single, plain, visible path element: not empty,
// not starting with a dot (so neither "." nor ".."), without a path
// separator or control character, valid UTF-8. ".." inside a name ("v1..2-…") is plain.
func validElement(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty")
	case s[0] == '.':
		return fmt.Errorf("starts with a dot")
	case strings.ContainsAny(s, `/\`):
		return fmt.Errorf("contains a path separator")
	case !filepath.IsLocal(s):
		return fmt.Errorf("not a local path")
	case !utf8.ValidString(s):
		return fmt.Errorf("not valid UTF-8")
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("contains a control character")
		}
	}
	return nil
}
