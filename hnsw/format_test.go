package hnsw

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// smallGraph returns the shared fixture of dist.
func smallGraph(t *testing.T, dist point.Distance) (*Graph, []float32, []float32, []uint8) {
	t.Helper()
	f := fixtureFor(t, dist)
	return f.g, f.vecs, f.queries, f.val
}

func TestWriteOpenRoundTrip(t *testing.T) {
	for _, dist := range allDistances {
		t.Run(dist.String(), func(t *testing.T) {
			g, vecs, queries, val := smallGraph(t, dist)
			path := filepath.Join(t.TempDir(), "graph.hnsw")
			if err := g.WriteFile(vfs.OS, path); err != nil {
				t.Fatal(err)
			}
			og, err := Open(path, vecs, testDim, dist)
			if err != nil {
				t.Fatal(err)
			}
			defer og.Close()
			if !og.Mapped() || og.Len() != g.Len() || og.MaxLevel() != g.MaxLevel() || og.M() != 16 {
				t.Fatalf("opened graph differs: mapped %v n %d level %d", og.Mapped(), og.Len(), og.MaxLevel())
			}
			s1, s2 := NewSearcher(), NewSearcher()
			accept := func(i uint32) bool { return val[i] == 2 }
			for i := range testQ {
				q := queries[i*testDim : (i+1)*testDim]
				for _, acc := range []func(uint32) bool{nil, accept} {
					a := g.Search(s1, q, 10, 32, acc, nil)
					b := og.Search(s2, q, 10, 32, acc, nil)
					if !slices.Equal(a, b) || len(a) != 10 {
						t.Fatalf("query %d: built %v, opened %v", i, a, b)
					}
				}
			}
			if err := og.Close(); err != nil {
				t.Fatal(err)
			}
			if err := og.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

func TestDeterministicSingleThread(t *testing.T) {
	vecs := clustered(1500, testDim, 20, 10, point.Euclid)
	_, groups := selectivityGroups(1500, 10)
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		g := buildTest(t, vecs, point.Euclid, nil, groups, 1)
		p := filepath.Join(dir, "g"+string(rune('0'+i)))
		if err := g.WriteFile(vfs.OS, p); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two single-thread builds wrote different files")
	}
	// A different seed gives a different graph: the comparison above can fail.
	g, err := Build(context.Background(), vecs, testDim, point.Euclid, nil, groups, Params{M: 16, EfConstruct: 100, Seed: 2, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(g.encode(), files[0]) {
		t.Fatal("seed 2 built the same file as seed 1")
	}
}

// writeImage writes raw file bytes and opens them.
func openImage(t *testing.T, b []byte, vecs []float32, dim int, dist point.Distance) error {
	t.Helper()
	p := filepath.Join(t.TempDir(), "g.hnsw")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Open(p, vecs, dim, dist)
	if err == nil {
		_ = g.Close()
	}
	// OpenUnverified then Verify accepts and refuses the same files.
	u, uerr := OpenUnverified(p, vecs, dim, dist)
	if uerr == nil {
		uerr = u.Verify()
		_ = u.Close()
	}
	for _, target := range []error{ErrCorrupt, ErrVersion, ErrMismatch, os.ErrNotExist} {
		if errors.Is(err, target) != errors.Is(uerr, target) || (err == nil) != (uerr == nil) {
			t.Errorf("Open = %v, OpenUnverified+Verify = %v", err, uerr)
		}
	}
	return err
}

// fixCRCs recomputes both checksums of a file image.
func fixCRCs(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	le.PutUint32(b[len(b)-4:], crc32.Checksum(b[headerSize:len(b)-4], castagnoli))
}

func TestOpenRejectsCorruptFiles(t *testing.T) {
	vecs := clustered(500, 8, 5, 12, point.Euclid)
	_, groups := selectivityGroups(500, 12)
	g, err := Build(context.Background(), vecs, 8, point.Euclid, nil, groups, Params{M: 4, EfConstruct: 20, Seed: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	good := g.encode()
	if err := openImage(t, good, vecs, 8, point.Euclid); err != nil {
		t.Fatalf("good image: %v", err)
	}
	le := binary.LittleEndian
	l0 := headerSize // first layer-0 slot
	uo := headerSize + 4*g.n*g.stride
	mutate := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	firstUpper := slices.IndexFunc(g.upperOff, func(o uint32) bool { return o != noEntry })
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"header only", good[:headerSize], ErrCorrupt},
		{"truncated body", good[:len(good)-100], ErrCorrupt},
		{"truncated trailer", good[:len(good)-1], ErrCorrupt},
		{"extra byte", append(slices.Clone(good), 0), ErrCorrupt},
		{"bad magic", mutate(func(b []byte) []byte { b[0] ^= 1; return b }), ErrCorrupt},
		{"header bit", mutate(func(b []byte) []byte { b[17] ^= 1; return b }), ErrCorrupt},
		{"body bit", mutate(func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b }), ErrCorrupt},
		{"trailer bit", mutate(func(b []byte) []byte { b[len(b)-2] ^= 1; return b }), ErrCorrupt},
		{"version", mutate(func(b []byte) []byte { le.PutUint32(b[8:], 9); fixCRCs(b); return b }), ErrVersion},
		{"link out of range", mutate(func(b []byte) []byte { le.PutUint32(b[l0+4:], 500); fixCRCs(b); return b }), ErrCorrupt},
		{"count too large", mutate(func(b []byte) []byte { le.PutUint32(b[l0:], 9); fixCRCs(b); return b }), ErrCorrupt},
		{"extra count too large", mutate(func(b []byte) []byte { le.PutUint32(b[l0:], 5<<16); fixCRCs(b); return b }), ErrCorrupt},
		{"upper offset", mutate(func(b []byte) []byte { le.PutUint32(b[uo+4*firstUpper:], 1<<30); fixCRCs(b); return b }), ErrCorrupt},
		{"entry", mutate(func(b []byte) []byte { le.PutUint32(b[40:], 600); fixCRCs(b); return b }), ErrCorrupt},
		{"max level", mutate(func(b []byte) []byte { le.PutUint32(b[36:], uint32(g.maxLevel+1)); fixCRCs(b); return b }), ErrCorrupt},
		{"m", mutate(func(b []byte) []byte { le.PutUint32(b[24:], 1); fixCRCs(b); return b }), ErrCorrupt},
		{"n", mutate(func(b []byte) []byte { le.PutUint32(b[16:], 499); fixCRCs(b); return b }), ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := openImage(t, tc.b, vecs, 8, point.Euclid); !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
		})
	}
	for name, f := range map[string]func() error{
		"dim":      func() error { return openImage(t, good, vecs, 4, point.Euclid) },
		"distance": func() error { return openImage(t, good, vecs, 8, point.Dot) },
		"vectors":  func() error { return openImage(t, good, vecs[:8*499], 8, point.Euclid) },
	} {
		if err := f(); !errors.Is(err, ErrMismatch) {
			t.Fatalf("%s mismatch: Open = %v, want ErrMismatch", name, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), vecs, 8, point.Euclid); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestWriteFileFaults(t *testing.T) {
	vecs := clustered(200, 8, 4, 13, point.Euclid)
	g, err := Build(context.Background(), vecs, 8, point.Euclid, nil, nil, Params{M: 4, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []vfs.Op{vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir} {
		dir := t.TempDir()
		fs := vfs.NewFaulty(vfs.OS)
		fs.FailNth(op, 1)
		path := filepath.Join(dir, "g.hnsw")
		if err := g.WriteFile(fs, path); !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("%s fault: WriteFile = %v", op, err)
		}
		if op != vfs.OpSyncDir {
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s fault left %s behind (%v)", op, path, err)
			}
		}
		if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) && op != vfs.OpRemove {
			t.Fatalf("%s fault left the temporary file behind", op)
		}
	}
}
