package engine

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// sourceFolder makes a closed storage under dir holding collection c
// (shards shards, 4-d Dot vectors) with points 0..n-1 whose vector's first
// element is 2, sealed into a segment after point seal (none when -1) and
// the rest left in the WAL, and returns c's folder.
func sourceFolder(t testing.TB, dir string, shards, n, seal int) string {
	t.Helper()
	st := openTest(t, dir, nil)
	req := simpleReq(4, point.Dot)
	req.ShardNumber = intp(shards)
	req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1)}
	c := mustCreate(t, st, "c", req)
	for i := range n {
		mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": {2, 0, 0, 0}}})
		if i == seal {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir, "c")
}

// editConfig rewrites the collection file of the folder dir, sealed as the
// engine seals it (valid checksum), with change applied to its config.
func editConfig(t *testing.T, dir string, change func(*CollectionConfig)) {
	t.Helper()
	f, err := loadCollectionFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	change(&f.Config)
	if err := storeCollectionFile(vfs.OS, dir, f); err != nil {
		t.Fatal(err)
	}
}

// editManifest rewrites the manifest of the shard folder dir, sealed as the
// engine seals it, with change applied.
func editManifest(t *testing.T, dir string, change func(*manifest)) {
	t.Helper()
	m, err := loadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Segments) == 0 {
		t.Fatalf("%s: no segment to lie about", dir)
	}
	change(m)
	if err := storeManifest(vfs.OS, dir, m); err != nil {
		t.Fatal(err)
	}
}

// copySegment copies the first segment of the shard folder dir under the
// next segment name and lists it too: the same ids live in two segments.
func copySegment(t *testing.T, dir string) {
	t.Helper()
	editManifest(t, dir, func(m *manifest) {
		name := fmt.Sprintf("seg-%016d", m.NextSegment)
		m.NextSegment++
		src := filepath.Join(dir, segmentsDir, m.Segments[0].Name)
		if err := copyTree(vfs.OS, src, filepath.Join(dir, segmentsDir, name)); err != nil {
			t.Fatal(err)
		}
		e := m.Segments[0]
		e.Name = name
		m.Segments = append(m.Segments, e)
	})
}

// treeDigest maps every file under dir to its size and CRC-32C.
func treeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%d/%08x", len(b), crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lyingFolders are collection folders with valid checksums whose contents
// disagree with their config or manifests; each must be refused.
var lyingFolders = []struct {
	name string
	make func(t *testing.T, dir string) string
}{
	{"vector size over sealed segments", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 19)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.Vectors[""] = VectorParams{Size: 5, Distance: point.Dot} })
		return src
	}},
	{"vector size over WAL records", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, -1)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.Vectors[""] = VectorParams{Size: 5, Distance: point.Dot} })
		return src
	}},
	{"distance over sealed segments", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 19)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.Vectors[""] = VectorParams{Size: 4, Distance: point.Euclid} })
		return src
	}},
	{"vector name over sealed segments", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 19)
		editConfig(t, src, func(c *CollectionConfig) {
			c.Params.Vectors = VectorsConfig{"a": {Size: 4, Distance: point.Dot}}
		})
		return src
	}},
	{"vector name over WAL records", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, -1)
		editConfig(t, src, func(c *CollectionConfig) {
			c.Params.Vectors = VectorsConfig{"a": {Size: 4, Distance: point.Dot}}
		})
		return src
	}},
	{"segment listed twice", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editManifest(t, filepath.Join(src, "shard-0"), func(m *manifest) { m.Segments = append(m.Segments, m.Segments[0]) })
		return src
	}},
	{"segment not below next_segment", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editManifest(t, filepath.Join(src, "shard-0"), func(m *manifest) { m.NextSegment = 1 })
		return src
	}},
	{"point count", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editManifest(t, filepath.Join(src, "shard-0"), func(m *manifest) { m.Segments[0].Points++ })
		return src
	}},
	{"graphs", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editManifest(t, filepath.Join(src, "shard-0"), func(m *manifest) { m.Segments[0].Graphs = []string{""} })
		return src
	}},
	{"same ids in two segments", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		copySegment(t, filepath.Join(src, "shard-0"))
		return src
	}},
	{"shard_number 8, one shard present", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.ShardNumber = 8 })
		return src
	}},
	{"shard_number 1024, one shard present", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.ShardNumber = 1024 })
		return src
	}},
	{"shard beyond shard_number", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 2, 20, 10)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.ShardNumber = 1 })
		return src
	}},
	{"segment ids routed to another shard", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 19)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.ShardNumber = 2 })
		if err := os.MkdirAll(filepath.Join(src, "shard-1"), 0o755); err != nil {
			t.Fatal(err)
		}
		return src
	}},
	{"WAL ids routed to another shard", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, -1)
		editConfig(t, src, func(c *CollectionConfig) { c.Params.ShardNumber = 2 })
		if err := os.MkdirAll(filepath.Join(src, "shard-1"), 0o755); err != nil {
			t.Fatal(err)
		}
		return src
	}},
	{"config out of range", func(t *testing.T, dir string) string {
		src := sourceFolder(t, dir, 1, 20, 10)
		editConfig(t, src, func(c *CollectionConfig) { c.WalConfig.WalCapacityMB = 0 })
		return src
	}},
	{"WAL starts after sealed_lsn", func(t *testing.T, dir string) string {
		src := rotatedFolder(t, dir)
		editManifest(t, filepath.Join(src, "shard-0"), func(m *manifest) { m.SealedLSN = 0 })
		return src
	}},
}

// rotatedFolder makes a closed storage under dir holding collection c whose
// WAL (1 MiB files) rotated and was then truncated by a seal: its first
// record is no longer LSN 1.
func rotatedFolder(t *testing.T, dir string) string {
	t.Helper()
	st := openTest(t, dir, nil)
	req := simpleReq(4, point.Dot)
	req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1)}
	c := mustCreate(t, st, "c", req)
	for b := range 40 {
		pts := make([]PointStruct, 1000)
		for i := range pts {
			pts[i] = PointStruct{ID: point.NumID(uint64(b*1000 + i)), Vector: Vectors{"": {2, 0, 0, 0}}}
		}
		mustUpsert(t, c, pts...)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if first := c.shards[0].log.FirstLSN(); first <= 1 {
		t.Fatalf("the WAL still starts at %d", first)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir, "c")
}

// TestRestoreRefusesLyingFolders: every folder of lyingFolders is refused
// with ErrVerify (wrapping ErrCorrupt) by a collection restore and by a
// full restore, the live collection's points and files stay as they were,
// and nothing is left behind; the same folder unaltered is accepted.
func TestRestoreRefusesLyingFolders(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	collectionFolder(t, dir, 10, 1)
	st := openTest(t, dir, nil)
	live := filepath.Join(dir, collectionsDir, "c")
	before := treeDigest(t, live)
	for i, tc := range lyingFolders {
		t.Run(tc.name, func(t *testing.T) {
			for _, how := range []string{"collection", "full"} {
				src := tc.make(t, filepath.Join(base, fmt.Sprintf("%d-%s", i, how)))
				var err error
				if how == "full" {
					err = st.RestoreAll(map[string]string{"c": src}, nil, nil)
				} else {
					err = st.RestoreCollection("c", src, nil)
				}
				if !errors.Is(err, ErrVerify) || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s restore: %v, want ErrVerify wrapping ErrCorrupt", how, err)
				}
				if got := mustCount(t, mustCollection(t, st, "c"), nil); got != 10 {
					t.Fatalf("%s restore: the live collection counts %d points", how, got)
				}
				if after := treeDigest(t, live); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("%s restore: live files changed:\n%v\n%v", how, before, after)
				}
				if left, _ := filepath.Glob(filepath.Join(dir, collectionsDir, ".*")); len(left) != 0 {
					t.Fatalf("%s restore: staged folders left: %v", how, left)
				}
			}
		})
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := outcome(t, dir); got != "old" {
		t.Fatalf("after refused restores: %s", got)
	}
	st = openTest(t, dir, nil)
	for _, shards := range []int{1, 3} {
		src := sourceFolder(t, filepath.Join(base, fmt.Sprintf("good-%d", shards)), shards, 20, 10)
		if err := st.RestoreCollection("c", src, nil); err != nil {
			t.Fatalf("unaltered folder of %d shards: %v", shards, err)
		}
		if got := mustCount(t, mustCollection(t, st, "c"), nil); got != 20 {
			t.Fatalf("restored collection counts %d points", got)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustCollection(t *testing.T, st *Storage, name string) *Collection {
	t.Helper()
	c, err := st.Collection(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRestoreShardRefusesLyingFolders: a shard restore refuses a shard
// folder whose ids belong to the other shard, or whose manifest lists a
// segment twice, and changes nothing.
func TestRestoreShardRefusesLyingFolders(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	shardedFolder(t, dir, 4, 10, 1)
	swapped := shardedFolder(t, filepath.Join(base, "swapped"), 4, 30, 2)
	if err := os.RemoveAll(filepath.Join(swapped, "shard-1")); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(vfs.OS, filepath.Join(swapped, "shard-0"), filepath.Join(swapped, "shard-1")); err != nil {
		t.Fatal(err)
	}
	twice := shardedFolder(t, filepath.Join(base, "twice"), 4, 30, 2)
	editManifest(t, filepath.Join(twice, "shard-1"), func(m *manifest) { m.Segments = append(m.Segments, m.Segments[0]) })
	dup := shardedFolder(t, filepath.Join(base, "dup"), 4, 30, 2)
	copySegment(t, filepath.Join(dup, "shard-1"))
	st := openTest(t, dir, nil)
	live := filepath.Join(dir, collectionsDir, "c")
	before := treeDigest(t, live)
	for name, src := range map[string]string{"ids of shard 0": swapped, "segment listed twice": twice, "ids in two segments": dup} {
		err := st.RestoreShard("c", 1, src, nil)
		if !errors.Is(err, ErrVerify) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrVerify wrapping ErrCorrupt", name, err)
		}
		if after := treeDigest(t, live); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("%s: live files changed", name)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := shardOutcome(t, dir); got != "old" {
		t.Fatalf("after refused restores: %s", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, collectionsDir, ".*")); len(left) != 0 {
		t.Fatalf("staged folders left: %v", left)
	}
}

// TestDecodeManifestRefusesLies: a manifest naming a segment twice, at or
// above next_segment, not as seg-N, with a negative count or a graph twice
// is corrupt.
func TestDecodeManifestRefusesLies(t *testing.T) {
	seg := func(n int) manifestEntry { return manifestEntry{Name: fmt.Sprintf("seg-%016d", n), Points: 3} }
	cases := map[string]manifest{
		"twice":        {NextSegment: 5, Segments: []manifestEntry{seg(1), seg(2), seg(1)}},
		"next_segment": {NextSegment: 2, Segments: []manifestEntry{seg(1), seg(2)}},
		"name":         {NextSegment: 5, Segments: []manifestEntry{{Name: "other"}}},
		"points":       {NextSegment: 5, Segments: []manifestEntry{{Name: "seg-1", Points: -1}}},
		"graph twice":  {NextSegment: 5, Segments: []manifestEntry{{Name: "seg-1", Graphs: []string{"a", "a"}}}},
	}
	for name, m := range cases {
		b, err := encodeManifest(&m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeManifest(b); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "decode manifest") {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	good := manifest{NextSegment: 3, Segments: []manifestEntry{seg(1), {Name: "seg-2", Graphs: []string{"", "a"}}}}
	b, _ := encodeManifest(&good)
	if _, err := decodeManifest(b); err != nil {
		t.Fatalf("good manifest: %v", err)
	}
}

// BenchmarkCheckContents measures the checks a restore adds per shard
// (checkContents: manifest against segments, vectors, and the id merge) on
// 1,000,000 points in 4 sealed segments, 2 of them with deletions.
func BenchmarkCheckContents(b *testing.B) {
	st := openTest(b, b.TempDir(), nil)
	defer st.Close()
	req := simpleReq(4, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(8)}
	c := mustCreate(b, st, "c", req)
	const n, batch = 1000000, 10000
	pts := make([]PointStruct, batch)
	for i := 0; i < n; i += batch {
		for j := range pts {
			pts[j] = PointStruct{ID: point.NumID(uint64(i + j)), Vector: Vectors{"": {1, 0, 0, 0}}}
		}
		mustUpsert(b, c, pts...)
		if (i+batch)%(n/4) == 0 {
			if err := c.Flush(); err != nil {
				b.Fatal(err)
			}
			mustUpsert(b, c, pts[:100]...) // an older copy of these is deleted
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	s := c.shards[0]
	if !s.rangesOverlap() {
		b.Fatal("the segments' id ranges do not overlap: nothing to merge")
	}
	for b.Loop() {
		if err := s.checkContents(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(s.segs)), "segments")
}

// TestRestoreRefusesWALsBeyondFreeSpace: a restore whose shards' WALs
// (shard_number × wal_capacity_mb, reserved as each WAL opens) exceed the
// free space is refused with ENOSPC before any WAL is opened, for a
// collection and for a shard, and changes nothing.
func TestRestoreRefusesWALsBeyondFreeSpace(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	shardedFolder(t, dir, 4, 10, 1)
	coll := sourceFolder(t, filepath.Join(base, "coll"), 2, 20, 10) // 1 MiB WALs
	shard := shardedFolder(t, filepath.Join(base, "shard"), 4, 30, 2)
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true,
		FreeSpace: func(string) (int64, error) { return 512 << 10, nil }})
	if err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, collectionsDir, "c")
	before := treeDigest(t, live)
	for _, tc := range []struct {
		what, need string
		err        error
	}{
		{"collection", "the WALs of 2 shards of wal_capacity_mb 1 need 2097152 bytes, 524288 bytes are free", st.RestoreCollection("c", coll, nil)},
		{"shard", "the WAL of 1 shard of wal_capacity_mb 1 need 1048576 bytes, 524288 bytes are free", st.RestoreShard("c", 1, shard, nil)},
	} {
		if !errors.Is(tc.err, syscall.ENOSPC) || errors.Is(tc.err, ErrVerify) ||
			!strings.Contains(tc.err.Error(), "the storage's collections folder is out of space: "+tc.need) || strings.Contains(tc.err.Error(), dir) {
			t.Errorf("%s: %v, want ENOSPC (not ErrVerify) naming the folder (not its path), the bytes needed and free", tc.what, tc.err)
		}
	}
	if after := treeDigest(t, live); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("live files changed")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := shardOutcome(t, dir); got != "old" {
		t.Fatalf("after refused restores: %s", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, collectionsDir, ".*")); len(left) != 0 {
		t.Fatalf("staged folders left: %v", left)
	}
}

// TestCheckWALRoom: the room check compares shards × capacity with the
// free space without overflowing.
func TestCheckWALRoom(t *testing.T) {
	free := func(string) (int64, error) { return 100 << 20, nil }
	for _, tc := range []struct {
		shards, capMB int
		ok            bool
	}{{1, 100, true}, {4, 25, true}, {4, 26, false}, {1024, 1 << 40, false}, {1, math.MaxInt, false}} {
		if err := checkWALRoom(free, "", tc.shards, tc.capMB); (err == nil) != tc.ok {
			t.Errorf("%d shards × %d MiB in 100 MiB: %v", tc.shards, tc.capMB, err)
		}
	}
}
