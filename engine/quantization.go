package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cairn-db/cairn/quant"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
)

// QuantizationConfig is Qdrant's quantization_config. Cairn implements the
// scalar int8 form; binary and product are refused by the settings check
// (CheckCreateCollection) before a request is decoded.
type QuantizationConfig struct {
	// Scalar is Qdrant's scalar quantization.
	Scalar *ScalarQuantization `json:"scalar"`
}

// ScalarQuantization is Qdrant's `scalar: {type, quantile, always_ram}`.
type ScalarQuantization struct {
	// Type is the code type; only "int8" exists.
	Type string `json:"type"`
	// Quantile (0.5..1, unset: 1) is the central share of the components
	// the codes cover; the rest are clamped.
	Quantile *float32 `json:"quantile,omitempty"`
	// AlwaysRam is kept and reported: the quantized file is memory-mapped
	// like every segment file and the page cache keeps it resident.
	AlwaysRam *bool `json:"always_ram,omitempty"`
}

// quantile returns the quantile in force (Qdrant's default: the whole range).
func (s *ScalarQuantization) quantile() float32 {
	if s.Quantile == nil {
		return 1
	}
	return *s.Quantile
}

// validate checks a scalar quantization config (every transport).
func (q *QuantizationConfig) validate(field string) error {
	if q == nil {
		return nil
	}
	if q.Scalar == nil {
		return errInvalid(field, "only scalar quantization is supported by Cairn")
	}
	if q.Scalar.Type != "int8" {
		return errInvalid(field+".scalar.type", "unknown variant %q, expected `int8`", q.Scalar.Type)
	}
	if v := q.Scalar.Quantile; v != nil && !(*v >= 0.5 && *v <= 1) {
		return errInvalid(field+".scalar.quantile", "value %g invalid, must be from 0.5 to 1.0", *v)
	}
	return nil
}

// quantFor returns the scalar quantization of vector name (its own config
// first, then the collection's), nil for none.
func (c *CollectionConfig) quantFor(name string) *ScalarQuantization {
	if vp := c.Params.Vectors[name]; vp.QuantizationConfig != nil {
		return vp.QuantizationConfig.Scalar
	}
	if c.QuantizationConfig != nil {
		return c.QuantizationConfig.Scalar
	}
	return nil
}

// quantized reports whether any vector has scalar quantization.
func (c *CollectionConfig) quantized() bool {
	for name := range c.Params.Vectors {
		if c.quantFor(name) != nil {
			return true
		}
	}
	return false
}

// validateQuantization checks the collection's and every vector's config.
func (c *CollectionConfig) validateQuantization() error {
	if err := c.QuantizationConfig.validate("quantization_config"); err != nil {
		return err
	}
	for _, name := range c.Params.Vectors.Names() {
		field := "vectors.quantization_config"
		if name != "" {
			field = "vectors." + name + ".quantization_config"
		}
		if err := c.Params.Vectors[name].QuantizationConfig.validate(field); err != nil {
			return err
		}
	}
	return nil
}

// checkQuantizationJSON is the settings check of quantization_config on
// create (checkSettings prefixes the field's path): null, or one of
// Qdrant's three forms, of which only scalar is implemented.
func checkQuantizationJSON(v json.RawMessage) error {
	if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || len(m) != 1 {
		return errors.New("expected one of `scalar`, `product`, `binary`")
	}
	for k, sub := range m {
		switch k {
		case "scalar":
			var f map[string]json.RawMessage
			if json.Unmarshal(sub, &f) == nil && f["memory"] != nil && !bytes.Equal(bytes.TrimSpace(f["memory"]), []byte("null")) {
				return errors.New("scalar.memory: " + noMemory)
			}
		case "binary", "product":
			return fmt.Errorf("%s quantization is not supported by Cairn (only scalar int8); remove the setting or use `scalar`", k)
		default:
			return fmt.Errorf("unknown variant `%s`, expected one of `scalar`, `product`, `binary`", k)
		}
	}
	return nil
}

// noQuantizationChange explains the refusal of quantization_config on PATCH.
const noQuantizationChange = "changing quantization_config of an existing collection is not supported by Cairn; set it when creating the collection"

// quantFile is the scalar int8 file of vector name in a segment.
func quantFile(name string) string {
	if name == "" {
		return "quant-default.sq8"
	}
	return "quant-n-" + segment.EscapeName(name) + ".sq8"
}

// quantAttach writes, for every vector of seg with scalar quantization in
// cfg, its quantized file into tmpDir, and returns their names.
func quantAttach(cfg *CollectionConfig, fsys vfs.FS, tmpDir string, seg *segment.Segment) ([]string, error) {
	var names []string
	for _, sp := range seg.Specs() {
		sq := cfg.quantFor(sp.Name)
		if sq == nil {
			continue
		}
		block, dim := seg.Vectors(sp.Name)
		n := seg.Len()
		has := func(i int) bool { return seg.HasVector(sp.Name, uint32(i)) }
		lo, hi := quant.Bounds(block, dim, n, has, float64(sq.quantile()))
		b, err := quant.Build(quant.Params{Distance: sp.Distance, Dim: dim, Quantile: sq.quantile(), Lo: lo, Hi: hi}, block, n)
		if err != nil {
			return nil, fmt.Errorf("quantize %q: %w", sp.Name, err)
		}
		if err := writeNewFile(fsys, filepath.Join(tmpDir, quantFile(sp.Name)), b); err != nil {
			return nil, fmt.Errorf("write quantized %q: %w", sp.Name, err)
		}
		names = append(names, quantFile(sp.Name))
	}
	return names, nil
}

// writeNewFile creates path with b (segment.Write fsyncs attached files).
func writeNewFile(fsys vfs.FS, path string, b []byte) error {
	f, err := fsys.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return errors.Join(err, f.Close())
}

// attachAll chains Attach callbacks (nil ones skipped).
func attachAll(fns ...func(vfs.FS, string, *segment.Segment) ([]string, error)) func(vfs.FS, string, *segment.Segment) ([]string, error) {
	return func(fsys vfs.FS, dir string, seg *segment.Segment) ([]string, error) {
		var all []string
		for _, fn := range fns {
			if fn == nil {
				continue
			}
			names, err := fn(fsys, dir, seg)
			if err != nil {
				return nil, err
			}
			all = append(all, names...)
		}
		return all, nil
	}
}

// openQuantized parses the quantized files of h's segment, their codes
// checksummed unless unverified (quant.ParseUnverified).
func (h *segHandle) openQuantized(unverified bool) error {
	parse := quant.Parse
	if unverified {
		parse = quant.ParseUnverified
	}
	for _, sp := range h.seg.Specs() {
		b := h.seg.Extra(quantFile(sp.Name))
		if b == nil {
			continue
		}
		q, err := parse(b, h.seg.Len())
		if err == nil && (q.Params().Dim != sp.Dim || q.Params().Distance != sp.Distance) {
			err = fmt.Errorf("%w: for dim %d %v, the vector is dim %d %v", quant.ErrCorrupt,
				q.Params().Dim, q.Params().Distance, sp.Dim, sp.Distance)
		}
		if err != nil {
			return fmt.Errorf("open quantized %q of %s: %w", sp.Name, h.dir, err)
		}
		if h.quant == nil {
			h.quant = map[string]*quant.Scalar{}
		}
		h.quant[sp.Name] = q
	}
	return nil
}
