package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotExist reports a key that names no object.
var ErrNotExist = errors.New("object does not exist")

// ErrBadKey reports a key ValidKey refuses.
var ErrBadKey = errors.New("invalid object key")

// Info describes one stored object.
type Info struct {
	// Key is the object's key.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// Modified is when the object was written.
	Modified time.Time
}

// Store is a flat namespace of immutable objects. Every method honours ctx
// (cancellation and deadline) and is safe for concurrent use.
type Store interface {
	// Put stores the size bytes of r under key (size < 0: unknown, read to
	// EOF), replacing any object there. Readers see the old object or the
	// whole new one, never a part: a failed or cancelled Put leaves nothing
	// new behind (an S3 multipart upload is aborted).
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get reads n bytes of the object from offset off (n < 0: to its end).
	// A missing key gives an error wrapping ErrNotExist.
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Stat describes the object; a missing key gives ErrNotExist.
	Stat(ctx context.Context, key string) (Info, error)
	// List describes every object whose key starts with prefix, sorted by
	// key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store in messages and logs, without secrets
	// ("s3://bucket/prefix", "file:///var/lib/cairn/snapshots").
	String() string
}

// MaxKeyLen is the longest key accepted, S3's limit.
const MaxKeyLen = 1024

// ValidKey checks that key is a clean relative slash path: non-empty, at
// most MaxKeyLen bytes of valid UTF-8 without control characters or
// backslashes, no leading or trailing slash, and no empty, "." or ".."
// element. Every implementation refuses other keys with ErrBadKey, so a key
// can name a file under a folder without escaping it.
func ValidKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrBadKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadKey, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not valid UTF-8", ErrBadKey)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q holds a control character or backslash", ErrBadKey, key)
		}
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" element", ErrBadKey, key)
		}
	}
	return nil
}

// validPrefix checks a List prefix: empty, or a key prefix whose complete
// elements are valid (a trailing slash is allowed).
func validPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return ValidKey(strings.TrimSuffix(prefix, "/"))
}
