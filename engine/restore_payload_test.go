package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// badPayloadFolder makes a closed storage under dir holding collection c
// with one good point and point 100 whose stored payload is raw, written
// past the write path's checks (appended to the WAL and applied as a
// replay would); with seal, the head is then sealed into a segment.
func badPayloadFolder(t *testing.T, dir string, raw []byte, seal bool) string {
	t.Helper()
	st := openTest(t, dir, nil)
	req := simpleReq(4, point.Dot)
	req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1)}
	c := mustCreate(t, st, "c", req)
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {2, 0, 0, 0}}})
	s := c.shards[0]
	o := op{kind: kindPut, puts: []pointData{{id: point.NumID(100), vectors: map[string][]float32{"": {1, 0, 0, 0}}, payload: raw}}}
	s.mu.Lock()
	lsn, err := s.log.Append(encodePut(o.puts, o.ts))
	if err == nil {
		s.applyLocked(&o, lsn)
	}
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if seal {
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir, "c")
}

// TestRestoreRefusesBadPayloads: a restored folder whose WAL records or
// segments hold a payload that is not valid UTF-8 or nests deeper than
// payload.MaxDepth is refused (ErrVerify wrapping ErrCorrupt, naming the
// point or its offset); before, only vectors and routing were checked and
// such a payload was served. A good payload passes.
func TestRestoreRefusesBadPayloads(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	collectionFolder(t, dir, 10, 1)
	st := openTest(t, dir, nil)
	defer st.Close()
	deep := []byte(`{"a":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`)
	for i, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"invalid UTF-8", []byte("{\"a\":\"\xff\"}"), "invalid unicode code point"},
		{"lone surrogate", []byte(`{"a":"\udc00"}`), "lone leading surrogate"},
		{"too deep", deep, "nested deeper than 128 levels"},
	} {
		for _, seal := range []bool{false, true} {
			src := badPayloadFolder(t, filepath.Join(base, fmt.Sprintf("%d-%v", i, seal)), tc.raw, seal)
			err := st.RestoreCollection("c", src, nil)
			if !errors.Is(err, ErrVerify) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s (sealed %v): %v, want ErrVerify wrapping ErrCorrupt naming %q", tc.name, seal, err, tc.want)
			}
			if got := mustCount(t, mustCollection(t, st, "c"), nil); got != 10 {
				t.Fatalf("%s: the live collection counts %d points", tc.name, got)
			}
		}
	}
	for _, seal := range []bool{false, true} {
		src := badPayloadFolder(t, filepath.Join(base, fmt.Sprintf("good-%v", seal)), []byte(`{"a":"é","b":[1,{"c":null}]}`), seal)
		if err := st.RestoreCollection("c", src, nil); err != nil {
			t.Fatalf("good payload (sealed %v): %v", seal, err)
		}
	}
}

// BenchmarkCheckPayloads measures the restore check's payload pass
// (checkPayloads) over one sealed segment of 100,000 points, each with a
// small payload, against the whole checkContents of the shard.
func BenchmarkCheckPayloads(b *testing.B) {
	st := openTest(b, b.TempDir(), nil)
	defer st.Close()
	c := mustCreate(b, st, "c", simpleReq(4, point.Dot))
	const n, batch = 100000, 10000
	pts := make([]PointStruct, batch)
	for i := 0; i < n; i += batch {
		for j := range pts {
			pts[j] = PointStruct{ID: point.NumID(uint64(i + j)), Vector: Vectors{"": {1, 0, 0, 0}},
				Payload: map[string]any{"n": i + j, "tag": "abc", "city": []any{"Berlin", "London"}, "nested": map[string]any{"k": "v"}}}
		}
		mustUpsert(b, c, pts...)
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	s := c.shards[0]
	b.Run("payloads", func(b *testing.B) {
		for b.Loop() {
			for _, h := range s.segs {
				if err := checkPayloads(h); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("checkContents", func(b *testing.B) {
		for b.Loop() {
			if err := s.checkContents(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
