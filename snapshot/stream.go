package snapshot

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// The archive is produced in a pipeline of fixed buffers: the producer
// (the caller's goroutine) walks the folder and reads the files straight
// into a chunk, computing their CRC-32C; a second goroutine feeds each full
// chunk to the archive's SHA-256; a third writes it. Reading, hashing and
// writing so overlap on different cores, and no byte is copied twice.
const (
	// chunkSize is the size of one pipeline buffer, a multiple of
	// directAlign so that every chunk but the last can be written with
	// direct I/O. The sink is the pipeline's slowest stage (a direct write
	// and the start of an fdatasync per chunk, each waiting for a P on a
	// machine whose cores the producer and the hash keep busy): at 1 MiB a
	// 1,000,000-point create took 0.85-0.88 s, at 2 MiB 0.63-0.66 s, for the
	// same writer stall (docs/BENCHMARKS.md, 2026-12-08 02:25-02:32).
	chunkSize = 2 << 20
	// pipelineChunks is how many buffers are in flight.
	pipelineChunks = 6
	// directAlign is the alignment of buffers, offsets and lengths that
	// direct I/O (O_DIRECT) requires.
	directAlign = 4096
	// blockSize is tar's block: bodies are padded to it, and the archive
	// ends with two zero blocks.
	blockSize = 512
)

// chunk is one pipeline buffer; buf[:n] holds archive bytes.
type chunk struct {
	buf []byte
	n   int
}

// pipeline moves chunks from the producer through an optional hash to a
// sink.
type pipeline struct {
	free   chan *chunk
	toHash chan *chunk
	toSink chan *chunk
	cur    *chunk
	total  int64 // archive bytes produced

	errLatch // the first sink error
	wg       sync.WaitGroup
}

// newPipeline starts the hashing (when h is not nil) and sink goroutines.
// sink receives the archive in order, in chunks of chunkSize bytes (the
// last one may be shorter).
func newPipeline(h hash.Hash, sink func(b []byte) error) *pipeline {
	p := &pipeline{
		free:   make(chan *chunk, pipelineChunks),
		toHash: make(chan *chunk, pipelineChunks),
		toSink: make(chan *chunk, pipelineChunks),
	}
	for range pipelineChunks {
		c, _ := chunkPool.Get().(*chunk)
		if c == nil {
			c = &chunk{buf: alignedBuf(chunkSize)}
		}
		c.n = 0
		p.free <- c
	}
	p.cur = <-p.free
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		defer close(p.toSink)
		for c := range p.toHash {
			if h != nil {
				hashYielding(h, c.buf[:c.n])
			}
			p.toSink <- c
		}
	}()
	go func() {
		defer p.wg.Done()
		for c := range p.toSink {
			if p.failed() == nil {
				if err := sink(c.buf[:c.n]); err != nil {
					p.fail(err)
				}
			}
			c.n = 0
			p.free <- c
		}
	}()
	return p
}

// hashSlice is how many bytes the hashing goroutine hashes between two
// yields of its P (about 0.2 ms of SHA-256 here).
const hashSlice = 256 << 10

// hashYielding feeds b to h in slices of hashSlice bytes, yielding the
// processor after each (runtime.Gosched). The producer and the hasher are
// busy for the whole archive, and with GOMAXPROCS 2 they hold both Ps: a
// goroutine that becomes runnable meanwhile (a wait=true write's WAL sync
// returning from fdatasync, the writer it then wakes) waits for the
// scheduler to preempt one of them, up to 10 ms a hand-off, where a yield
// every slice bounds that wait to one slice.
func hashYielding(h hash.Hash, b []byte) {
	for len(b) > 0 {
		n := min(len(b), hashSlice)
		h.Write(b[:n])
		b = b[n:]
		yieldProc()
	}
}

// yieldProc gives up the processor between hash slices; tests count it.
var yieldProc = runtime.Gosched

// chunkPool keeps pipeline buffers between archives.
var chunkPool sync.Pool

// alignedBuf returns n bytes whose address is a multiple of directAlign.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	return b[off : off+n : off+n]
}

// errLatch keeps the first error of a pipeline's goroutines.
type errLatch struct {
	mu  sync.Mutex
	err error
}

func (l *errLatch) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

func (l *errLatch) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// send passes the current chunk on and takes a free one, then yields the
// processor (see hashYielding: the producer reading and checksumming files
// is the archive's other busy goroutine).
func (p *pipeline) send() error {
	p.toHash <- p.cur
	p.cur = <-p.free
	runtime.Gosched()
	return p.failed()
}

// space returns the free part of the current chunk, passing full chunks on.
func (p *pipeline) space() ([]byte, error) {
	if p.cur.n == chunkSize {
		if err := p.send(); err != nil {
			return nil, err
		}
	}
	return p.cur.buf[p.cur.n:], nil
}

// Write appends b to the archive.
func (p *pipeline) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		s, err := p.space()
		if err != nil {
			return written, err
		}
		k := copy(s, b)
		p.cur.n += k
		p.total += int64(k)
		written += k
		b = b[k:]
	}
	return written, nil
}

// pad appends zeros up to the next tar block boundary.
func (p *pipeline) pad() error {
	var zeros [blockSize]byte
	if r := p.total % blockSize; r != 0 {
		_, err := p.Write(zeros[:blockSize-r])
		return err
	}
	return nil
}

// readBody reads exactly size bytes of f into the archive and returns
// their CRC-32C; a file that ends early or is longer is an error (it
// changed while archived).
func (p *pipeline) readBody(f *os.File, size int64) (uint32, error) {
	var crc uint32
	for left := size; left > 0; {
		s, err := p.space()
		if err != nil {
			return 0, err
		}
		s = s[:min(int64(len(s)), left)]
		if _, err := io.ReadFull(f, s); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("read %s: ends before its %d bytes (file changed)", f.Name(), size)
			}
			return 0, fmt.Errorf("read %s: %w", f.Name(), err)
		}
		crc = crc32.Update(crc, castagnoli, s)
		p.cur.n += len(s)
		p.total += int64(len(s))
		left -= int64(len(s))
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		return 0, fmt.Errorf("read %s: longer than its %d bytes (file changed)", f.Name(), size)
	}
	return crc, p.pad()
}

// finish passes on the last chunk (possibly empty), waits for the
// goroutines and returns the first sink error.
func (p *pipeline) finish() error {
	p.toHash <- p.cur
	p.cur = nil
	close(p.toHash)
	p.wg.Wait()
	for range pipelineChunks {
		chunkPool.Put(<-p.free)
	}
	return p.failed()
}

// abort stops the goroutines after a producer error.
func (p *pipeline) abort() {
	if p.cur != nil {
		p.cur.n = 0
		_ = p.finish()
	}
}

// Stream writes the folder src to w as a snapshot archive without storing
// it: every folder and regular file in lexical order, with fixed modes,
// owner 0 and mtime meta.CreatedAt, then the manifest as the last entry.
// Anything else in src (a symbolic link, a device) is an error, as is a
// file that changes size while it is read. It returns the manifest written.
func Stream(w io.Writer, src string, meta Meta) (*Manifest, error) {
	m, _, err := streamArchive(src, meta, nil, func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
	return m, err
}

// streamArchive produces the archive of src through a pipeline hashing it
// with h (if not nil) and handing it to sink; it returns the manifest and
// the archive's length.
func streamArchive(src string, meta Meta, h hash.Hash, sink func(b []byte) error) (*Manifest, int64, error) {
	p := newPipeline(h, sink)
	m, err := produce(p, src, meta)
	if err != nil {
		p.abort()
		return nil, 0, err
	}
	if err := p.finish(); err != nil {
		return nil, 0, err
	}
	return m, p.total, nil
}

// produce writes every entry of src, the manifest and the end blocks.
func produce(p *pipeline, src string, meta Meta) (*Manifest, error) {
	m := newManifest(meta)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == src {
			return nil
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		return addEntry(p, m, filepath.ToSlash(rel), path, d)
	})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if err := writeHeader(p, header(ManifestName, tar.TypeReg, int64(len(body)), m.CreatedAt)); err != nil {
		return nil, fmt.Errorf("write manifest header: %w", err)
	}
	if _, err := p.Write(body); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if err := p.pad(); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if _, err := p.Write(make([]byte, 2*blockSize)); err != nil {
		return nil, fmt.Errorf("finish archive: %w", err)
	}
	return m, nil
}

// writeHeader appends the tar header blocks of hdr, as archive/tar encodes
// them; the caller writes the body and pads it.
func writeHeader(p *pipeline, hdr *tar.Header) error {
	var b bytes.Buffer
	if err := tar.NewWriter(&b).WriteHeader(hdr); err != nil {
		return err
	}
	_, err := p.Write(b.Bytes())
	return err
}

// addEntry writes one folder or regular file into the archive.
func addEntry(p *pipeline, m *Manifest, rel, path string, d fs.DirEntry) error {
	if rel == ManifestName {
		return fmt.Errorf("%w: %s is reserved for the manifest", ErrUnsafeEntry, path)
	}
	if err := checkEntryName(rel); err != nil {
		return err
	}
	switch {
	case d.IsDir():
		if err := writeHeader(p, header(rel+"/", tar.TypeDir, 0, m.CreatedAt)); err != nil {
			return fmt.Errorf("write header %s: %w", rel, err)
		}
		return nil
	case d.Type().IsRegular():
		e, err := addFile(p, rel, path, m.CreatedAt)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, e)
		return nil
	default:
		return fmt.Errorf("%w: %s is a %v, not a regular file or folder", ErrUnsafeEntry, path, d.Type())
	}
}

func addFile(p *pipeline, rel, path string, mtime time.Time) (FileEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileEntry{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return FileEntry{}, fmt.Errorf("stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return FileEntry{}, fmt.Errorf("%w: %s is not a regular file", ErrUnsafeEntry, path)
	}
	size := st.Size()
	if err := writeHeader(p, header(rel, tar.TypeReg, size, mtime)); err != nil {
		return FileEntry{}, fmt.Errorf("write header %s: %w", rel, err)
	}
	crc, err := p.readBody(f, size)
	if err != nil {
		return FileEntry{}, fmt.Errorf("copy %s: %w", path, err)
	}
	return FileEntry{Path: rel, Size: size, CRC32C: crc}, nil
}
