package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrFormat reports a malformed TEXMEX file.
var ErrFormat = errors.New("malformed texmex data")

// maxDim bounds the dimension a TEXMEX row may declare.
const maxDim = 1 << 16

// ReadFvecs reads a .fvecs file: rows of a little-endian int32 dimension
// followed by that many float32 values. It returns the rows back to back and
// the dimension shared by every row.
func ReadFvecs(path string) ([]float32, int, error) {
	var out []float32
	dim, err := readFile(path, 4, func(row []byte) {
		for i := 0; i < len(row); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(row[i:])))
		}
	})
	return out, dim, err
}

// ReadIvecs reads a .ivecs file: rows of a little-endian int32 dimension
// followed by that many int32 values (ground-truth neighbour ids).
func ReadIvecs(path string) ([]int32, int, error) {
	var out []int32
	dim, err := readFile(path, 4, func(row []byte) {
		for i := 0; i < len(row); i += 4 {
			out = append(out, int32(binary.LittleEndian.Uint32(row[i:])))
		}
	})
	return out, dim, err
}

// ReadBvecs reads a .bvecs file: rows of a little-endian int32 dimension
// followed by that many unsigned bytes, widened to float32.
func ReadBvecs(path string) ([]float32, int, error) {
	var out []float32
	dim, err := readFile(path, 1, func(row []byte) {
		for _, b := range row {
			out = append(out, float32(b))
		}
	})
	return out, dim, err
}

func readFile(path string, width int, row func([]byte)) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read texmex: %w", err)
	}
	defer f.Close()
	dim, err := Decode(bufio.NewReaderSize(f, 1<<20), width, row)
	if err != nil {
		return 0, fmt.Errorf("read texmex %s: %w", path, err)
	}
	return dim, nil
}

// Decode reads TEXMEX rows whose values are width bytes wide from r, calling
// row with each row's value bytes (valid until the next call). Every row
// must declare the same dimension, between 1 and 65536; it is returned (0
// for empty input).
func Decode(r io.Reader, width int, row func([]byte)) (int, error) {
	var hdr [4]byte
	dim := 0
	var buf []byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return dim, nil
			}
			return 0, fmt.Errorf("%w: row %d header: %v", ErrFormat, n, err)
		}
		d := int(int32(binary.LittleEndian.Uint32(hdr[:])))
		if d <= 0 || d > maxDim || (dim != 0 && d != dim) {
			return 0, fmt.Errorf("%w: row %d dimension %d", ErrFormat, n, d)
		}
		dim = d
		if buf == nil {
			buf = make([]byte, dim*width)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return 0, fmt.Errorf("%w: row %d truncated: %v", ErrFormat, n, err)
		}
		row(buf)
	}
}
