package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/cairn-db/cairn/vfs"
)

// Receive streams an incoming archive (an upload's body, or a download from
// a recover location) into a fresh file under tempPath, computing its
// SHA-256 in the same pass, and syncs it; the archive is never held in
// memory. maxBytes > 0 bounds its size (ErrTooLarge). When checksum is not
// "" it is validated first (ErrMalformedChecksum) and compared with the
// digest (ErrChecksumMismatch). It returns the file's path, which the
// caller removes when done (RemoveTemps does after a crash), and the digest
// in lowercase hex. On error nothing is left behind.
func Receive(fsys vfs.FS, r io.Reader, tempPath, checksum string, maxBytes int64) (path, sum string, err error) {
	want := ""
	if checksum != "" {
		if want, err = ParseChecksum(checksum); err != nil {
			return "", "", err
		}
	}
	if err := fsys.MkdirAll(tempPath, dirMode); err != nil {
		return "", "", fmt.Errorf("create temp path %s: %w", tempPath, err)
	}
	tmp, err := TempName(tempPath, "upload")
	if err != nil {
		return "", "", err
	}
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return "", "", fmt.Errorf("create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = fsys.Remove(tmp)
		}
	}()
	h := sha256.New()
	src := r
	if maxBytes > 0 && maxBytes < math.MaxInt64 { // maxBytes+1 must not overflow
		src = io.LimitReader(r, maxBytes+1)
	}
	n, err := io.CopyBuffer(struct{ io.Writer }{io.MultiWriter(f, h)}, sourceReader{src}, make([]byte, copyBufSize))
	if err != nil {
		return "", "", fmt.Errorf("receive snapshot: %w", err)
	}
	if maxBytes > 0 && n > maxBytes {
		return "", "", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	if err = f.Sync(); err != nil {
		return "", "", fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return "", "", fmt.Errorf("close %s: %w", tmp, err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		return "", "", fmt.Errorf("%w: received %s, want %s", ErrChecksumMismatch, sum, want)
	}
	return tmp, sum, nil
}

// sourceReader marks the errors of the sender's stream (a connection that
// broke off, a malformed multipart body) as ErrIncomplete, the client's
// fault, apart from the errors of writing the file here.
type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	return n, err
}
