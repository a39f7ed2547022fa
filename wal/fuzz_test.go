package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// noSyncFS skips fsyncs so that the fuzzer runs fast; durability is not
// what FuzzReplay checks.
type noSyncFS struct{ vfs.FS }

func (noSyncFS) SyncDir(string) error { return nil }

func (fs noSyncFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := fs.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

// FuzzSegmentReader feeds arbitrary bytes, in memory, to the record reader
// every recovery and replay uses: it must return only valid frames in
// sequence and then io.EOF or a corruption at the end of the last good one.
func FuzzSegmentReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sr, err := newSegReader(bytes.NewReader(b), int64(len(b)), 1, 0)
		if err != nil {
			var c *corruption
			if !errors.As(err, &c) || c.off != 0 {
				t.Fatalf("bad header reported as %v", err)
			}
			return
		}
		var got []rec
		for {
			lsn, data, err := sr.record(len(got)%2 == 0)
			if err == io.EOF {
				break
			}
			var c *corruption
			if err != nil {
				if !errors.As(err, &c) || c.off != sr.off || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v at offset %d", err, sr.off)
				}
				break
			}
			got = append(got, rec{lsn, append([]byte(nil), data...)})
		}
		checkFrames(t, b, got)
	})
}

func addSeeds(f *testing.F) {
	dir := f.TempDir()
	writeLog(f, dir, 6, 80, 0)
	valid, err := os.ReadFile(segmentFiles(f, dir)[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-5])
	f.Add(append(append([]byte(nil), valid...), make([]byte, 40)...))
	f.Add(encodeHeader(1))
	f.Add(encodeHeader(2))
	f.Add([]byte{})
	f.Add(appendFrame(encodeHeader(1), 1, []byte("one")))
}

// FuzzReplay feeds arbitrary bytes to Open as the first segment file. Open
// must not fail or panic, Replay must return only records whose frames are
// valid and in sequence at their place in the input, and the log must take
// new records after them.
func FuzzReplay(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := Options{FS: noSyncFS{vfs.OS}, Logger: quiet()}
		l, err := Open(dir, opts)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		got := replayAll(t, l, 0)
		checkFrames(t, b, got)
		if lsn, err := l.Append([]byte("next")); err != nil || lsn != uint64(len(got))+1 {
			t.Fatalf("append after %d records: lsn %d, %v", len(got), lsn, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l, err = Open(dir, opts)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer l.Close()
		if again := replayAll(t, l, 0); len(again) != len(got)+1 {
			t.Fatalf("reopen replayed %d records, want %d", len(again), len(got)+1)
		}
	})
}

// checkFrames verifies, independently of the reader, that recs are the
// consecutive frames of input starting after the header, each with a valid
// CRC-32C and LSNs 1, 2, ….
func checkFrames(t *testing.T, input []byte, recs []rec) {
	t.Helper()
	tab := crc32.MakeTable(crc32.Castagnoli)
	off := headerSize
	for i, r := range recs {
		if r.lsn != uint64(i)+1 {
			t.Fatalf("record %d has lsn %d", i, r.lsn)
		}
		end := off + 16 + len(r.data)
		if end > len(input) {
			t.Fatalf("record %d extends past the input", r.lsn)
		}
		fr := input[off:end]
		if binary.LittleEndian.Uint32(fr) != uint32(len(r.data)) ||
			binary.LittleEndian.Uint64(fr[8:]) != r.lsn || !bytes.Equal(fr[16:], r.data) {
			t.Fatalf("record %d does not match the input at offset %d", r.lsn, off)
		}
		want := crc32.Update(crc32.Checksum(fr[:4], tab), tab, fr[8:])
		if binary.LittleEndian.Uint32(fr[4:]) != want {
			t.Fatalf("record %d returned with a bad checksum", r.lsn)
		}
		off = end
	}
}
