package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// object is a decoded JSON object whose values are still raw, for strict
// field-by-field parsing with error messages naming the field path.
type object struct {
	path   string
	fields map[string]json.RawMessage
	order  []string
}

// decodeObject reads one JSON object; duplicate keys are an error.
func decodeObject(b []byte, path string) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: expected an object", path)
	}
	o := &object{path: path, fields: map[string]json.RawMessage{}}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s.%s: %v", path, k, err)
		}
		if _, dup := o.fields[k]; dup {
			return nil, fmt.Errorf("%s.%s: duplicate field", path, k)
		}
		o.fields[k] = raw
		o.order = append(o.order, k)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: trailing data", path)
	}
	return o, nil
}

// has reports whether the field is present and not null.
func (o *object) has(k string) bool {
	raw, ok := o.fields[k]
	return ok && !isNull(raw)
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func (o *object) sub(k string) string { return o.path + "." + k }

// only reports the first field not in allowed.
func (o *object) only(allowed ...string) error {
	for _, k := range o.order {
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: unknown field", o.sub(k))
		}
	}
	return nil
}

func (o *object) str(k string) (*string, error) {
	if !o.has(k) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(o.fields[k], &s); err != nil {
		return nil, fmt.Errorf("%s: expected a string", o.sub(k))
	}
	return &s, nil
}

func (o *object) boolean(k string) (*bool, error) {
	if !o.has(k) {
		return nil, nil
	}
	var v bool
	if err := json.Unmarshal(o.fields[k], &v); err != nil {
		return nil, fmt.Errorf("%s: expected a boolean", o.sub(k))
	}
	return &v, nil
}

func (o *object) number(k string) (*json.Number, error) {
	if !o.has(k) {
		return nil, nil
	}
	n, ok := rawNumber(o.fields[k])
	if !ok {
		return nil, fmt.Errorf("%s: expected a number", o.sub(k))
	}
	return &n, nil
}

func (o *object) uint(k string, max uint64) (*uint64, error) {
	n, err := o.number(k)
	if err != nil || n == nil {
		return nil, err
	}
	v, ok := parseNum(*n).uint()
	if !ok || v > max {
		return nil, fmt.Errorf("%s: expected an unsigned integer up to %d", o.sub(k), max)
	}
	return &v, nil
}

func (o *object) float(k string) (float64, error) {
	if !o.has(k) {
		return 0, fmt.Errorf("%s: missing", o.sub(k))
	}
	n, ok := rawNumber(o.fields[k])
	if !ok {
		return 0, fmt.Errorf("%s: expected a number", o.sub(k))
	}
	f := parseNum(n).float()
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%s: expected a finite number", o.sub(k))
	}
	return f, nil
}

// rawNumber reads a JSON number token exactly.
func rawNumber(raw json.RawMessage) (json.Number, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var n json.Number
	if err := dec.Decode(&n); err != nil {
		return "", false
	}
	return n, true
}

// array splits a raw JSON array into its raw elements.
func array(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil || out == nil && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		return nil, fmt.Errorf("%s: expected an array", path)
	}
	return out, nil
}

// jsonRaw is a raw JSON value.
type jsonRaw = json.RawMessage
