package engine

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/cairn-db/cairn/point"
)

// WAL record layout (the WAL adds length and CRC-32C around it):
//
//	byte    format version (3; 1 and 2 are still read)
//	byte    kind: 1 = put, 2 = delete
//	int64   LE, versions 2 and 3: the record's time, Unix nanoseconds, taken
//	        when it was appended (WAL archiving and point-in-time recovery
//	        need it; a version 1 record has no time)
//	uvarint number of points
//	put, per point:   id (17 bytes, point.AppendBinary)
//	                  uvarint number of vectors, per vector:
//	                    uvarint name length, name, uvarint dim, dim × float32 LE
//	                  version 3 only: uvarint number of sparse vectors, per
//	                  sparse vector (names sorted): uvarint name length, name,
//	                    uvarint nnz, nnz × uint32 LE indices (ascending),
//	                    nnz × float32 LE values
//	                  uvarint payload length + 1 (0 = no payload), payload JSON
//	delete, per point: id (17 bytes)
const recordVersion = 3

// recordVersionNoTime is the first record version, without a time.
const recordVersionNoTime = 1

// recordVersionNoSparse is the second record version: a time, no sparse
// vectors.
const recordVersionNoSparse = 2

const (
	kindPut    byte = 1
	kindDelete byte = 2
)

// pointData is one whole point as stored: vectors by name and raw JSON
// payload (nil for none).
type pointData struct {
	id      point.ID
	vectors map[string][]float32
	// sparse holds the sparse vectors by name, each sorted by index.
	sparse  map[string]point.SparseVector
	payload []byte
}

// op is a decoded WAL record.
type op struct {
	kind byte
	puts []pointData
	dels []point.ID
	// ts is the record's time in Unix nanoseconds, 0 when unknown (a
	// version 1 record).
	ts int64
}

// recordPool recycles record buffers: a fresh half-megabyte buffer per
// batch costs page faults that show in the ingest latency.
var recordPool sync.Pool

// maxPooled bounds the buffers kept in the pools.
const maxPooled = 16 << 20

func getBuffer(size int) []byte {
	if b, ok := recordPool.Get().(*[]byte); ok && cap(*b) >= size {
		return (*b)[:0]
	}
	return make([]byte, 0, size)
}

func putBuffer(b []byte) {
	if cap(b) <= maxPooled {
		recordPool.Put(&b)
	}
}

func encodePut(pts []pointData, ts int64) []byte {
	size := 11 + binary.MaxVarintLen64
	for i := range pts {
		size += point.BinarySize + 2*binary.MaxVarintLen64 + len(pts[i].payload)
		for name, v := range pts[i].vectors {
			size += 2*binary.MaxVarintLen64 + len(name) + 4*len(v)
		}
		for name, v := range pts[i].sparse {
			size += 2*binary.MaxVarintLen64 + len(name) + 8*len(v.Indices)
		}
	}
	b := getBuffer(size)
	b = append(b, recordVersion, kindPut)
	b = binary.LittleEndian.AppendUint64(b, uint64(ts))
	b = binary.AppendUvarint(b, uint64(len(pts)))
	for i := range pts {
		p := &pts[i]
		b = p.id.AppendBinary(b)
		b = binary.AppendUvarint(b, uint64(len(p.vectors)))
		if len(p.vectors) == 1 {
			for name, v := range p.vectors {
				b = appendVector(b, name, v)
			}
		} else {
			for _, name := range sortedNames(p.vectors) {
				b = appendVector(b, name, p.vectors[name])
			}
		}
		b = appendSparse(b, p.sparse)
		if p.payload == nil {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, uint64(len(p.payload))+1)
			b = append(b, p.payload...)
		}
	}
	return b
}

func encodeDelete(ids []point.ID, ts int64) []byte {
	b := make([]byte, 0, 11+binary.MaxVarintLen64+len(ids)*point.BinarySize)
	b = append(b, recordVersion, kindDelete)
	b = binary.LittleEndian.AppendUint64(b, uint64(ts))
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = id.AppendBinary(b)
	}
	return b
}

// recordReader decodes with bounds checks: records come from disk.
type recordReader struct {
	b      []byte
	err    error
	sparse bool // the record's points carry sparse vectors (version 3)
}

func (r *recordReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("decode wal record: %w: %s", ErrCorrupt, what)
	}
}

func (r *recordReader) uvarint(what string, limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) bytes(n uint64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail(what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *recordReader) id() point.ID {
	raw := r.bytes(point.BinarySize, "short id")
	if r.err != nil {
		return point.ID{}
	}
	id, err := point.IDFromBinary(raw)
	if err != nil {
		r.fail(err.Error())
	}
	return id
}

// decodeRecord parses a WAL record. The result does not alias b.
func decodeRecord(b []byte) (op, error) {
	if len(b) < 2 || b[0] < recordVersionNoTime || b[0] > recordVersion {
		return op{}, fmt.Errorf("decode wal record: %w: bad version", ErrCorrupt)
	}
	r := &recordReader{b: b[2:], sparse: b[0] >= recordVersion}
	o := op{kind: b[1]}
	if b[0] >= recordVersionNoSparse {
		o.ts = int64(binary.LittleEndian.Uint64(r.bytes(8, "short time")))
		if r.err != nil {
			return op{}, r.err
		}
	}
	n := r.uvarint("count", uint64(len(b)))
	switch o.kind {
	case kindPut:
		o.puts = make([]pointData, 0, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			o.puts = append(o.puts, r.point())
		}
	case kindDelete:
		o.dels = make([]point.ID, 0, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			o.dels = append(o.dels, r.id())
		}
	default:
		return op{}, fmt.Errorf("decode wal record: %w: kind %d", ErrCorrupt, o.kind)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	return o, r.err
}

func (r *recordReader) point() pointData {
	p := pointData{id: r.id()}
	nv := r.uvarint("vector count", 1<<16)
	if nv > 0 {
		p.vectors = make(map[string][]float32, nv)
	}
	for j := uint64(0); j < nv && r.err == nil; j++ {
		name := string(r.bytes(r.uvarint("name length", 1<<16), "name"))
		dim := r.uvarint("dim", MaxVectorSize)
		raw := r.bytes(dim*4, "vector")
		if r.err != nil {
			break
		}
		p.vectors[name] = decodeFloats(raw)
	}
	if r.sparse {
		p.sparse = r.sparseVectors()
	}
	if pl := r.uvarint("payload length", uint64(len(r.b))+1); pl > 0 {
		p.payload = append([]byte(nil), r.bytes(pl-1, "payload")...)
	}
	return p
}

func appendVector(b []byte, name string, v []float32) []byte {
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = append(b, name...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return appendFloats(b, v)
}

// appendSparse appends the count and the sparse vectors (names sorted).
func appendSparse(b []byte, m map[string]point.SparseVector) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	if len(m) == 0 {
		return b
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := m[name]
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
		b = binary.AppendUvarint(b, uint64(len(v.Indices)))
		for _, x := range v.Indices {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
		b = appendFloats(b, v.Values)
	}
	return b
}

// sparseVectors reads a point's sparse vectors (version 3).
func (r *recordReader) sparseVectors() map[string]point.SparseVector {
	n := r.uvarint("sparse vector count", 1<<16)
	if n == 0 || r.err != nil {
		return nil
	}
	out := make(map[string]point.SparseVector, n)
	for j := uint64(0); j < n && r.err == nil; j++ {
		name := string(r.bytes(r.uvarint("sparse name length", 1<<16), "sparse name"))
		nnz := r.uvarint("sparse length", uint64(len(r.b))/8)
		raw := r.bytes(nnz*8, "sparse vector")
		if r.err != nil {
			break
		}
		v := point.SparseVector{Indices: make([]uint32, nnz), Values: decodeFloats(raw[4*nnz:])}
		for k := range v.Indices {
			v.Indices[k] = binary.LittleEndian.Uint32(raw[4*k:])
		}
		out[name] = v
	}
	return out
}

// sortedNames returns the vector names in order, so encoding is deterministic.
func sortedNames(m map[string][]float32) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
