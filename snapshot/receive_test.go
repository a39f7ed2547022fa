package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func TestReceive(t *testing.T) {
	body := strings.Repeat("archive bytes ", 1000)
	d := sha256.Sum256([]byte(body))
	sum := hex.EncodeToString(d[:])
	tests := []struct {
		name     string
		checksum string
		max      int64
		fail     vfs.Op
		want     error
	}{
		{"no checksum", "", 0, "", nil},
		{"checksum", strings.ToUpper(sum), int64(len(body)), "", nil},
		{"mismatch", strings.Repeat("0", 64), 0, "", ErrChecksumMismatch},
		{"malformed", "abc", 0, "", ErrMalformedChecksum},
		{"too large", "", int64(len(body)) - 1, "", ErrTooLarge},
		{"largest limit", sum, math.MaxInt64, "", nil}, // maxBytes+1 must not overflow
		{"write fails", "", 0, vfs.OpWrite, vfs.ErrInjected},
		{"sync fails", "", 0, vfs.OpSync, vfs.ErrInjected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			fsys := vfs.NewFaulty(vfs.OS)
			if tt.fail != "" {
				fsys.FailNth(tt.fail, 1)
			}
			p, got, err := Receive(fsys, strings.NewReader(body), tmp, tt.checksum, tt.max)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				assertEmpty(t, tmp)
				return
			}
			if err != nil || got != sum {
				t.Fatalf("sum %q, %v", got, err)
			}
			b, err := os.ReadFile(p)
			if err != nil || string(b) != body {
				t.Fatalf("received file differs (%v)", err)
			}
			if err := RemoveTemps(vfs.OS, tmp); err != nil {
				t.Fatal(err)
			}
			assertEmpty(t, tmp)
		})
	}
}

// brokenReader yields some bytes, then fails as a dropped connection does.
type brokenReader struct{ n int }

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), b.n)
	b.n -= k
	return k, nil
}

// TestReceiveBrokenSource: a transfer that breaks off is ErrIncomplete (the
// sender's fault, 400), and leaves no temp file.
func TestReceiveBrokenSource(t *testing.T) {
	tmp := t.TempDir()
	_, _, err := Receive(vfs.OS, &brokenReader{n: 3000}, tmp, "", 0)
	if !errors.Is(err, ErrIncomplete) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want ErrIncomplete wrapping the read error", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("left %d files in the temp path", len(left))
	}
}
