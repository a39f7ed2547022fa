package snapshot

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// tarOf encodes the archive Stream must produce for src with archive/tar.
func tarOf(t *testing.T, src string, m *Manifest) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return tw.WriteHeader(header(rel+"/", tar.TypeDir, 0, m.CreatedAt))
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = tw.WriteHeader(header(rel, tar.TypeReg, int64(len(b)), m.CreatedAt))
		}
		if err == nil {
			_, err = tw.Write(b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(m)
	if err := tw.WriteHeader(header(ManifestName, tar.TypeReg, int64(len(body)), m.CreatedAt)); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write(body)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestArchiveBytesInEveryMode: the pipelined archive is byte for byte what
// archive/tar writes, streamed or written to a file in every I/O mode
// (direct I/O with an unaligned tail, paced, buffered), and whether the
// archive ends exactly on a chunk boundary or not.
func TestArchiveBytesInEveryMode(t *testing.T) {
	for _, extra := range []int{0, 1, 3*chunkSize + 123} {
		src := t.TempDir()
		tree := map[string]string{}
		for k, v := range sampleTree {
			tree[k] = v
		}
		tree["segments/0003/vectors.bin"] = string(bytes.Repeat([]byte{7}, extra))
		writeTree(t, src, tree)
		var got bytes.Buffer
		m, err := Stream(&got, src, collectionMeta())
		if err != nil {
			t.Fatal(err)
		}
		want := tarOf(t, src, m)
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("extra=%d: Stream wrote %d bytes unlike archive/tar's %d", extra, got.Len(), len(want))
		}
		for _, mode := range []ioMode{ioDirect, ioPaced, ioBuffered} {
			t.Run(fmt.Sprintf("extra=%d/mode=%d", extra, mode), func(t *testing.T) {
				archiveIO = mode
				defer func() { archiveIO = ioDirect }()
				info, err := WriteArchive(vfs.OS, t.TempDir(), "x.snapshot", src, collectionMeta())
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(info.Path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, want) || info.Size != int64(len(want)) {
					t.Fatalf("archive file of %d bytes (info %d) unlike archive/tar's %d", len(b), info.Size, len(want))
				}
				if err := VerifyChecksum(info.Path, info.Checksum); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestStreamFileGrows: a file that grows while it is archived is an
// error, not a silently wrong archive.
func TestStreamFileGrows(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a/b.bin": "0123"})
	p := newPipeline(nil, func([]byte) error { return nil })
	f, err := os.Open(filepath.Join(src, "a", "b.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := p.readBody(f, 3); err == nil {
		t.Fatal("a file longer than its noted size was archived")
	}
	p.abort()
}

// yieldProbe is a hash that records, at each Write, whether a goroutine
// started before the hashing has run yet.
type yieldProbe struct {
	ran    *atomic.Bool
	writes int
	sawRun int // index of the first Write that saw it, or -1
}

func (y *yieldProbe) Write(b []byte) (int, error) {
	if y.sawRun < 0 && y.ran.Load() {
		y.sawRun = y.writes
	}
	y.writes++
	return len(b), nil
}
func (y *yieldProbe) Sum(b []byte) []byte { return b }
func (y *yieldProbe) Reset()              {}
func (y *yieldProbe) Size() int           { return 0 }
func (y *yieldProbe) BlockSize() int      { return 64 }

// TestHashYieldsProcessor: the archive's hashing goroutine yields its P
// after every slice, so a goroutine made runnable meanwhile (a wait=true
// write's WAL sync) runs before the hash of one chunk is done, even when
// the hashing goroutine holds the only P.
func TestHashYieldsProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var ran atomic.Bool
	done := make(chan struct{})
	y := &yieldProbe{ran: &ran, sawRun: -1}
	go func() { ran.Store(true); close(done) }()
	hashYielding(y, make([]byte, 4*hashSlice))
	<-done
	if y.writes != 4 {
		t.Fatalf("%d slices hashed, want 4", y.writes)
	}
	if y.sawRun != 1 {
		t.Fatalf("the waiting goroutine first ran before slice %d of 4, want before the second", y.sawRun)
	}
}
