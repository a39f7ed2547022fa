package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// VectorSpec describes one vector of a segment's points.
type VectorSpec struct {
	// Name is the vector's name; "" is the unnamed default vector.
	Name string
	// Dim is the number of float32 components, 1..MaxDim.
	Dim int
	// Distance is the metric the vector is searched with.
	Distance point.Distance
	// Datatype is the type the components are stored in; Write converts
	// each float32 component to it (simd.F16FromFloat32,
	// simd.U8FromFloat32). A Cosine vector must be normalised by the caller
	// before it is narrowed, as Qdrant does.
	Datatype Datatype
}

// Record is one point to store in a segment.
type Record struct {
	// ID is the point's id; ids are unique within a segment.
	ID point.ID
	// Version is the operation number that last wrote the point.
	Version uint64
	// Vectors maps a vector name ("" for the unnamed vector) to its
	// components. A point may lack any of the segment's vectors; a nil
	// slice counts as absent.
	Vectors map[string][]float32
	// Payload is the point's raw JSON object, or nil for none. It is stored
	// verbatim, unchecked; an empty payload reads back as nil.
	Payload []byte
}

// WriteOptions configures Write.
type WriteOptions struct {
	// FS is the filesystem written through; nil means vfs.OS.
	FS vfs.FS
	// Vectors lists the vectors every record may carry.
	Vectors []VectorSpec
	// Extra maps file names (for example "index-<key>.pidx") to contents
	// stored verbatim in the segment and read back with Segment.Extra.
	Extra map[string][]byte
	// Attach, if set, runs once every other file (meta.seg included) is
	// written and fsynced in the temporary folder tmpDir, with the segment
	// opened from there, so files derived from the stored data (an HNSW
	// graph built over the mapped vectors, for instance) can join the
	// segment before it is published. It creates those files directly in
	// tmpDir through fs and returns their names; Write fsyncs and checksums
	// them, lists them in meta.seg as extra files (read back with
	// Segment.Extra) and closes s when Attach returns. An error aborts Write.
	Attach func(fs vfs.FS, tmpDir string, s *Segment) (names []string, err error)
}

// bufSize is the size of the write buffer: large writes keep Write at disk
// speed.
const bufSize = 4 << 20

// Write creates the segment folder dir, which must not exist, holding recs
// sorted by id. Missing parents of dir are created durably
// (vfs.MkdirAllSynced). Every file is written inside the temporary folder
// dir+".tmp" (removed first if a crash left it), fsynced, and the folder is
// renamed to dir, whose parent is then fsynced. On error nothing remains of
// either folder. recs is not modified.
func Write(dir string, recs []Record, opts WriteOptions) error {
	if err := write(dir, recs, opts); err != nil {
		return fmt.Errorf("write segment %s: %w", dir, err)
	}
	return nil
}

func write(dir string, recs []Record, opts WriteOptions) (err error) {
	fs := opts.FS
	if fs == nil {
		fs = vfs.OS
	}
	order, err := checkInput(recs, opts)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dir); err == nil {
		return ErrExists
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := vfs.MkdirAllSynced(fs, filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create parent of %s: %w", dir, err)
	}
	tmp := dir + TempSuffix
	if err := fs.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove stale %s: %w", tmp, err)
	}
	if err := fs.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	renamed := false
	defer func() {
		if err != nil {
			_ = fs.RemoveAll(tmp)
			if renamed {
				_ = fs.RemoveAll(dir)
			}
		}
	}()
	w := &segWriter{fs: fs, dir: tmp, buf: make([]byte, 0, bufSize)}
	if err := w.writeAll(recs, order, opts); err != nil {
		return err
	}
	if err := fs.SyncDir(tmp); err != nil {
		return fmt.Errorf("sync dir %s: %w", tmp, err)
	}
	if err := fs.Rename(tmp, dir); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	renamed = true
	if err := fs.SyncDir(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("sync dir %s: %w", filepath.Dir(dir), err)
	}
	return nil
}

// checkInput validates the options and records and returns the record
// indexes in id order.
func checkInput(recs []Record, opts WriteOptions) ([]uint32, error) {
	if uint64(len(recs)) > MaxPoints {
		return nil, fmt.Errorf("%w: %d points", ErrInvalid, len(recs))
	}
	dims := map[string]int{}
	for _, s := range opts.Vectors {
		if err := checkSpec(s); err != nil {
			return nil, err
		}
		if s.Datatype != Float32 && writeVersion < 2 {
			return nil, fmt.Errorf("%w: vector %q: %s needs segment format version 2", ErrInvalid, s.Name, s.Datatype)
		}
		if _, dup := dims[s.Name]; dup {
			return nil, fmt.Errorf("%w: vector %q configured twice", ErrInvalid, s.Name)
		}
		dims[s.Name] = s.Dim
	}
	for name := range opts.Extra {
		if err := checkExtraName(name); err != nil {
			return nil, err
		}
	}
	order := make([]uint32, len(recs))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return point.Compare(recs[a].ID, recs[b].ID) })
	for i, o := range order {
		r := &recs[o]
		if i > 0 && recs[order[i-1]].ID == r.ID {
			return nil, fmt.Errorf("%w: duplicate id %s", ErrInvalid, r.ID)
		}
		for name, v := range r.Vectors {
			d, ok := dims[name]
			if !ok {
				return nil, fmt.Errorf("%w: point %s has unknown vector %q", ErrInvalid, r.ID, name)
			}
			if v != nil && len(v) != d {
				return nil, fmt.Errorf("%w: point %s vector %q has %d dimensions, want %d", ErrInvalid, r.ID, name, len(v), d)
			}
		}
	}
	return order, nil
}

// segWriter writes the files of one segment into its temporary folder.
type segWriter struct {
	fs    vfs.FS
	dir   string
	buf   []byte
	files []fileEntry
}

func (w *segWriter) writeAll(recs []Record, order []uint32, opts WriteOptions) error {
	m := meta{N: uint64(len(recs))}
	if err := w.writeIDs(recs, order); err != nil {
		return err
	}
	if err := w.writeVersions(recs, order); err != nil {
		return err
	}
	for _, s := range opts.Vectors {
		name := vectorFile(s.Name)
		if err := w.writeVectors(name, s, recs, order); err != nil {
			return err
		}
		m.Vectors = append(m.Vectors, vectorEntry{Spec: s, File: name})
	}
	if err := w.writePayload(recs, order); err != nil {
		return err
	}
	extras := make([]string, 0, len(opts.Extra))
	for name := range opts.Extra {
		extras = append(extras, name)
	}
	slices.Sort(extras)
	for _, name := range extras {
		data := opts.Extra[name]
		if err := w.writeFile(name, kindExtra, func(cw *chunkWriter) { cw.write(data) }); err != nil {
			return err
		}
	}
	m.Files = w.files
	if err := w.writeMeta(&m); err != nil {
		return err
	}
	if opts.Attach == nil {
		return nil
	}
	if err := w.attach(opts.Attach); err != nil {
		return err
	}
	m.Files = w.files
	if err := w.fs.Remove(filepath.Join(w.dir, MetaFile)); err != nil {
		return fmt.Errorf("replace %s: %w", MetaFile, err)
	}
	return w.writeMeta(&m)
}

func (w *segWriter) writeMeta(m *meta) error {
	body := m.marshal()
	return w.writeFile(MetaFile, 0, func(cw *chunkWriter) { cw.write(body) })
}

func (w *segWriter) writeIDs(recs []Record, order []uint32) error {
	body := make([]byte, 0, len(recs)*point.BinarySize)
	for _, o := range order {
		body = recs[o].ID.AppendBinary(body)
	}
	h := header{Magic: magicIDs, N: uint64(len(recs)), A: point.BinarySize, CRCA: checksum(body)}
	return w.writeFile(IDsFile, kindIDs, func(cw *chunkWriter) {
		cw.write(h.marshal())
		cw.write(body)
	})
}

func (w *segWriter) writeVersions(recs []Record, order []uint32) error {
	body := make([]byte, 0, len(recs)*8)
	for _, o := range order {
		body = binary.LittleEndian.AppendUint64(body, recs[o].Version)
	}
	h := header{Magic: magicVersions, N: uint64(len(recs)), CRCA: checksum(body)}
	return w.writeFile(VersionsFile, kindVersions, func(cw *chunkWriter) {
		cw.write(h.marshal())
		cw.write(body)
	})
}

func (w *segWriter) writeVectors(name string, s VectorSpec, recs []Record, order []uint32) error {
	n := uint64(len(recs))
	bm := make([]byte, bitmapBytes(n))
	present := uint64(0)
	for i, o := range order {
		if recs[o].Vectors[s.Name] != nil {
			bm[i>>3] |= 1 << (i & 7)
			present++
		}
	}
	h := header{Magic: magicVectors, N: n, A: uint64(s.Dim), B: present, Flags: uint32(s.Datatype) << dtypeShift}
	if present != n {
		h.Flags |= flagPresence
		h.CRCA = checksum(bm)
	}
	zeros := make([]float32, s.Dim)
	enc := newVectorEncoder(s.Datatype, s.Dim)
	return w.writeFile(name, kindVectors, func(cw *chunkWriter) {
		cw.write(h.marshal())
		for _, o := range order {
			v := recs[o].Vectors[s.Name]
			if v == nil {
				v = zeros
			}
			enc.write(cw, v)
		}
		if h.Flags&flagPresence != 0 {
			cw.write(bm)
		}
	})
}

func (w *segWriter) writePayload(recs []Record, order []uint32) error {
	offsets := make([]byte, 8, (len(recs)+1)*8)
	total := uint64(0)
	for _, o := range order {
		total += uint64(len(recs[o].Payload))
		offsets = binary.LittleEndian.AppendUint64(offsets, total)
	}
	h := header{Magic: magicPayload, N: uint64(len(recs)), A: total, CRCA: checksum(offsets)}
	return w.writeFile(PayloadFile, kindPayload, func(cw *chunkWriter) {
		cw.write(h.marshal())
		cw.write(offsets)
		for _, o := range order {
			cw.write(recs[o].Payload)
		}
	})
}

// writeFile creates name in the temporary folder, lets fill write its
// content, fsyncs and closes it, and records it in w.files unless kind is 0.
func (w *segWriter) writeFile(name string, kind uint8, fill func(cw *chunkWriter)) error {
	path := filepath.Join(w.dir, name)
	f, err := w.fs.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	cw := &chunkWriter{f: f, buf: w.buf[:0]}
	fill(cw)
	cw.flush()
	if cw.err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", name, cw.err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if kind != 0 {
		w.files = append(w.files, fileEntry{Name: name, Kind: kind, Size: cw.size, CRC: cw.crc})
	}
	return nil
}
