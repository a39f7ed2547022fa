package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// ParseChecksum validates a SHA-256 checksum given by a client: exactly 64
// hexadecimal characters, either case. It returns the checksum in lowercase,
// or an error wrapping ErrMalformedChecksum (422) whose message names the
// problem as Qdrant's validate_sha256_hash does (invalid_sha256_hash).
func ParseChecksum(s string) (string, error) {
	if len(s) != 2*sha256.Size {
		return "", kindErrorf(ErrMalformedChecksum, "Validation error: checksum: invalid_sha256_hash: length %d, expected_length %d", len(s), 2*sha256.Size)
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", kindErrorf(ErrMalformedChecksum, "Validation error: checksum: invalid_sha256_hash: invalid characters, expected 0-9, a-f, A-F")
		}
	}
	return strings.ToLower(s), nil
}

// FileChecksum returns the SHA-256 of a file as lowercase hex, reading it in
// one streaming pass.
func FileChecksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, copyBufSize)); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyChecksum checks a file against the SHA-256 wantHex. A malformed
// wantHex gives ErrMalformedChecksum (422); a different digest gives
// ErrChecksumMismatch (400).
func VerifyChecksum(path, wantHex string) error {
	want, err := ParseChecksum(wantHex)
	if err != nil {
		return err
	}
	got, err := FileChecksum(path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: %s has %s, want %s", ErrChecksumMismatch, path, got, want)
	}
	return nil
}

// ReadChecksumFile returns the checksum stored beside a snapshot archive in
// archivePath + ".checksum", or "" when there is none or it is malformed.
func ReadChecksumFile(archivePath string) string {
	b, err := os.ReadFile(archivePath + ChecksumExt)
	if err != nil {
		return ""
	}
	sum, err := ParseChecksum(strings.TrimSpace(string(b)))
	if err != nil {
		return ""
	}
	return sum
}
