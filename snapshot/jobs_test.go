package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManagerJobs checks that the manager owns wait=false work: Wait
// returns only once every job started with Go has finished, failed ones
// included.
func TestManagerJobs(t *testing.T) {
	m := &Manager{TempPath: t.TempDir()}
	release := make(chan struct{})
	finished := make(chan int, 2)
	for i := range 2 {
		m.Go("test job", func(context.Context) error {
			<-release
			finished <- i
			if i == 1 {
				return errors.New("job failed")
			}
			return nil
		})
	}
	waited := make(chan struct{})
	go func() { m.Wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("Wait returned while jobs were running")
	default:
	}
	close(release)
	<-waited
	if len(finished) != 2 {
		t.Fatalf("Wait returned after %d of 2 jobs", len(finished))
	}
}

// TestReceiveUpload checks the manager's upload receiving: the declared
// size is refused against MaxBytes before the stream is opened, the
// checksum is checked as it streams in, open's errors pass through, and
// Remove deletes the file.
func TestReceiveUpload(t *testing.T) {
	body := strings.Repeat("archive ", 100)
	d := sha256.Sum256([]byte(body))
	sum := hex.EncodeToString(d[:])
	tmp := filepath.Join(t.TempDir(), "temp") // created on first use
	m := &Manager{TempPath: tmp, MaxBytes: int64(len(body))}
	opened := 0
	open := func() (io.Reader, error) { opened++; return strings.NewReader(body), nil }

	if _, err := m.ReceiveUpload(int64(len(body))+1, "", open); !errors.Is(err, ErrTooLarge) || opened != 0 {
		t.Fatalf("declared too large: opened %d, %v", opened, err)
	}
	if _, err := m.ReceiveUpload(0, strings.Repeat("0", 64), open); !errors.Is(err, ErrChecksumMismatch) || !strings.HasPrefix(err.Error(), "snapshot upload: ") {
		t.Fatalf("checksum mismatch: %v", err)
	}
	refused := errors.New("no such field")
	if _, err := m.ReceiveUpload(0, "", func() (io.Reader, error) { return nil, refused }); err != refused {
		t.Fatalf("open error: %v", err)
	}
	up, err := m.ReceiveUpload(int64(len(body)), sum, open)
	if err != nil {
		t.Fatalf("ReceiveUpload: %v", err)
	}
	if b, err := os.ReadFile(up.Path); err != nil || string(b) != body || filepath.Dir(up.Path) != tmp {
		t.Fatalf("received %s: %v", up.Path, err)
	}
	up.Remove()
	if _, err := os.Stat(up.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Remove: %v", err)
	}
	up.Remove() // already gone: nothing to report
}
