package snapshot

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
)

// The extractor writes files in a pipeline: the caller's goroutine parses
// the archive, reads each file's bytes into a buffer and computes their
// CRC-32C; a writer goroutine writes the buffers through the page cache and
// starts the writeback of every writebackChunk bytes (and of each file's
// tail) as soon as they are written; a flusher goroutine waits for those
// ranges to reach the disk, in order, and closes each file after its last
// range. Reading and checksumming overlap with writing on another core;
// the writer waits for the disk only when extractWindow ranges are in
// flight, which bounds the dirty data to about that many writebackChunks,
// so the final fsyncs find nearly nothing left to write. The files stay in the page
// cache: the engine's verification and the first searches read them from
// memory.
const (
	// extractBuffers is the number of buffers between reader and writer.
	extractBuffers = 4
	// extractWindow is how many started writeback ranges may be in
	// flight before the writer waits for the flusher.
	extractWindow = 8
	// extractChunk is the size of one buffer between reader and writer.
	extractChunk = 1 << 20
)

// wchunk is one buffer on its way to the writer; f is the file it belongs
// to. end marks the file's last chunk (possibly empty).
type wchunk struct {
	f   *os.File
	buf []byte
	n   int
	end bool
}

// wrange is a writeback range handed to the flusher; close marks the end
// of f (the flusher closes it).
type wrange struct {
	f       *os.File
	off, n  int64
	closeIt bool
}

type writePipe struct {
	free    chan []byte
	toWrite chan wchunk
	toFlush chan wrange
	wg      sync.WaitGroup
	errLatch
}

func newWritePipe() *writePipe {
	p := &writePipe{
		free:    make(chan []byte, extractBuffers),
		toWrite: make(chan wchunk, extractBuffers),
		toFlush: make(chan wrange, extractWindow),
	}
	for range extractBuffers {
		p.free <- make([]byte, extractChunk) // written through the page cache: no alignment needed
	}
	p.wg.Add(2)
	go p.writer()
	go p.flusher()
	return p
}

// writer writes the chunks in order, starting the writeback of every full
// writebackChunk and of each file's tail.
func (p *writePipe) writer() {
	defer p.wg.Done()
	defer close(p.toFlush)
	var cur *os.File
	var n, next int64 // bytes written to cur; first byte whose writeback is not started
	for c := range p.toWrite {
		if c.f != cur {
			cur, n, next = c.f, 0, 0
		}
		if c.n > 0 && p.failed() == nil {
			w, err := c.f.Write(c.buf[:c.n])
			n += int64(w)
			if err != nil {
				p.fail(fmt.Errorf("write %s: %w", c.f.Name(), err))
			}
		}
		if c.buf != nil {
			p.free <- c.buf
		}
		fd := c.f.Fd()
		for n-next >= writebackChunk {
			if err := kickWriteback(fd, next, writebackChunk); err != nil {
				p.fail(fmt.Errorf("write back %s: %w", c.f.Name(), err))
			}
			p.toFlush <- wrange{f: c.f, off: next, n: writebackChunk}
			next += writebackChunk
		}
		if c.end {
			if n > next {
				if err := kickWriteback(fd, next, n-next); err != nil {
					p.fail(fmt.Errorf("write back %s: %w", c.f.Name(), err))
				}
				p.toFlush <- wrange{f: c.f, off: next, n: n - next}
			}
			p.toFlush <- wrange{f: c.f, closeIt: true}
			cur = nil
		}
	}
}

// flusher waits for each started range to be written, in order, and
// closes each file after its last one.
func (p *writePipe) flusher() {
	defer p.wg.Done()
	for r := range p.toFlush {
		if r.closeIt {
			if err := r.f.Close(); err != nil {
				p.fail(fmt.Errorf("close %s: %w", r.f.Name(), err))
			}
			continue
		}
		if err := waitWriteback(r.f.Fd(), r.off, r.n); err != nil {
			p.fail(fmt.Errorf("write back %s: %w", r.f.Name(), err))
		}
	}
}

// copyFile reads size bytes of r into the pipeline for f, computing their
// CRC-32C, and hands f over: the pipeline closes it. It returns the
// checksum and the number of bytes read.
func (p *writePipe) copyFile(f *os.File, r io.Reader) (sum uint32, n int64, err error) {
	for {
		buf := <-p.free
		k, rerr := fillChunk(r, buf)
		sum = crc32.Update(sum, castagnoli, buf[:k])
		n += int64(k)
		done := rerr != nil
		p.toWrite <- wchunk{f: f, buf: buf, n: k, end: done}
		if done {
			if errors.Is(rerr, errEndOfEntry) {
				rerr = nil
			}
			if err := p.failed(); err != nil && rerr == nil {
				rerr = err
			}
			return sum, n, rerr
		}
		if err := p.failed(); err != nil {
			p.toWrite <- wchunk{f: f, end: true}
			return sum, n, err
		}
	}
}

// finish waits for the writer and flusher (every file handed over is then
// closed) and returns the first error they met.
func (p *writePipe) finish() error {
	close(p.toWrite)
	p.wg.Wait()
	return p.failed()
}

// errEndOfEntry marks the end of an archive entry's bytes in fillChunk.
var errEndOfEntry = errors.New("end of entry")

// fillChunk fills buf from r, returning fewer bytes only at the entry's end
// (errEndOfEntry) or on an error.
func fillChunk(r io.Reader, buf []byte) (int, error) {
	k := 0
	for k < len(buf) {
		m, err := r.Read(buf[k:])
		k += m
		if errors.Is(err, io.EOF) {
			return k, errEndOfEntry
		}
		if err != nil {
			return k, err
		}
	}
	return k, nil
}
