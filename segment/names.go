package segment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// maxNameLen bounds file names and vector names so every file name fits the
// 255-byte limit of common filesystems.
const maxNameLen = 200

// EscapeName turns arbitrary text (a vector name, a payload key) into a
// string safe as part of a file name: ASCII letters, digits, '-' and '_' are
// kept and every other byte becomes %XX. Distinct inputs give distinct
// outputs. Names whose escaped form is too long are replaced by "%h" and the
// hex SHA-256 of the input, which cannot collide with an escaped form since
// escapes use upper-case hex digits only.
func EscapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isPlain(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	if b.Len() > maxNameLen-20 {
		sum := sha256.Sum256([]byte(s))
		return "%h" + hex.EncodeToString(sum[:])
	}
	return b.String()
}

func isPlain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// vectorFile is the file holding the vector named name ("" is the unnamed
// default vector). Named vectors get a distinct prefix so no name can collide
// with the default's file.
func vectorFile(name string) string {
	if name == "" {
		return "vectors-default.seg"
	}
	return "vectors-n-" + EscapeName(name) + ".seg"
}

// reservedName reports whether a file name belongs to the segment itself.
func reservedName(name string) bool {
	switch name {
	case MetaFile, IDsFile, VersionsFile, PayloadFile:
		return true
	}
	return strings.HasPrefix(name, "vectors-") || strings.HasPrefix(name, DeletedFile)
}

// checkFileName reports whether name is a single, safe path element.
func checkFileName(name string) error {
	if name == "" || len(name) > maxNameLen || name[0] == '.' || strings.HasSuffix(name, ".tmp") {
		return fmt.Errorf("%w: file name %q", ErrInvalid, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: file name %q", ErrInvalid, name)
		}
	}
	return nil
}

// checkExtraName reports whether name may be used for a caller's extra file.
func checkExtraName(name string) error {
	if err := checkFileName(name); err != nil {
		return err
	}
	if reservedName(name) {
		return fmt.Errorf("%w: extra file name %q is reserved", ErrInvalid, name)
	}
	return nil
}
