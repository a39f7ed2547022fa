package snapshot

import (
	"context"
	"crypto/sha256"
	"hash"
	"io"
	"os"
	"path"
	"sync"
	"sync/atomic"

	"github.com/cairn-db/cairn/segment"
)

// The verifier reads a stream once (a local file is read as in
// verify_overlap.go instead). A reader goroutine reads the stream
// into a few fixed buffers and hands each one both to a hashing goroutine
// (the archive's SHA-256) and to the parser (tar entries, each file's
// CRC-32C, the spill to the temp folder); a buffer is reused once both are
// done with it. SHA-256 runs on one core while the parse, the CRC-32C and
// the spill run on another, so the pass costs about the slower of the two,
// and memory stays at verifyBuffers × verifyChunk whatever the files'
// sizes.
const (
	// verifyChunk is the size of one read of the archive.
	verifyChunk = 1 << 20
	// verifyBuffers is how many chunks are in flight at once.
	verifyBuffers = 6
)

// vbuf is one chunk of the archive on its way to the hasher and the
// parser; refs counts those still reading it.
type vbuf struct {
	b    []byte
	n    int
	refs atomic.Int32
}

// teeStream reads src in chunks, hashing them on their own goroutine
// (unless the archive is hashed beside it, see verify_overlap.go), and
// serves them to Read.
type teeStream struct {
	ctx    context.Context
	src    io.Reader
	free   chan *vbuf
	toHash chan *vbuf
	toRead chan *vbuf
	h      hash.Hash // nil when not hashing
	wg     sync.WaitGroup

	cur   *vbuf // the chunk Read is serving
	off   int
	n     int64 // bytes read from src
	err   error // src's error, io.EOF at its end; read after toRead is closed
	ended bool
}

func newTeeStream(ctx context.Context, src io.Reader, hashing bool) *teeStream {
	t := &teeStream{ctx: ctx, src: src,
		free: make(chan *vbuf, verifyBuffers), toHash: make(chan *vbuf, verifyBuffers), toRead: make(chan *vbuf, verifyBuffers)}
	for range verifyBuffers {
		t.free <- &vbuf{b: make([]byte, verifyChunk)}
	}
	if hashing {
		t.h = sha256.New() // set before the reader starts: it reads t.h
		t.wg.Add(1)
		go t.hasher()
	}
	t.wg.Add(1)
	go t.reader()
	return t
}

// reader fills free chunks from src until it ends, fails or ctx is done.
func (t *teeStream) reader() {
	defer t.wg.Done()
	defer close(t.toRead)
	defer close(t.toHash)
	for {
		var b *vbuf
		select {
		case b = <-t.free:
		case <-t.ctx.Done():
			t.err = t.ctx.Err()
			return
		}
		n, err := io.ReadFull(t.src, b.b)
		if n > 0 {
			b.n = n
			t.n += int64(n)
			if t.h != nil {
				b.refs.Store(2)
				t.toHash <- b
			} else {
				b.refs.Store(1)
			}
			t.toRead <- b
		} else {
			t.free <- b
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != nil {
			t.err = err
			return
		}
	}
}

func (t *teeStream) hasher() {
	defer t.wg.Done()
	for b := range t.toHash {
		t.h.Write(b.b[:b.n])
		t.release(b)
	}
}

// release marks b read by one of its two readers; the last one frees it.
func (t *teeStream) release(b *vbuf) {
	if b.refs.Add(-1) == 0 {
		t.free <- b // never blocks: free holds every buffer
	}
}

// Read implements io.Reader over the chunks.
func (t *teeStream) Read(p []byte) (int, error) {
	for t.cur == nil || t.off == t.cur.n {
		if t.cur != nil {
			t.release(t.cur)
			t.cur = nil
		}
		if t.ended {
			return 0, t.err
		}
		b, ok := <-t.toRead
		if !ok {
			t.ended = true
			return 0, t.err // the reader set it before closing toRead
		}
		t.cur, t.off = b, 0
	}
	n := copy(p, t.cur.b[t.off:t.cur.n])
	t.off += n
	return n, nil
}

// finish reads what is left of the stream (bytes after the tar's end still
// count in its SHA-256), waits for the hasher and returns the archive's
// length, its SHA-256 (nil when not hashing) and the source's error (nil
// at a clean end).
func (t *teeStream) finish() (int64, []byte, error) {
	_, _ = io.Copy(io.Discard, t)
	if t.cur != nil {
		t.release(t.cur)
		t.cur = nil
	}
	t.wg.Wait()
	err := t.err
	if err == io.EOF {
		err = nil
	}
	if t.h == nil {
		return t.n, nil, err
	}
	return t.n, t.h.Sum(nil), err
}

// spillFile writes one archive file to the spill folder, leaving out the
// float data of a segment's vectors file (segment.VectorData): the
// engine's checks never read it, and the stream has checked its CRC-32C
// already, so the copy holds a hole there. Every other byte is written.
type spillFile struct {
	f         *os.File
	name      string
	head      []byte // the first segment.HeaderSize bytes, until known
	known     bool   // whether the hole is known (or known absent)
	holeFrom  int64
	holeUntil int64
}

// write writes b, the bytes at offset off of the file.
func (s *spillFile) write(b []byte, off int64) error {
	if !s.known {
		s.head = append(s.head, b[:min(len(b), segment.HeaderSize-len(s.head))]...)
		if len(s.head) == segment.HeaderSize {
			s.known = true
			if o, n, ok := segment.VectorData(path.Base(s.name), s.head); ok {
				s.holeFrom, s.holeUntil = o, o+n
			}
		}
	}
	end := off + int64(len(b))
	if !s.known || s.holeUntil <= off || end <= s.holeFrom {
		_, err := s.f.WriteAt(b, off)
		return err
	}
	if off < s.holeFrom {
		if _, err := s.f.WriteAt(b[:s.holeFrom-off], off); err != nil {
			return err
		}
	}
	if end > s.holeUntil {
		if _, err := s.f.WriteAt(b[s.holeUntil-off:], s.holeUntil); err != nil {
			return err
		}
	}
	return nil
}
