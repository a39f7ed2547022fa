package objstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// ErrChecksum reports an object body whose SHA-256 is not the one declared
// for it (PutHashed).
var ErrChecksum = errors.New("object bytes do not match their declared SHA-256")

// HashedPutter is a Store that takes the SHA-256 of an object's bytes,
// known beforehand, with its Put, so that it need not hash them again.
// Mem, Local and S3 implement it; call it through PutHashed, which serves
// any Store.
type HashedPutter interface {
	Store
	// PutHashed is Put of bytes whose SHA-256 is sum (sha256.Size bytes).
	// A body whose SHA-256 differs is refused with an error wrapping
	// ErrChecksum and, as any failed Put, leaves nothing new behind. S3
	// sends sum as the request's signed payload hash
	// (x-amz-content-sha256), which the server checks, instead of
	// hashing the body for the signature; Mem and Local hash the body as
	// they write it.
	PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error
}

// PutHashed stores the size bytes of r under key in s, declaring their
// SHA-256 sum: through s.PutHashed when s is a HashedPutter, else through
// s.Put with the body checked against sum as it is read (a wrapper Store
// keeps the contract, at the cost of a hash).
func PutHashed(ctx context.Context, s Store, key string, r io.Reader, size int64, sum []byte) error {
	if hp, ok := s.(HashedPutter); ok {
		return hp.PutHashed(ctx, key, r, size, sum)
	}
	v, err := newVerifier(r, sum)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return s.Put(ctx, key, v, size)
}

// PutBytes stores b under key through PutHashed, with its SHA-256: small
// objects (manifests, leases) whose hash costs nothing beside the request.
func PutBytes(ctx context.Context, s Store, key string, b []byte) error {
	sum := sha256.Sum256(b)
	return PutHashed(ctx, s, key, bytes.NewReader(b), int64(len(b)), sum[:])
}

// checkSum checks that sum has the length of a SHA-256.
func checkSum(sum []byte) error {
	if len(sum) != sha256.Size {
		return fmt.Errorf("%w: a SHA-256 of %d bytes, want %d", ErrChecksum, len(sum), sha256.Size)
	}
	return nil
}

// verifier passes its reader's bytes through and, at their end, fails
// with ErrChecksum instead of io.EOF when their SHA-256 is not want: every
// Store leaves nothing behind after a failed read.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	want []byte
}

func newVerifier(r io.Reader, want []byte) (*verifier, error) {
	if err := checkSum(want); err != nil {
		return nil, err
	}
	return &verifier{r: r, h: sha256.New(), want: want}, nil
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := v.h.Sum(nil); !bytes.Equal(got, v.want) {
			return n, fmt.Errorf("%w: read %x, declared %x", ErrChecksum, got, v.want)
		}
	}
	return n, err
}
