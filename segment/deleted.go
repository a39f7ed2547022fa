package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cairn-db/cairn/vfs"
)

// deletedFixed is the length of deleted.bits before the bitmap words.
const deletedFixed = 32

// MarshalBinary encodes the bitmap in the deleted.bits format: magic,
// version, length, count, the bitmap words and a CRC-32C.
func (b *Bitmap) MarshalBinary() ([]byte, error) {
	le := binary.LittleEndian
	out := make([]byte, 0, deletedFixed+8*len(b.words)+4)
	out = append(out, magicDeleted[:]...)
	out = le.AppendUint32(out, unchangedVersion)
	out = le.AppendUint32(out, 0)
	out = le.AppendUint64(out, uint64(b.n))
	out = le.AppendUint64(out, uint64(b.Count()))
	for _, w := range b.words {
		out = le.AppendUint64(out, w)
	}
	return le.AppendUint32(out, checksum(out)), nil
}

// UnmarshalBinary decodes the deleted.bits format, validating the magic,
// version, checksum, count and that no bit is set beyond the length.
func (b *Bitmap) UnmarshalBinary(data []byte) error {
	le := binary.LittleEndian
	if len(data) < deletedFixed+4 {
		return fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(data))
	}
	if [8]byte(data[:8]) != magicDeleted {
		return fmt.Errorf("%w: bad magic %q", ErrCorrupt, data[:8])
	}
	body := data[:len(data)-4]
	if got, want := le.Uint32(data[len(data)-4:]), checksum(body); got != want {
		return fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	if v := le.Uint32(data[8:]); !readable(v) {
		return fmt.Errorf("%w: version %d", ErrVersion, v)
	}
	n, count := le.Uint64(data[16:]), le.Uint64(data[24:])
	if le.Uint32(data[12:]) != 0 || n > MaxPoints {
		return fmt.Errorf("%w: bad deletion header", ErrCorrupt)
	}
	words := (n + 63) / 64
	if uint64(len(body)-deletedFixed) != words*8 {
		return fmt.Errorf("%w: %d bitmap bytes for %d points", ErrCorrupt, len(body)-deletedFixed, n)
	}
	nb := &Bitmap{words: make([]uint64, words), n: int(n)}
	for i := range nb.words {
		nb.words[i] = le.Uint64(body[deletedFixed+8*i:])
	}
	if n%64 != 0 && nb.words[words-1]>>(n%64) != 0 {
		return fmt.Errorf("%w: deleted bits beyond the last point", ErrCorrupt)
	}
	if uint64(nb.Count()) != count {
		return fmt.Errorf("%w: %d deleted bits, header says %d", ErrCorrupt, nb.Count(), count)
	}
	*b = *nb
	return nil
}

// ParseDeleted decodes the content of a deleted.bits file for a segment of
// n points.
func ParseDeleted(data []byte, n int) (*Bitmap, error) {
	b := new(Bitmap)
	if err := b.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if b.n != n {
		return nil, fmt.Errorf("%w: deletion bitmap for %d points, segment has %d", ErrCorrupt, b.n, n)
	}
	return b, nil
}

// LoadDeleted reads the deletion state of the segment in dir, which has n
// points. A missing file means nothing is deleted.
func LoadDeleted(dir string, n int) (*Bitmap, error) {
	path := filepath.Join(dir, DeletedFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return NewBitmap(n), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load deleted %s: %w", path, err)
	}
	b, err := ParseDeleted(data, n)
	if err != nil {
		return nil, fmt.Errorf("load deleted %s: %w", path, err)
	}
	return b, nil
}

// StoreDeleted durably replaces the deletion state of the segment in dir
// with b, through a new file renamed over the old one: a hard link to the
// previous file keeps the previous state. A nil fs means vfs.OS.
func StoreDeleted(fs vfs.FS, dir string, b *Bitmap) error {
	if fs == nil {
		fs = vfs.OS
	}
	data, _ := b.MarshalBinary()
	path := filepath.Join(dir, DeletedFile)
	if err := vfs.WriteFileAtomic(fs, path, data); err != nil {
		return fmt.Errorf("store deleted %s: %w", path, err)
	}
	return nil
}
