package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxWorkName bounds the hidden work folder names under collections/ (and
// so the restore intent files named after them, "restore-intent-…" plus
// ".tmp" while written) well within the 255 bytes of a file name.
const maxWorkName = 200

// workName returns the name of a hidden work folder under collections/:
// ".{kind}-{seq}-{name}" (kind "create", "restore" or "deleted"; name a
// collection name, or "{collection}.shard-N"), or, when that would pass
// maxWorkName bytes (a collection name may have 255), the same with name
// cut to its first 64 bytes (whole UTF-8 characters) followed by "~" and 16
// hex digits of the SHA-256 of the whole name. seq keeps names unique; the
// collection a folder belongs to is read from the intent, never from the
// folder name.
func workName(kind string, seq uint64, name string) string {
	head := "." + kind + "-" + strconv.FormatUint(seq, 10) + "-"
	if len(head)+len(name) <= maxWorkName {
		return head + name
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(name))
	return head + strings.ToValidUTF8(name[:cut], "_") + "~" + hex.EncodeToString(sum[:8])
}
