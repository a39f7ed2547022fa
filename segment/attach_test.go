package segment

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// sumAttach writes "sum.bin": the float32 sum of the mapped unnamed vectors,
// as a derived file (an HNSW graph in production) would be built.
func sumAttach(fs vfs.FS, tmpDir string, s *Segment) ([]string, error) {
	block, _ := s.Vectors("")
	var sum float32
	for _, x := range block {
		sum += x
	}
	data := binary.LittleEndian.AppendUint32(nil, math.Float32bits(sum))
	if err := vfs.WriteFileAtomic(fs, filepath.Join(tmpDir, "sum.bin"), data); err != nil {
		return nil, err
	}
	return []string{"sum.bin"}, nil
}

func TestAttach(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	recs := genRecords(rng, 100, testSpecs, 0.1)
	dir := writeTestSegment(t, recs, WriteOptions{Vectors: testSpecs, Attach: sumAttach})
	s := openTestSegment(t, dir)
	block, _ := s.Vectors("")
	var sum float32
	for _, x := range block {
		sum += x
	}
	got := s.Extra("sum.bin")
	if len(got) != 4 || math.Float32frombits(binary.LittleEndian.Uint32(got)) != sum {
		t.Fatalf("Extra(sum.bin) = %v, want the sum %v", got, sum)
	}
	checkSegment(t, s, sortedRecords(recs), testSpecs, map[string][]byte{"sum.bin": got})
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	flip(t, filepath.Join(dir, "sum.bin"), 0)
	if err := s.Verify(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Verify after corrupting an attached file = %v", err)
	}
}

func TestAttachErrors(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name   string
		attach func(vfs.FS, string, *Segment) ([]string, error)
		want   error
	}{
		{"error", func(vfs.FS, string, *Segment) ([]string, error) { return nil, boom }, boom},
		{"reserved", func(vfs.FS, string, *Segment) ([]string, error) { return []string{IDsFile}, nil }, ErrInvalid},
		{"escape", func(vfs.FS, string, *Segment) ([]string, error) { return []string{"../x"}, nil }, ErrInvalid},
		{"missing", func(vfs.FS, string, *Segment) ([]string, error) { return []string{"nope"}, nil }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "seg")
			err := Write(dir, nil, WriteOptions{Attach: tc.attach})
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Write = %v, want %v", err, tc.want)
			}
			assertAbsent(t, dir)
		})
	}
}
