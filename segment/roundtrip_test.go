package segment

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/cairn-db/cairn/point"
	"github.com/google/uuid"
)

func TestWriteOpenRoundTrip(t *testing.T) {
	extra := map[string][]byte{"index-city.pidx": []byte("index bytes"), "empty.bin": {}}
	cases := []struct {
		name    string
		n       int
		specs   []VectorSpec
		missing float64
		extra   map[string][]byte
	}{
		{name: "empty", n: 0, specs: testSpecs},
		{name: "no-vectors", n: 10},
		{name: "one", n: 1, specs: testSpecs[:1]},
		{name: "unnamed-full", n: 300, specs: testSpecs[:1]},
		{name: "named-missing", n: 500, specs: testSpecs, missing: 0.3, extra: extra},
		{name: "all-missing", n: 20, specs: testSpecs[1:2], missing: 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			recs := genRecords(rng, tc.n, tc.specs, tc.missing)
			orig := slices.Clone(recs)
			dir := writeTestSegment(t, recs, WriteOptions{Vectors: tc.specs, Extra: tc.extra})
			if !slices.EqualFunc(orig, recs, func(a, b Record) bool { return a.ID == b.ID }) {
				t.Fatal("Write reordered the caller's records")
			}
			s := openTestSegment(t, dir)
			checkSegment(t, s, sortedRecords(recs), tc.specs, tc.extra)
			if err := s.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func checkSegment(t *testing.T, s *Segment, want []Record, specs []VectorSpec, extra map[string][]byte) {
	t.Helper()
	if s.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(want))
	}
	if got := s.Specs(); !slices.Equal(got, specs) && len(specs) > 0 {
		t.Fatalf("Specs = %v, want %v", got, specs)
	}
	for _, sp := range specs {
		block, dim := s.Vectors(sp.Name)
		if dim != sp.Dim || len(block) != len(want)*sp.Dim {
			t.Fatalf("Vectors(%q): len %d dim %d", sp.Name, len(block), dim)
		}
		if len(block) > 0 && uintptr(unsafe.Pointer(&block[0]))%64 != 0 {
			t.Fatalf("Vectors(%q) not 64-byte aligned", sp.Name)
		}
	}
	for off, r := range want {
		o := uint32(off)
		if s.ID(o) != r.ID || s.Version(o) != r.Version {
			t.Fatalf("offset %d: id %v version %d, want %v %d", off, s.ID(o), s.Version(o), r.ID, r.Version)
		}
		if got, ok := s.Lookup(r.ID); !ok || got != o {
			t.Fatalf("Lookup(%v) = %d %v, want %d", r.ID, got, ok, off)
		}
		if !bytes.Equal(s.Payload(o), r.Payload) || (s.Payload(o) == nil) != (len(r.Payload) == 0) {
			t.Fatalf("offset %d: payload %.40q, want %.40q", off, s.Payload(o), r.Payload)
		}
		for _, sp := range specs {
			checkVector(t, s, sp, o, r.Vectors[sp.Name])
		}
	}
	for name, data := range extra {
		if got := s.Extra(name); got == nil || !bytes.Equal(got, data) {
			t.Fatalf("Extra(%q) = %q, want %q", name, got, data)
		}
	}
	if s.Extra("absent") != nil {
		t.Fatal("Extra of an absent file is not nil")
	}
	if got := len(s.Files()); got != 4+len(specs)+len(extra) {
		t.Fatalf("Files() has %d entries, want %d", got, 4+len(specs)+len(extra))
	}
}

func checkVector(t *testing.T, s *Segment, sp VectorSpec, o uint32, want []float32) {
	t.Helper()
	got := s.Vector(sp.Name, o)
	if s.HasVector(sp.Name, o) != (want != nil) || !slices.Equal(got, want) {
		t.Fatalf("offset %d vector %q = %v (has %v), want %v", o, sp.Name, got, s.HasVector(sp.Name, o), want)
	}
	block, dim := s.Vectors(sp.Name)
	row := block[int(o)*dim : int(o+1)*dim]
	if want == nil {
		want = make([]float32, dim)
	}
	if !slices.Equal(row, want) {
		t.Fatalf("offset %d vector %q block row = %v, want %v", o, sp.Name, row, want)
	}
}

func TestLookupAbsent(t *testing.T) {
	recs := []Record{{ID: point.NumID(10)}, {ID: point.NumID(20)}, {ID: point.NumID(1<<64 - 1)},
		{ID: point.UUIDID(uuid.MustParse("00000000-0000-0000-0000-000000000005"))}}
	s := openTestSegment(t, writeTestSegment(t, recs, WriteOptions{}))
	for _, id := range []point.ID{point.NumID(0), point.NumID(15), point.NumID(21), point.NumID(5),
		point.UUIDID(uuid.MustParse("00000000-0000-0000-0000-00000000000a")), point.UUIDID(uuid.Nil)} {
		if off, ok := s.Lookup(id); ok {
			t.Errorf("Lookup(%v) = %d, true; want absent", id, off)
		}
	}
	if off, ok := s.Lookup(point.NumID(1<<64 - 1)); !ok || off != 2 {
		t.Errorf("Lookup(max) = %d %v", off, ok)
	}
	empty := openTestSegment(t, writeTestSegment(t, nil, WriteOptions{}))
	if _, ok := empty.Lookup(point.NumID(0)); ok {
		t.Error("Lookup in an empty segment found something")
	}
	if allocs := testing.AllocsPerRun(100, func() { s.Lookup(point.NumID(20)) }); allocs != 0 {
		t.Errorf("Lookup allocates %v times", allocs)
	}
}

func TestWriteRejects(t *testing.T) {
	spec := []VectorSpec{{Name: "v", Dim: 2, Distance: point.Dot}}
	one := func(vecs map[string][]float32) []Record { return []Record{{ID: point.NumID(1), Vectors: vecs}} }
	cases := []struct {
		name string
		recs []Record
		opts WriteOptions
	}{
		{"duplicate id", []Record{{ID: point.NumID(3)}, {ID: point.NumID(3)}}, WriteOptions{}},
		{"wrong dim", one(map[string][]float32{"v": {1}}), WriteOptions{Vectors: spec}},
		{"unknown vector", one(map[string][]float32{"w": {1, 2}}), WriteOptions{Vectors: spec}},
		{"zero dim", nil, WriteOptions{Vectors: []VectorSpec{{Dim: 0, Distance: point.Dot}}}},
		{"bad distance", nil, WriteOptions{Vectors: []VectorSpec{{Dim: 2}}}},
		{"duplicate spec", nil, WriteOptions{Vectors: append(spec, spec...)}},
		{"extra slash", nil, WriteOptions{Extra: map[string][]byte{"a/b": nil}}},
		{"extra dotdot", nil, WriteOptions{Extra: map[string][]byte{"..": nil}}},
		{"extra reserved", nil, WriteOptions{Extra: map[string][]byte{"ids.seg": nil}}},
		{"extra vectors", nil, WriteOptions{Extra: map[string][]byte{"vectors-default.seg": nil}}},
		{"extra deleted", nil, WriteOptions{Extra: map[string][]byte{"deleted.bits": nil}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "seg")
			err := Write(dir, tc.recs, tc.opts)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Write = %v, want ErrInvalid", err)
			}
			assertAbsent(t, dir)
		})
	}
	dir := writeTestSegment(t, nil, WriteOptions{})
	if err := Write(dir, nil, WriteOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Write over an existing segment = %v, want ErrExists", err)
	}
	openTestSegment(t, dir)
}

func assertAbsent(t *testing.T, dir string) {
	t.Helper()
	for _, p := range []string{dir, dir + ".tmp"} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s exists after a failed Write (err %v)", p, err)
		}
	}
}

func TestVectorFileNames(t *testing.T) {
	names := []string{"", "default", "n-default", "a/b", "a%2Fb", "..", "é", string(make([]byte, 300))}
	seen := map[string]string{}
	for _, n := range names {
		f := vectorFile(n)
		if err := checkFileName(f); err != nil || filepath.Base(f) != f {
			t.Errorf("vectorFile(%q) = %q is not a safe file name: %v", n, f, err)
		}
		if prev, dup := seen[f]; dup {
			t.Errorf("vectorFile(%q) = vectorFile(%q) = %q", n, prev, f)
		}
		seen[f] = n
	}
}

func TestConcurrentReaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	recs := sortedRecords(genRecords(rng, 300, testSpecs, 0.2))
	s := openTestSegment(t, writeTestSegment(t, recs, WriteOptions{Vectors: testSpecs}))
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range recs {
				r := recs[(i+g*77)%len(recs)]
				off, ok := s.Lookup(r.ID)
				if !ok || s.Version(off) != r.Version || !slices.Equal(s.Vector("image", off), r.Vectors["image"]) {
					done <- errors.New("concurrent read mismatch at " + r.ID.String())
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestLookupAcrossFenceBlocks(t *testing.T) {
	const n = 5*fenceStride + 3
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{ID: point.NumID(uint64(2*i + 2))}
	}
	s := openTestSegment(t, writeTestSegment(t, recs, WriteOptions{}))
	for i := range n {
		if off, ok := s.Lookup(point.NumID(uint64(2*i + 2))); !ok || off != uint32(i) {
			t.Fatalf("Lookup(%d) = %d %v, want %d", 2*i+2, off, ok, i)
		}
		if off, ok := s.Lookup(point.NumID(uint64(2*i + 1))); ok {
			t.Fatalf("Lookup(%d) = %d, found an absent id", 2*i+1, off)
		}
	}
	if _, ok := s.Lookup(point.NumID(2*n + 2)); ok {
		t.Fatal("Lookup past the last id found something")
	}
	if _, ok := s.Lookup(point.UUIDID(uuid.Nil)); ok {
		t.Fatal("Lookup of a UUID found something among integers")
	}
}

func TestIDKeyOrderMatchesBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	recs := genRecords(rng, 400, nil, 0)
	recs = append(recs, Record{ID: point.NumID(0)}, Record{ID: point.NumID(1<<64 - 1)}, Record{ID: point.UUIDID(uuid.Nil)})
	sign := func(c int) int { return min(max(c, -1), 1) }
	for _, a := range recs {
		ka := a.ID.AppendBinary(nil)
		for _, b := range recs[:50] {
			kb := b.ID.AppendBinary(nil)
			if got, want := sign(keyOf(kb).cmp(ka)), sign(bytes.Compare(ka, kb)); got != want {
				t.Fatalf("cmp(%v, %v) = %d, want %d", a.ID, b.ID, got, want)
			}
		}
	}
}
