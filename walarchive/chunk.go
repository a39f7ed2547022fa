package walarchive

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/wal"
)

// ErrCorruptChunk reports a chunk that fails validation: bad magic or
// version, a checksum mismatch, a header that disagrees with its records or
// its key.
var ErrCorruptChunk = errors.New("corrupt wal archive chunk")

// The chunk header (little endian), then the body:
//
//	0   magic        "CAIRNWAR"
//	8   version      uint32 (1)
//	12  headerLen    uint32: bytes of the header, its CRC included
//	16  shard        uint32
//	20  count        uint32: records in the body
//	24  firstLSN     uint64
//	32  lastLSN      uint64
//	40  firstTime    int64: Unix nanoseconds
//	48  lastTime     int64
//	56  bodyLen      uint64
//	64  bodySHA256   [32]byte
//	96  nameLen      uint16, then the collection name
//	..  headerCRC    uint32: CRC-32C of every header byte before it
//
// The body is count entries: time int64 (Unix nanoseconds), then the
// record framed as in a WAL segment (wal.AppendFrame).
const (
	chunkMagic     = "CAIRNWAR"
	chunkVersion   = 1
	fixedHeaderLen = 98
	maxNameLen     = 1 << 10
	// MaxChunkBytes bounds a chunk a reader accepts: one record of the
	// WAL's largest size with its framing, or many small ones.
	MaxChunkBytes = wal.MaxRecordSize + 1<<20
	// chunkTarget is the body size past which the archiver starts a new
	// chunk.
	chunkTarget = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record is one archived WAL record.
type Record struct {
	// LSN is the record's log sequence number in its shard.
	LSN uint64
	// Time is when the record was appended (engine.RecordTime), or, for a
	// record that carries no time, when it was archived.
	Time time.Time
	// Data is the record in the engine's WAL record encoding.
	Data []byte
}

// Chunk is a decoded chunk: its header fields and records.
type Chunk struct {
	Collection string
	Shard      int
	FirstLSN   uint64
	LastLSN    uint64
	FirstTime  time.Time
	LastTime   time.Time
	Records    []Record
}

// EncodeChunk encodes records (consecutive LSNs, at least one) of one
// shard as a chunk.
func EncodeChunk(collection string, shard int, recs []Record) ([]byte, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("encode chunk: no records")
	}
	if len(collection) == 0 || len(collection) > maxNameLen || shard < 0 {
		return nil, fmt.Errorf("encode chunk: bad collection %q or shard %d", collection, shard)
	}
	var body []byte
	for i, r := range recs {
		if i > 0 && r.LSN != recs[i-1].LSN+1 {
			return nil, fmt.Errorf("encode chunk: lsn %d after %d", r.LSN, recs[i-1].LSN)
		}
		body = binary.LittleEndian.AppendUint64(body, uint64(r.Time.UnixNano()))
		body = wal.AppendFrame(body, r.LSN, r.Data)
	}
	sum := sha256.Sum256(body)
	hlen := fixedHeaderLen + len(collection) + 4
	h := make([]byte, 0, hlen+len(body))
	h = append(h, chunkMagic...)
	h = binary.LittleEndian.AppendUint32(h, chunkVersion)
	h = binary.LittleEndian.AppendUint32(h, uint32(hlen))
	h = binary.LittleEndian.AppendUint32(h, uint32(shard))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(recs)))
	h = binary.LittleEndian.AppendUint64(h, recs[0].LSN)
	h = binary.LittleEndian.AppendUint64(h, recs[len(recs)-1].LSN)
	h = binary.LittleEndian.AppendUint64(h, uint64(recs[0].Time.UnixNano()))
	h = binary.LittleEndian.AppendUint64(h, uint64(recs[len(recs)-1].Time.UnixNano()))
	h = binary.LittleEndian.AppendUint64(h, uint64(len(body)))
	h = append(h, sum[:]...)
	h = binary.LittleEndian.AppendUint16(h, uint16(len(collection)))
	h = append(h, collection...)
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
	return append(h, body...), nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptChunk, fmt.Sprintf(format, args...))
}

// DecodeChunk validates and decodes a whole chunk: magic, version, header
// CRC-32C, body SHA-256, every record's frame CRC-32C, the LSN sequence and
// the header's counts, LSNs and times against the records. Records alias b.
func DecodeChunk(b []byte) (*Chunk, error) {
	if len(b) > MaxChunkBytes {
		return nil, corrupt("%d bytes, at most %d", len(b), MaxChunkBytes)
	}
	if len(b) < fixedHeaderLen+4 || string(b[:8]) != chunkMagic {
		return nil, corrupt("bad magic")
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != chunkVersion {
		return nil, corrupt("unsupported version %d", v)
	}
	hlen := int(le.Uint32(b[12:]))
	nameLen := int(le.Uint16(b[96:]))
	if nameLen == 0 || nameLen > maxNameLen || hlen != fixedHeaderLen+nameLen+4 || hlen > len(b) {
		return nil, corrupt("bad header length %d", hlen)
	}
	if le.Uint32(b[hlen-4:]) != crc32.Checksum(b[:hlen-4], castagnoli) {
		return nil, corrupt("header checksum mismatch")
	}
	c := &Chunk{Collection: string(b[fixedHeaderLen : fixedHeaderLen+nameLen]), Shard: int(le.Uint32(b[16:])),
		FirstLSN: le.Uint64(b[24:]), LastLSN: le.Uint64(b[32:]),
		FirstTime: time.Unix(0, int64(le.Uint64(b[40:]))).UTC(), LastTime: time.Unix(0, int64(le.Uint64(b[48:]))).UTC()}
	count := uint64(le.Uint32(b[20:]))
	body := b[hlen:]
	if le.Uint64(b[56:]) != uint64(len(body)) {
		return nil, corrupt("body is %d bytes, header says %d", len(body), le.Uint64(b[56:]))
	}
	if sum := sha256.Sum256(body); string(sum[:]) != string(b[64:96]) {
		return nil, corrupt("body sha-256 mismatch")
	}
	if count == 0 || c.FirstLSN == 0 || c.LastLSN < c.FirstLSN || c.LastLSN-c.FirstLSN+1 != count {
		return nil, corrupt("header lsn %d..%d disagrees with %d records", c.FirstLSN, c.LastLSN, count)
	}
	c.Records = make([]Record, 0, min(count, uint64(len(body)/(8+wal.FrameHeaderSize))+1))
	for len(body) > 0 {
		if len(body) < 8 {
			return nil, corrupt("partial record time")
		}
		ts := time.Unix(0, int64(le.Uint64(body))).UTC()
		lsn, data, n, err := wal.DecodeFrame(body[8:])
		if err != nil {
			return nil, corrupt("record %d: %v", len(c.Records), err)
		}
		if want := c.FirstLSN + uint64(len(c.Records)); lsn != want {
			return nil, corrupt("record lsn %d out of sequence, want %d", lsn, want)
		}
		c.Records = append(c.Records, Record{LSN: lsn, Time: ts, Data: data})
		body = body[8+n:]
	}
	if uint64(len(c.Records)) != count {
		return nil, corrupt("%d records, header says %d", len(c.Records), count)
	}
	if !c.Records[0].Time.Equal(c.FirstTime) || !c.Records[len(c.Records)-1].Time.Equal(c.LastTime) {
		return nil, corrupt("header times disagree with the records")
	}
	return c, nil
}

// timelinePrefix is the key prefix of a collection's timeline: the old
// layout (no timeline folder) for timeline 0, written by earlier versions
// and by collections they created, "wal/{collection}/t-{timeline}/"
// otherwise (docs/format/wal-archive.md, "Keys").
func timelinePrefix(collection string, timeline uint64) string {
	if timeline == 0 {
		return "wal/" + collection + "/"
	}
	return "wal/" + collection + "/t-" + engine.FormatTimeline(timeline) + "/"
}

// shardPrefix is the key prefix of a shard's chunks on a timeline.
func shardPrefix(collection string, timeline uint64, shard int) string {
	return fmt.Sprintf("%s%d/", timelinePrefix(collection, timeline), shard)
}

// ChunkKey is the object key of a shard's chunk of records first..last on
// a timeline (engine.Timeline; 0 for the old layout); keys list in LSN
// order.
func ChunkKey(collection string, timeline uint64, shard int, first, last uint64) string {
	return fmt.Sprintf("%s%020d-%020d.chunk", shardPrefix(collection, timeline, shard), first, last)
}

// parseChunkKey returns the LSN range a chunk key under prefix names.
func parseChunkKey(prefix, key string) (first, last uint64, ok bool) {
	s, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, 0, false
	}
	s, ok = strings.CutSuffix(s, ".chunk")
	if !ok || len(s) != 41 || s[20] != '-' {
		return 0, 0, false
	}
	f, err1 := strconv.ParseUint(s[:20], 10, 64)
	l, err2 := strconv.ParseUint(s[21:], 10, 64)
	if err1 != nil || err2 != nil || f == 0 || l < f {
		return 0, 0, false
	}
	return f, l, true
}

// checkAgainstKey checks a decoded chunk's header against the key it was
// read from.
func (c *Chunk) checkAgainstKey(collection string, shard int, first, last uint64) error {
	if c.Collection != collection || c.Shard != shard || c.FirstLSN != first || c.LastLSN != last {
		return corrupt("header names %s shard %d lsn %d..%d, key names %s shard %d lsn %d..%d",
			c.Collection, c.Shard, c.FirstLSN, c.LastLSN, collection, shard, first, last)
	}
	return nil
}
