package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// fakeSource plays the engine: immutable files under root, a mutable state
// written into the stage at the cut.
type fakeSource struct {
	t        *testing.T
	root     string
	files    []string
	pinned   int
	unpinned int
	failPin  error
}

func (s *fakeSource) Pin(_ context.Context, stage string) (Pinned, error) {
	if s.failPin != nil {
		return Pinned{}, s.failPin
	}
	s.pinned++
	writeTree(s.t, stage, map[string]string{"head/points.bin": "mutable"})
	return Pinned{Root: s.root, Files: s.files, Config: json.RawMessage(`{"x":1}`), Unpin: func() { s.unpinned++ }}, nil
}

func newFakeSource(t *testing.T) *fakeSource {
	root := t.TempDir()
	immutable := map[string]string{"segments/1/vectors.bin": "v1", "segments/1/graph.hnsw": "g1", "segments/2/vectors.bin": "v2"}
	writeTree(t, root, immutable)
	s := &fakeSource{t: t, root: root}
	for p := range immutable {
		s.files = append(s.files, filepath.FromSlash(p))
	}
	return s
}

var wantSnapshotTree = map[string]string{
	"segments/1/vectors.bin": "v1", "segments/1/graph.hnsw": "g1", "segments/2/vectors.bin": "v2",
	"head/points.bin": "mutable",
}

func extractFile(t *testing.T, path string) (map[string]string, *Manifest) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dst := filepath.Join(t.TempDir(), "x")
	m, err := Extract(f, dst, noDiskCheck)
	if err != nil {
		t.Fatal(err)
	}
	return readTree(t, dst), m
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left in %s: %s", dir, e.Name())
	}
}

func TestCreate(t *testing.T) {
	src := newFakeSource(t)
	tmp, snaps := t.TempDir(), t.TempDir()
	fsys := vfs.NewFaulty(vfs.OS) // counts links
	o := Options{FS: fsys, TempPath: tmp}
	name := CollectionName("c", 7, testTime)
	info, err := Create(context.Background(), o, snaps, name, Meta{Kind: KindCollection, Collection: "c", CreatedAt: testTime}, src)
	if err != nil {
		t.Fatal(err)
	}
	if fsys.Count(vfs.OpLink) != len(src.files) {
		t.Errorf("%d links, want %d", fsys.Count(vfs.OpLink), len(src.files))
	}
	if src.pinned != 1 || src.unpinned != 1 {
		t.Errorf("pinned %d unpinned %d", src.pinned, src.unpinned)
	}
	assertEmpty(t, tmp)
	got, m := extractFile(t, info.Path)
	if !reflect.DeepEqual(got, wantSnapshotTree) {
		t.Fatalf("snapshot holds %v", got)
	}
	if string(m.Config) != `{"x":1}` || m.Collection != "c" {
		t.Fatalf("manifest %+v", m)
	}
	if err := VerifyChecksum(info.Path, ReadChecksumFile(info.Path)); err != nil {
		t.Fatal(err)
	}
}

func TestCreateCrossDevice(t *testing.T) {
	src := newFakeSource(t)
	tmp, snaps := t.TempDir(), t.TempDir()
	var logBuf bytes.Buffer
	o := Options{FS: crossDevice{vfs.OS}, TempPath: tmp, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}
	info, err := Create(context.Background(), o, snaps, FullName(testTime), Meta{Kind: KindFull, CreatedAt: testTime}, src)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := extractFile(t, info.Path); !reflect.DeepEqual(got, wantSnapshotTree) {
		t.Fatalf("snapshot holds %v", got)
	}
	if !strings.Contains(logBuf.String(), "slow") {
		t.Fatalf("no warning: %s", logBuf.String())
	}
}

func TestCreateFailuresCleanUp(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *fakeSource, f *vfs.Faulty) context.Context
	}{
		{"pin fails", func(s *fakeSource, _ *vfs.Faulty) context.Context {
			s.failPin = errors.New("busy")
			return context.Background()
		}},
		{"missing pinned file", func(s *fakeSource, _ *vfs.Faulty) context.Context {
			s.files = append(s.files, "segments/9/gone.bin")
			return context.Background()
		}},
		{"link fails", func(_ *fakeSource, f *vfs.Faulty) context.Context {
			f.FailNth(vfs.OpLink, 2)
			return context.Background()
		}},
		{"archive write fails", func(_ *fakeSource, f *vfs.Faulty) context.Context {
			f.FailWhen(func(op vfs.Op, p string) bool { return op == vfs.OpWrite && strings.HasSuffix(p, Ext+TempExt) })
			return context.Background()
		}},
		{"archive rename fails", func(_ *fakeSource, f *vfs.Faulty) context.Context {
			f.FailNth(vfs.OpRename, 2)
			return context.Background()
		}},
		{"canceled", func(*fakeSource, *vfs.Faulty) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFakeSource(t)
			tmp, snaps := t.TempDir(), t.TempDir()
			fsys := vfs.NewFaulty(vfs.OS)
			ctx := tt.setup(src, fsys)
			_, err := Create(ctx, Options{FS: fsys, TempPath: tmp}, snaps, FullName(testTime), Meta{Kind: KindFull}, src)
			if err == nil {
				t.Fatal("no error")
			}
			if src.pinned != src.unpinned {
				t.Errorf("pinned %d, unpinned %d", src.pinned, src.unpinned)
			}
			assertEmpty(t, tmp)
			assertEmpty(t, snaps)
		})
	}
}

func TestStreamFresh(t *testing.T) {
	src := newFakeSource(t)
	tmp := t.TempDir()
	var buf bytes.Buffer
	m, err := StreamFresh(context.Background(), Options{TempPath: tmp}, &buf, Meta{Kind: KindShard, Collection: "c", Shard: 3}, src)
	if err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, tmp)
	dst := filepath.Join(t.TempDir(), "x")
	got, err := Extract(&buf, dst, noDiskCheck)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(readTree(t, dst), wantSnapshotTree) || got.Shard != 3 || got.Kind != KindShard || m.CreatedAt.IsZero() {
		t.Fatalf("manifest %+v", got)
	}
}

func TestUnpack(t *testing.T) {
	src, snaps, tmp := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "tmp")
	writeTree(t, src, sampleTree)
	info, err := WriteArchive(vfs.OS, snaps, "c.snapshot", src, collectionMeta())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sum  string
		want error
	}{
		{"", nil},
		{info.Checksum, nil},
		{strings.ToUpper(info.Checksum), nil},
		{strings.Repeat("0", 64), ErrChecksumMismatch},
		{"xyz", ErrMalformedChecksum},
	}
	for _, tt := range tests {
		dir, m, err := Unpack(info.Path, tt.sum, tmp, noDiskCheck)
		if tt.want != nil {
			if !errors.Is(err, tt.want) {
				t.Errorf("Unpack(%q) = %v, want %v", tt.sum, err, tt.want)
			}
			assertEmpty(t, tmp)
			continue
		}
		if err != nil {
			t.Fatalf("Unpack(%q) = %v", tt.sum, err)
		}
		if !strings.HasPrefix(filepath.Base(dir), TempPrefix) || filepath.Dir(dir) != tmp || len(m.Files) != len(sampleTree) {
			t.Fatalf("Unpack dir %s manifest %+v", dir, m)
		}
		if got := readTree(t, dir); !reflect.DeepEqual(got, sampleTree) {
			t.Fatalf("unpacked %v", got)
		}
		if err := RemoveTemps(vfs.OS, tmp); err != nil {
			t.Fatal(err)
		}
	}
}
