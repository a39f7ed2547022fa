package objstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/objstore/storetest"
)

// TestS3PutHashedSignsTheKnownSum puts through a proxy that records the
// x-amz-content-sha256 of every object PUT: on http a Put is signed as it
// streams (minio-go hashes the body), a PutHashed of one part carries the
// declared SHA-256 itself (minio-go hashes nothing); on https a Put is
// unsigned and a PutHashed still carries the SHA-256. A wrong declared
// SHA-256 is refused by the server and leaves nothing listed, on both.
func TestS3PutHashedSignsTheKnownSum(t *testing.T) {
	srv := s3test.Shared(t)
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			var (
				mu   sync.Mutex
				seen []string
			)
			ts := proxy(t, srv.Endpoint, tls, func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodPut && r.URL.Query().Get("uploadId") == "" {
					mu.Lock()
					seen = append(seen, r.Header.Get("X-Amz-Content-Sha256"))
					mu.Unlock()
				}
				return false
			})
			cfg := s3Config(t, srv)
			cfg.Endpoint = ts.URL
			if tls {
				cfg.RootCAs = x509.NewCertPool()
				cfg.RootCAs.AddCert(ts.Certificate())
			}
			s := newS3(t, cfg)
			ctx := context.Background()
			data := storetest.Data(11, 4<<20)
			sum := sha256.Sum256(data)
			take := func() []string {
				mu.Lock()
				defer mu.Unlock()
				out := seen
				seen = nil
				return out
			}

			if err := s.Put(ctx, "plain", bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
			want := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
			if tls {
				want = "UNSIGNED-PAYLOAD"
			}
			if got := take(); len(got) != 1 || got[0] != want {
				t.Fatalf("Put sent x-amz-content-sha256 %q, want [%s]", got, want)
			}

			if err := s.PutHashed(ctx, "hashed", bytes.NewReader(data), int64(len(data)), sum[:]); err != nil {
				t.Fatal(err)
			}
			if got := take(); len(got) != 1 || got[0] != hex.EncodeToString(sum[:]) {
				t.Fatalf("PutHashed sent x-amz-content-sha256 %q, want [%x]", got, sum)
			}
			if got := storetest.Read(t, s, "hashed", 0, -1); !bytes.Equal(got, data) {
				t.Fatal("PutHashed stored other bytes")
			}

			bad := sum
			bad[0] ^= 0x80
			err := s.PutHashed(ctx, "wrong", bytes.NewReader(data), int64(len(data)), bad[:])
			if !errors.Is(err, objstore.ErrChecksum) {
				t.Fatalf("PutHashed under a wrong SHA-256: %v, want ErrChecksum", err)
			}
			t.Logf("refused: %v", err)
			if got := take(); len(got) != 1 || got[0] != hex.EncodeToString(bad[:]) {
				t.Fatalf("the refused PutHashed sent %q, want [%x]: the server, not the client, refused it", got, bad)
			}
			infos, err := s.List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 2 || infos[0].Key != "hashed" || infos[1].Key != "plain" {
				t.Fatalf("listed after the refused put: %+v", infos)
			}
		})
	}
}

// TestS3PutHashedMultipart puts an object bigger than a part under a
// wrong SHA-256: the upload is aborted before it completes (nothing
// listed, no unfinished upload), and under its right one it is stored.
func TestS3PutHashedMultipart(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3Config(t, srv)
	s := newS3(t, cfg)
	ctx := context.Background()
	data := storetest.Data(12, storetest.BigSize)
	sum := sha256.Sum256(data)
	bad := sum
	bad[31] ^= 1
	if err := s.PutHashed(ctx, "big", bytes.NewReader(data), int64(len(data)), bad[:]); !errors.Is(err, objstore.ErrChecksum) {
		t.Fatalf("multipart PutHashed under a wrong SHA-256: %v, want ErrChecksum", err)
	}
	if infos, err := s.List(ctx, ""); err != nil || len(infos) != 0 {
		t.Fatalf("listed after the refused put: %+v, %v", infos, err)
	}
	if left := srv.Incomplete(t, cfg.Bucket); len(left) != 0 {
		t.Fatalf("unfinished multipart uploads left: %v", left)
	}
	if err := s.PutHashed(ctx, "big", bytes.NewReader(data), -1, sum[:]); err != nil {
		t.Fatal(err)
	}
	if got := storetest.Read(t, s, "big", 0, -1); !bytes.Equal(got, data) {
		t.Fatal("multipart PutHashed stored other bytes")
	}
}

// TestS3PutFromMemory: a body already in memory (a *bytes.Reader, read
// part-way or not) is sent from where it is, not copied into a buffer of
// its size first, and its unread bytes are what is stored.
func TestS3PutFromMemory(t *testing.T) {
	srv := s3test.Shared(t)
	s := newS3(t, s3Config(t, srv))
	ctx := context.Background()
	data := storetest.Data(13, 4<<20)
	sum := sha256.Sum256(data[100:])
	r := bytes.NewReader(data)
	if _, err := r.Seek(100, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if err := s.PutHashed(ctx, "partway", r, int64(len(data)-100), sum[:]); err != nil {
		t.Fatal(err)
	}
	if got := storetest.Read(t, s, "partway", 0, -1); !bytes.Equal(got, data[100:]) {
		t.Fatalf("stored %d bytes, want the %d unread ones", len(got), len(data)-100)
	}
	// Warm the connection, then count what one more put allocates.
	if err := s.Put(ctx, "warm", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	full := sha256.Sum256(data)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := s.PutHashed(ctx, "counted", bytes.NewReader(data), int64(len(data)), full[:]); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("a put of %d bytes in memory allocated %d bytes", len(data), n)
	if n >= uint64(len(data))/2 {
		t.Fatalf("a put of %d bytes in memory allocated %d bytes: the body was copied", len(data), n)
	}
}
