package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/klauspost/compress/zstd"

	"github.com/cairn-db/cairn/objstore"
)

// zstdMaxWindow bounds the memory a decoder of an untrusted object takes.
const zstdMaxWindow = 64 << 20

// newZstdReader decompresses an object as it is read.
func newZstdReader(r io.Reader) (*zstd.Decoder, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, fmt.Errorf("open zstd stream: %w", err)
	}
	return d, nil
}

// tarPart is one stretch of a synthesized archive: literal bytes (headers,
// padding, the manifest) or the content of one object.
type tarPart struct {
	off, n int64
	lit    []byte // the bytes, for a literal part
	key    string // the object, for a file's body
	zstd   bool
	path   string // the file, in messages
}

// layout returns the parts of the archive a local snapshot of rm would be:
// the same headers, bodies, padding and manifest entry Stream writes, so
// Extract accepts it, and its length. It reads no object.
func layout(rm *RemoteManifest) ([]tarPart, int64, error) {
	var parts []tarPart
	var off int64
	var lit bytes.Buffer
	flush := func() {
		if lit.Len() > 0 {
			b := bytes.Clone(lit.Bytes())
			parts = append(parts, tarPart{off: off, n: int64(len(b)), lit: b})
			off += int64(len(b))
			lit.Reset()
		}
	}
	addHeader := func(h *tar.Header) error {
		var b bytes.Buffer
		if err := tar.NewWriter(&b).WriteHeader(h); err != nil {
			return fmt.Errorf("%w: header of %q: %v", ErrManifest, h.Name, err)
		}
		lit.Write(b.Bytes())
		return nil
	}
	pad := func(n int64) {
		if r := n % blockSize; r != 0 {
			lit.Write(make([]byte, blockSize-r))
		}
	}
	mtime := rm.CreatedAt.UTC().Truncate(1e9)
	for _, e := range rm.Entries {
		if e.Dir {
			if err := addHeader(header(e.Path+"/", tar.TypeDir, 0, mtime)); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err := addHeader(header(e.Path, tar.TypeReg, e.Size, mtime)); err != nil {
			return nil, 0, err
		}
		flush()
		for _, c := range e.Chunks {
			_, z, _ := parseObjectKey(c.Object)
			parts = append(parts, tarPart{off: off, n: c.Size, key: c.Object, zstd: z, path: e.Path})
			off += c.Size
		}
		pad(e.Size)
	}
	body, err := json.Marshal(rm.archiveManifest())
	if err != nil {
		return nil, 0, fmt.Errorf("encode manifest: %w", err)
	}
	if err := addHeader(header(ManifestName, tar.TypeReg, int64(len(body)), mtime)); err != nil {
		return nil, 0, err
	}
	lit.Write(body)
	pad(int64(len(body)))
	lit.Write(make([]byte, 2*blockSize))
	flush()
	return parts, off, nil
}

// RemoteArchive reads the archive of a remote snapshot, synthesized from
// its manifest and objects as it is read: an io.ReadSeeker (so
// http.ServeContent answers Range requests) that holds at most one object
// open. Seeking into a compressed object decompresses it from its start.
type RemoteArchive struct {
	ctx   context.Context
	store objstore.Store
	parts []tarPart
	size  int64
	pos   int64

	cur    io.ReadCloser // the open object, at curPos in the archive
	curIdx int
	curPos int64
}

// newRemoteArchive opens the synthesized archive of rm.
func newRemoteArchive(ctx context.Context, store objstore.Store, rm *RemoteManifest) (*RemoteArchive, error) {
	parts, size, err := layout(rm)
	if err != nil {
		return nil, err
	}
	return &RemoteArchive{ctx: ctx, store: store, parts: parts, size: size, curIdx: -1}, nil
}

// Size is the archive's length in bytes.
func (a *RemoteArchive) Size() int64 { return a.size }

// Seek implements io.Seeker.
func (a *RemoteArchive) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += a.pos
	case io.SeekEnd:
		offset += a.size
	default:
		return 0, fmt.Errorf("seek archive: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek archive: negative position %d", offset)
	}
	a.pos = offset
	return offset, nil
}

// Read implements io.Reader.
func (a *RemoteArchive) Read(p []byte) (int, error) {
	if a.pos >= a.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	i := sort.Search(len(a.parts), func(i int) bool { return a.parts[i].off+a.parts[i].n > a.pos })
	pt := a.parts[i]
	in := a.pos - pt.off
	p = p[:min(int64(len(p)), pt.n-in)]
	if pt.lit != nil {
		n := copy(p, pt.lit[in:])
		a.pos += int64(n)
		return n, nil
	}
	if a.cur == nil || a.curIdx != i || a.curPos != a.pos {
		if err := a.open(i, in); err != nil {
			return 0, err
		}
	}
	n, err := a.cur.Read(p)
	a.pos += int64(n)
	a.curPos = a.pos
	if errors.Is(err, io.EOF) {
		err = nil
		if n == 0 {
			err = &objectError{Path: pt.path, err: fmt.Errorf("%w: object %s of %q ends before its %d bytes", ErrCorrupt, pt.key, pt.path, pt.n)}
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrCorrupt):
		if !errors.As(err, new(*objectError)) {
			err = &objectError{Path: pt.path, err: fmt.Errorf("%q: object %s: %w", pt.path, pt.key, err)}
		}
	default:
		err = fmt.Errorf("read %q from %s: %w", pt.path, a.store, err)
	}
	if a.pos == pt.off+pt.n || err != nil {
		a.closeCur()
	}
	return n, err
}

// open opens part i's object at in bytes of its content.
func (a *RemoteArchive) open(i int, in int64) error {
	a.closeCur()
	pt := a.parts[i]
	r, err := openObject(a.ctx, a.store, pt.key, pt.zstd, in, pt.n-in)
	if errors.Is(err, objstore.ErrNotExist) {
		err = fmt.Errorf("%w: object %s is missing: %w", ErrCorrupt, pt.key, err)
	}
	if errors.Is(err, ErrCorrupt) {
		return &objectError{Path: pt.path, err: fmt.Errorf("read %q: %w", pt.path, err)}
	}
	if err != nil {
		return fmt.Errorf("read %q: %w", pt.path, err)
	}
	a.cur, a.curIdx, a.curPos = r, i, a.pos
	return nil
}

// openObject returns n bytes of an object's content from offset in: a
// ranged read, or, for a compressed object, its decompressed stream with
// the first in bytes skipped.
func openObject(ctx context.Context, store objstore.Store, key string, z bool, in, n int64) (io.ReadCloser, error) {
	if !z {
		return store.Get(ctx, key, in, n)
	}
	rc, err := store.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	d, err := newZstdReader(rc)
	if err != nil {
		_ = rc.Close()
		return nil, err
	}
	var lr io.Reader = d
	if n >= 0 {
		lr = io.LimitReader(d, n)
	}
	zr := &zstdObject{d: d, rc: rc, r: lr}
	if _, err := io.CopyN(io.Discard, d, in); err != nil {
		_ = zr.Close()
		return nil, fmt.Errorf("%w: decompress %s: %v", ErrCorrupt, key, err)
	}
	return zr, nil
}

// zstdObject is a decompressed object.
type zstdObject struct {
	d  *zstd.Decoder
	rc io.ReadCloser
	r  io.Reader
}

func (z *zstdObject) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
	}
	return n, err
}

func (z *zstdObject) Close() error {
	z.d.Close()
	return z.rc.Close()
}

func (a *RemoteArchive) closeCur() {
	if a.cur != nil {
		_ = a.cur.Close()
		a.cur, a.curIdx = nil, -1
	}
}

// Close releases the open object, if any.
func (a *RemoteArchive) Close() error {
	a.closeCur()
	return nil
}

// objectError is a RemoteArchive read stopped by an object that is
// missing or whose content is wrong (ErrCorrupt): Path is the archive file
// it holds content of.
type objectError struct {
	Path string
	err  error
}

func (e *objectError) Error() string { return e.err.Error() }
func (e *objectError) Unwrap() error { return e.err }
