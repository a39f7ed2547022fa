package walarchive

import (
	"errors"
	"testing"
	"time"
)

func sample(t testing.TB) []byte {
	t.Helper()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	recs := []Record{{LSN: 7, Time: at, Data: []byte("one")}, {LSN: 8, Time: at.Add(time.Second), Data: []byte("two")}}
	b, err := EncodeChunk("col", 3, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChunkRoundTrip(t *testing.T) {
	c, err := DecodeChunk(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Collection != "col" || c.Shard != 3 || c.FirstLSN != 7 || c.LastLSN != 8 || len(c.Records) != 2 ||
		string(c.Records[1].Data) != "two" || c.LastTime.Sub(c.FirstTime) != time.Second {
		t.Fatalf("decoded %+v", c)
	}
	if err := c.checkAgainstKey("col", 3, 7, 8); err != nil {
		t.Fatal(err)
	}
	if err := c.checkAgainstKey("col", 3, 7, 9); !errors.Is(err, ErrCorruptChunk) {
		t.Fatalf("chunk under another key's range: %v", err)
	}
}

// TestChunkCorruptionRefused: every single flipped byte, and every
// truncation, is refused with ErrCorruptChunk.
func TestChunkCorruptionRefused(t *testing.T) {
	good := sample(t)
	for i := range good {
		b := append([]byte(nil), good...)
		b[i] ^= 0x01
		if _, err := DecodeChunk(b); !errors.Is(err, ErrCorruptChunk) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	for n := range len(good) {
		if _, err := DecodeChunk(good[:n]); !errors.Is(err, ErrCorruptChunk) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
}

func TestEncodeChunkRefusesNonConsecutive(t *testing.T) {
	if _, err := EncodeChunk("c", 0, []Record{{LSN: 1}, {LSN: 3}}); err == nil {
		t.Fatal("non-consecutive lsns encoded")
	}
	if _, err := EncodeChunk("c", 0, nil); err == nil {
		t.Fatal("empty chunk encoded")
	}
}

func TestParseChunkKey(t *testing.T) {
	p := shardPrefix("c", 7, 1)
	if f, l, ok := parseChunkKey(p, ChunkKey("c", 7, 1, 5, 9)); !ok || f != 5 || l != 9 {
		t.Fatalf("parse: %d %d %v", f, l, ok)
	}
	for _, k := range []string{p + "x.chunk", p + "00000000000000000009-00000000000000000005.chunk", "wal/c/2/00000000000000000001-00000000000000000001.chunk", ChunkKey("c", 0, 1, 5, 9), ChunkKey("c", 8, 1, 5, 9)} {
		if _, _, ok := parseChunkKey(p, k); ok {
			t.Fatalf("parsed %q", k)
		}
	}
}

// FuzzDecodeChunk: the decoder never panics, and what it accepts
// re-encodes to the same bytes.
func FuzzDecodeChunk(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte("CAIRNWAR"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeChunk(b)
		if err != nil {
			return
		}
		again, err := EncodeChunk(c.Collection, c.Shard, c.Records)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if string(again) != string(b) {
			t.Fatalf("accepted chunk does not re-encode to itself")
		}
	})
}
