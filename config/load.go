package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options says where Load reads the configuration from.
type Options struct {
	// Path is the YAML file to read. Empty means DefaultPath if it exists;
	// a non-empty Path must exist.
	Path string
	// Environ is the environment as os.Environ returns it.
	Environ []string
	// Override, if set, is applied last: command-line flags.
	Override func(*Config)
}

// Load builds the configuration: defaults, then the YAML file, then the
// QDRANT__ and CAIRN__ environment variables (CAIRN__ wins), then Override;
// it fills derived defaults (storage.temp_path, and for s3 snapshots the
// credentials and region missing from the standard AWS variables) and
// validates the result.
func Load(opts Options) (*Config, error) {
	c := Default()
	if err := loadFile(&c, opts.Path); err != nil {
		return nil, err
	}
	if err := applyEnv(&c, opts.Environ); err != nil {
		return nil, err
	}
	if opts.Override != nil {
		opts.Override(&c)
	}
	c.fillDerived()
	c.fillAWS(opts.Environ)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func loadFile(c *Config, path string) error {
	explicit := path != ""
	if !explicit {
		path = DefaultPath
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("read config file: %w", err)
	}
	if err := decodeYAML(c, data); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// decodeYAML decodes data over c, rejecting unknown keys. A failure is
// explained by walking the document so the error names the dotted key.
func decodeYAML(c *Config, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	next := *c
	if err := dec.Decode(&next); err != nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil {
			if kerr := checkNode(&doc, ""); kerr != nil {
				return kerr
			}
		}
		return fmt.Errorf("%w: %v", ErrBadValue, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil {
		nullsToZero(&next, &doc, "")
	}
	*c = next
	return nil
}

// nullsToZero gives every key the document sets to null its zero value, as
// Qdrant reads a null (tls.cert_ttl: null disables the reload; temp_path:
// null is the derived default). yaml.v3 leaves such a field unchanged.
func nullsToZero(c *Config, n *yaml.Node, prefix string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, ch := range n.Content {
			nullsToZero(c, ch, prefix)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := prefix+n.Content[i].Value, n.Content[i+1]
			if val.Kind == yaml.MappingNode {
				nullsToZero(c, val, key+".")
				continue
			}
			if val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null" {
				if f, ok := field(c, key); ok {
					f.SetZero()
				}
			}
		}
	}
}

// checkNode finds the first unknown key or ill-typed value in a YAML tree.
func checkNode(n *yaml.Node, prefix string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, ch := range n.Content {
			if err := checkNode(ch, prefix); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			if err := checkEntry(key, n.Content[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkEntry(key string, val *yaml.Node) error {
	var probe Config
	f, ok := field(&probe, key)
	if _, alias := aliases[key]; alias {
		ok = false // aliases are for environment variables only
	}
	if !ok {
		if isSection(key) {
			if val.Kind != yaml.MappingNode {
				return fmt.Errorf("%w for %s (line %d): a section, expected a mapping of keys", ErrBadValue, key, val.Line)
			}
			return checkNode(val, key+".")
		}
		return fmt.Errorf("%w %s (line %d)", ErrUnknownKey, key, val.Line)
	}
	if err := val.Decode(f.Addr().Interface()); err != nil {
		return fmt.Errorf("%w for %s (line %d): %q is not a valid %s", ErrBadValue, key, val.Line, val.Value, f.Kind())
	}
	return nil
}

func isSection(key string) bool {
	for _, k := range Keys() {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// envPrefixes are read in order: a CAIRN__ variable overrides a QDRANT__ one.
var envPrefixes = []string{"QDRANT__", "CAIRN__"}

// applyEnv sets keys from variables such as QDRANT__SERVICE__API_KEY.
func applyEnv(c *Config, environ []string) error {
	for _, prefix := range envPrefixes {
		for _, kv := range environ {
			name, val, _ := strings.Cut(kv, "=")
			rest, ok := strings.CutPrefix(name, prefix)
			if !ok {
				continue
			}
			key := strings.ToLower(strings.ReplaceAll(rest, "__", "."))
			if err := setString(c, key, val); err != nil {
				return fmt.Errorf("environment variable %s: %w", name, err)
			}
		}
	}
	return nil
}
