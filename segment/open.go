package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edsrzf/mmap-go"
)

// Open maps the segment in dir read-only. It validates the magic, version
// and checksum of meta.seg and of every file header, the full checksums of
// the small files (ids, versions, payload offsets, presence bitmaps) and the
// size of every file; the vector data, payload bytes and extra files are
// checked only by Verify, so opening reads almost nothing from disk.
func Open(dir string) (*Segment, error) {
	s, err := open(dir)
	if err != nil {
		return nil, fmt.Errorf("open segment %s: %w", dir, err)
	}
	return s, nil
}

func open(dir string) (*Segment, error) {
	raw, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, err
	}
	m, err := parseMeta(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", MetaFile, err)
	}
	s := &Segment{dir: dir, meta: m, rawMeta: raw}
	load := func(name string) ([]byte, error) {
		b, mm, err := mapFile(filepath.Join(dir, name))
		if mm != nil {
			s.maps = append(s.maps, mm)
		}
		return b, err
	}
	if err := s.assemble(load); err != nil {
		return nil, errors.Join(err, s.unmap())
	}
	return s, nil
}

// mapFile maps a whole file read-only. An empty file maps to an empty slice.
func mapFile(path string) ([]byte, mmap.MMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() == 0 {
		return []byte{}, nil, nil
	}
	mm, err := mmap.Map(f, mmap.RDONLY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return mm, mm, nil
}

// assemble loads every file listed in the meta through load (a mapping in
// production, plain bytes in tests) and validates it.
func (s *Segment) assemble(load func(name string) ([]byte, error)) error {
	m := s.meta
	s.files = make(map[string][]byte, len(m.Files))
	s.extras = map[string][]byte{}
	s.vectors = make(map[string]*vectorBlock, len(m.Vectors))
	dims := map[string]VectorSpec{}
	for _, v := range m.Vectors {
		dims[v.File] = v.Spec
	}
	for _, f := range m.Files {
		b, err := load(f.Name)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if uint64(len(b)) != f.Size {
			return fmt.Errorf("%s: %w: %d bytes, meta says %d", f.Name, ErrCorrupt, len(b), f.Size)
		}
		s.files[f.Name] = b
		if err := s.parseFile(f, b, dims[f.Name]); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// parseFile validates one file and keeps what the accessors need.
func (s *Segment) parseFile(f fileEntry, b []byte, spec VectorSpec) error {
	var n uint64
	var err error
	switch f.Kind {
	case kindIDs, kindVersions:
		if got := checksum(b); got != f.CRC {
			return fmt.Errorf("%w: checksum %08x, meta says %08x", ErrCorrupt, got, f.CRC)
		}
		if f.Kind == kindIDs {
			s.ids, err = parseIDs(b)
			n = uint64(s.ids.n)
		} else {
			s.versions, n, err = parseVersions(b)
		}
	case kindVectors:
		var blk vectorBlock
		blk, err = parseVectors(b, spec)
		blk.spec, n = spec, blk.n
		s.vectors[spec.Name] = &blk
	case kindPayload:
		s.payload, n, err = parsePayload(b)
	case kindExtra:
		s.extras[f.Name] = b
		return nil
	}
	if err != nil {
		return err
	}
	if n != s.meta.N {
		return fmt.Errorf("%w: %d points, meta says %d", ErrCorrupt, n, s.meta.N)
	}
	return nil
}

// Verify reads every file of the segment in full and checks its checksum
// against meta.seg, which is itself re-read and compared: the checks of
// VerifyChecks, one after another. Only tests call it; a restore runs
// VerifyChecks side by side (engine.verifyShards).
func (s *Segment) Verify() error {
	for _, c := range s.VerifyChecks(nil) {
		if err := c.Run(); err != nil {
			return err
		}
	}
	return nil
}

// Check is one independent part of Verify: Size is about how many bytes it
// reads, so that a caller running checks side by side can start with the
// largest.
type Check struct {
	Size int64
	Run  func() error
}

// VerifyChecks splits Verify into independent checks (meta.seg re-read and
// compared, then one per file) that may run concurrently; Verify passes
// exactly when every check does. Their errors name the segment.
//
// known, when not nil, may give the CRC-32C of a file of the segment (by
// its name in the folder) that its caller computed over the very bytes it
// wrote into that file, nothing having written it since (a snapshot
// restore's extractor does): that file's check then compares the given
// checksum and the mapped size with meta.seg instead of reading the file.
func (s *Segment) VerifyChecks(known func(name string) (crc uint32, ok bool)) []Check {
	if s.files == nil {
		return []Check{{Run: func() error { return ErrClosed }}}
	}
	checks := []Check{{Size: int64(len(s.rawMeta)), Run: func() error {
		raw, err := os.ReadFile(filepath.Join(s.dir, MetaFile))
		if err != nil {
			return fmt.Errorf("verify segment %s: %w", s.dir, err)
		}
		if string(raw) != string(s.rawMeta) {
			return fmt.Errorf("verify segment %s: %s: %w: changed since open", s.dir, MetaFile, ErrCorrupt)
		}
		return nil
	}}}
	for _, f := range s.meta.Files {
		b := s.files[f.Name]
		if known != nil {
			if crc, ok := known(f.Name); ok {
				checks = append(checks, Check{Run: func() error {
					if err := checkFile(f, int64(len(b)), crc); err != nil {
						return fmt.Errorf("verify segment %s: %w", s.dir, err)
					}
					return nil
				}})
				continue
			}
		}
		checks = append(checks, Check{Size: int64(len(b)), Run: func() error {
			if err := verifyFile(f, b); err != nil {
				return fmt.Errorf("verify segment %s: %w", s.dir, err)
			}
			return nil
		}})
	}
	return checks
}

func verifyFile(f fileEntry, b []byte) error {
	crc := f.CRC // a file of the wrong size fails on its size: not worth reading
	if uint64(len(b)) == f.Size {
		crc = checksum(b)
	}
	return checkFile(f, int64(len(b)), crc)
}

// checkFile compares a file's size and CRC-32C with its meta.seg entry.
func checkFile(f fileEntry, size int64, crc uint32) error {
	if uint64(size) != f.Size {
		return fmt.Errorf("%s: %w: %d bytes, meta says %d", f.Name, ErrCorrupt, size, f.Size)
	}
	if crc != f.CRC {
		return fmt.Errorf("%s: %w: checksum %08x, meta says %08x", f.Name, ErrCorrupt, crc, f.CRC)
	}
	return nil
}

// Close unmaps every file. The caller guarantees that no reader still uses
// a slice the segment returned. Closing twice is harmless.
func (s *Segment) Close() error {
	err := s.unmap()
	s.files, s.extras, s.vectors = nil, nil, nil
	s.ids, s.payload, s.versions = idTable{}, payloadTable{}, nil
	if err != nil {
		return fmt.Errorf("close segment %s: %w", s.dir, err)
	}
	return nil
}

func (s *Segment) unmap() error {
	var errs []error
	for _, mm := range s.maps {
		errs = append(errs, mm.Unmap())
	}
	s.maps = nil
	return errors.Join(errs...)
}
