package snapshot

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// An archive that is a local file (or bytes in memory) is hashed by a
// goroutine of its own, reading it at its own pace (pread), while the
// stream that parses it (tar, CRC-32C, spill) runs ahead: the parse is
// several times faster than the SHA-256, so it reaches the manifest while
// the hash is still going, and the engine's checks on the spill then run
// on the other core while the hash finishes, instead of after it. The
// parse reads the file itself (the kernel reads ahead); the lagging hash
// reads what the parse read a moment before, from the page cache. Memory stays bounded: the hasher has its own sideChunk buffer.
// A stream (a URL, an object store) cannot be read twice and keeps the
// single tee of verify_stream.go.

// sideChunk is the size of one read of the side hasher.
const sideChunk = 1 << 20

// sideHeaderBuf buffers the parse's small reads (tar headers); a file's
// bytes are read straight into the verifier's own buffer, one copy.
const sideHeaderBuf = 64 << 10

// ctxReader reads r while ctx is not done, counting the bytes; its first
// error (io.EOF included) is returned by every later Read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	n   int64
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	c.err = err
	return k, err
}

// sideHashHook, when set (tests), is called by the side hasher before each
// read with its context; it may block until that context is done.
var sideHashHook func(ctx context.Context)

// sideSource returns r as a source the side hasher can read at offsets,
// with the offset r is at and, for a file, its state to compare after;
// ok false when r is a stream.
func sideSource(r io.Reader) (src sideFile, ok bool, err error) {
	var s io.Seeker
	switch x := r.(type) {
	case *os.File:
		fi, err := x.Stat()
		if err != nil {
			return src, false, fmt.Errorf("stat archive: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return src, false, nil
		}
		src = sideFile{r: x, stat: x.Stat, before: fi}
		s = x
	case *bytes.Reader:
		src, s = sideFile{r: x}, x
	default:
		return src, false, nil
	}
	if src.start, err = s.Seek(0, io.SeekCurrent); err != nil {
		return src, false, fmt.Errorf("seek archive: %w", err)
	}
	return src, true, nil
}

// sideFile is an archive the side hasher reads at offsets from start;
// stat, for a file, gives its state to compare with before once read.
type sideFile struct {
	r      io.ReaderAt
	start  int64
	stat   func() (os.FileInfo, error)
	before os.FileInfo
}

// changed says whether the file's size or modification time changed since
// before (false for bytes in memory).
func (f sideFile) changed() bool {
	if f.stat == nil {
		return false
	}
	now, err := f.stat()
	return err != nil || now.Size() != f.before.Size() || !now.ModTime().Equal(f.before.ModTime())
}

// sideHash is the SHA-256 of a source from an offset to its end,
// computed on its own goroutine.
type sideHash struct {
	cancel context.CancelFunc
	done   chan struct{}
	n      int64  // bytes hashed; read after done
	sum    []byte // the SHA-256; read after done
	err    error  // the read's error or ctx's; read after done
}

func startSideHash(ctx context.Context, src io.ReaderAt, start int64) *sideHash {
	ctx, cancel := context.WithCancel(ctx)
	s := &sideHash{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		h := sha256.New()
		buf := make([]byte, sideChunk)
		off := start
		for {
			if sideHashHook != nil {
				sideHashHook(ctx)
			}
			if err := ctx.Err(); err != nil {
				s.err = err
				return
			}
			k, err := src.ReadAt(buf, off)
			h.Write(buf[:k])
			off += int64(k)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				s.err = err
				return
			}
		}
		s.n, s.sum = off-start, h.Sum(nil)
	}()
	return s
}

// runBeside verifies the local archive r (src) with its hash beside the
// parse: the parse reads r itself, then overlap finishes.
func (v *verifier) runBeside(ctx context.Context, r io.Reader, src sideFile, rep *Report) error {
	sh := startSideHash(ctx, src.r, src.start)
	defer sh.stop()
	cr := &ctxReader{ctx: ctx, r: r}
	perr := v.run(tar.NewReader(bufio.NewReaderSize(cr, sideHeaderBuf)), rep)
	_, serr := io.CopyBuffer(io.Discard, struct{ io.Reader }{cr}, v.buf) // the rest counts in the length
	switch {
	case serr != nil:
		return fmt.Errorf("read archive: %w", serr)
	case perr != nil:
		return perr
	}
	return v.overlap(ctx, sh, cr.n, src, rep)
}

// stop ends the hash (if it still runs) and waits for its goroutine.
func (s *sideHash) stop() {
	s.cancel()
	<-s.done
}

// overlap finishes a verification whose hash runs beside it: it starts
// the engine's checks (when the archive's own checks passed so far) while
// the hash finishes and then records, in the order the single pass would,
// the checksum's failure, the manifest's and the engine's. An engine
// failure found while the hash still runs stops the hash (the archive has
// failed already; Checksum stays ""). streamed is the length the parse
// read, src what the hash reads.
func (v *verifier) overlap(ctx context.Context, sh *sideHash, streamed int64, src sideFile, rep *Report) error {
	var cmp Report
	if v.manifest != nil {
		v.compare(&cmp)
	}
	var eng Report
	var engErr error
	var engDone chan struct{}
	if v.manifest != nil && len(rep.Failures)+len(cmp.Failures) == 0 && v.spill != "" {
		if err := ctx.Err(); err != nil {
			return err
		}
		engDone = make(chan struct{})
		go func() {
			defer close(engDone)
			engErr = v.engineChecks(&eng)
		}()
	}
	hashed := false
	if engDone != nil {
		select {
		case <-sh.done:
			hashed = true
		case <-engDone:
		}
		if !hashed && (engErr != nil || len(eng.Failures) > 0) {
			sh.stop() // failed already: the rest of the hash would change nothing
		}
		<-engDone
	}
	<-sh.done
	if engErr != nil {
		return engErr
	}
	if sh.err != nil && !(errors.Is(sh.err, context.Canceled) && ctx.Err() == nil) {
		return fmt.Errorf("read archive: %w", sh.err)
	}
	if sh.err == nil {
		v.recordHash(sh, streamed, src, rep)
	} else {
		rep.ArchiveBytes = streamed
	}
	if v.manifest == nil {
		return nil
	}
	rep.Failures = append(rep.Failures, cmp.Failures...)
	if engDone != nil && len(rep.Failures) == 0 {
		rep.EngineChecked = true
		rep.VerifyStats.Add(eng.VerifyStats)
		rep.Failures = append(rep.Failures, eng.Failures...)
	}
	return nil
}

// recordHash records the side hash's length and SHA-256, compares the
// checksum and checks that the archive did not change between the two
// reads (its length, and a file's size and modification time).
func (v *verifier) recordHash(sh *sideHash, streamed int64, src sideFile, rep *Report) {
	rep.ArchiveBytes, rep.Checksum = sh.n, hex.EncodeToString(sh.sum)
	if sh.n != streamed || src.changed() {
		rep.fail("", "%v: the archive changed while it was verified (%d bytes parsed, %d hashed)", ErrCorrupt, streamed, sh.n)
	}
	if v.opts.Checksum != "" {
		rep.ChecksumChecked = true
		if want := strings.ToLower(v.opts.Checksum); want != rep.Checksum {
			rep.fail("", "%v: the archive's SHA-256 is %s, its checksum says %s", ErrChecksumMismatch, rep.Checksum, want)
		}
	}
}
