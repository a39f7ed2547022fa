package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/objstore"
)

// hashRecorder is a store that records, per key, whether it was put
// with a declared SHA-256 (PutHashed) and whether that was the body's.
type hashRecorder struct {
	objstore.Store // an objstore.Mem, whose PutHashed is not used

	mu     sync.Mutex
	plain  []string          // keys put without a SHA-256
	hashed map[string]bool   // key: its declared SHA-256 was its bytes'
	sums   map[string][]byte // key: the declared SHA-256
}

func (h *hashRecorder) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	h.mu.Lock()
	h.plain = append(h.plain, key)
	h.mu.Unlock()
	return h.Store.Put(ctx, key, r, size)
}

// PutHashed implements objstore.HashedPutter, recording sum; it stores
// the body whatever sum says, so that the test, not the store, judges.
func (h *hashRecorder) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	got := sha256.Sum256(b)
	h.mu.Lock()
	h.hashed[key] = bytes.Equal(got[:], sum)
	h.sums[key] = bytes.Clone(sum)
	h.mu.Unlock()
	return h.Store.Put(ctx, key, bytes.NewReader(b), size)
}

// TestRemoteCreateDeclaresSHA256: every object a remote create writes
// (chunks, uncompressed or zstd, the lease and the manifest) goes to the
// store with its SHA-256 declared, and it is the SHA-256 of the bytes
// sent: an uncompressed chunk's is its content address, a compressed
// one's that of its compressed bytes. A store that can use it (S3: the
// request's signed payload hash) then need not hash the body again.
func TestRemoteCreateDeclaresSHA256(t *testing.T) {
	for _, comp := range []string{CompressionNone, CompressionZstd} {
		t.Run(comp, func(t *testing.T) {
			e := newEnv(t, nil)
			rec := &hashRecorder{Store: objstore.NewMem(nil), hashed: map[string]bool{}, sums: map[string][]byte{}}
			e.m.Remote = rec
			e.m.Compression = comp
			c := e.create(t, "c", dim, 1)
			fill(t, c, 1, dim)
			if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
				t.Fatal(err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.plain) != 0 {
				t.Fatalf("put without their SHA-256: %q", rec.plain)
			}
			var chunks, leases, manifests int
			for key, ok := range rec.hashed {
				if !ok {
					t.Errorf("%s put with a SHA-256 %x that is not its bytes'", key, rec.sums[key])
				}
				switch {
				case strings.HasPrefix(key, RemoteObjects+"/"):
					chunks++
					if comp == CompressionNone && !strings.Contains(key, hex.EncodeToString(rec.sums[key])) {
						t.Errorf("uncompressed chunk %s declared %x, not its content address", key, rec.sums[key])
					}
				case strings.HasPrefix(key, RemoteLeases+"/"):
					leases++
				default:
					manifests++
				}
			}
			if chunks == 0 || leases != 1 || manifests != 1 {
				t.Fatalf("declared SHA-256 for %d chunks, %d leases, %d manifests (want >0, 1, 1): %v", chunks, leases, manifests, rec.hashed)
			}
		})
	}
}

// TestChunkSums: the one-pass SHA-256 and CRC-32C of a chunk are those of
// its bytes at every length around the slice size.
func TestChunkSums(t *testing.T) {
	data := make([]byte, 3*hashSlice+5)
	r := seeded(9)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, n := range []int{0, 1, hashSlice - 1, hashSlice, hashSlice + 1, 3*hashSlice + 5} {
		sum, crc := chunkSums(data[:n])
		want := sha256.Sum256(data[:n])
		if sum != hex.EncodeToString(want[:]) || crc != crc32.Checksum(data[:n], castagnoli) {
			t.Fatalf("chunkSums of %d bytes = %s, %08x; want %x, %08x", n, sum, crc, want, crc32.Checksum(data[:n], castagnoli))
		}
	}
}
