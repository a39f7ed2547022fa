package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// aliases maps alternative key spellings to their canonical key.
var aliases = map[string]string{
	"storage.snapshot_path": "storage.snapshots_path",
}

// field returns the settable field of c for the dotted key, or false.
func field(c *Config, key string) (reflect.Value, bool) {
	if k, ok := aliases[key]; ok {
		key = k
	}
	v := reflect.ValueOf(c).Elem()
	for part := range strings.SplitSeq(key, ".") {
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
			next, ok := listElem(v, part)
			if !ok {
				return reflect.Value{}, false
			}
			v = next
			continue
		}
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		next, ok := structField(v, part)
		if !ok {
			return reflect.Value{}, false
		}
		v = next
	}
	if v.Kind() == reflect.Struct {
		return reflect.Value{}, false // a section, not a key
	}
	return v, true
}

// maxListIndex bounds the index of a list element named in a key
// (backup.schedules.3.every): lists are short.
const maxListIndex = 1000

// listElem returns element part (a decimal index) of the list v, growing
// the list with zero elements up to it, so that environment variables may
// set the fields of list entries in any order; an entry left incomplete
// fails Validate.
func listElem(v reflect.Value, part string) (reflect.Value, bool) {
	i, err := strconv.Atoi(part)
	if err != nil || i < 0 || i >= maxListIndex || strconv.Itoa(i) != part {
		return reflect.Value{}, false
	}
	for v.Len() <= i {
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	}
	return v.Index(i), true
}

// structField returns the field of struct v whose yaml tag is name.
func structField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if tag := tagName(t.Field(i)); tag == name && tag != "-" {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tagName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return tag
}

// Keys returns every dotted configuration key, sorted.
func Keys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			if tagName(t.Field(i)) == "-" {
				continue // not a configuration key
			}
			name := prefix + tagName(t.Field(i))
			if t.Field(i).Type.Kind() == reflect.Struct {
				walk(t.Field(i).Type, name+".")
				continue
			}
			keys = append(keys, name)
		}
	}
	walk(reflect.TypeFor[Config](), "")
	sort.Strings(keys)
	return keys
}

// setString parses s into the field of c named by key.
func setString(c *Config, key, s string) error {
	f, ok := field(c, key)
	if !ok {
		return fmt.Errorf("%w %s", ErrUnknownKey, key)
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%w for %s: %q is not an integer", ErrBadValue, key, s)
		}
		f.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%w for %s: %q is not a boolean", ErrBadValue, key, s)
		}
		f.SetBool(b)
	case reflect.Slice:
		return setList(f, key, s)
	default:
		return fmt.Errorf("%w for %s: unsupported kind %s", ErrBadValue, key, f.Kind())
	}
	return nil
}

// setList sets a list from one variable: a YAML flow sequence
// ('[{name: hourly, every: 1h, collections: ["*"], keep: {last: 24}}]'),
// or, for a list of strings, also a comma-separated list ("a,b").
func setList(f reflect.Value, key, s string) error {
	t := strings.TrimSpace(s)
	if f.Type().Elem().Kind() == reflect.String && !strings.HasPrefix(t, "[") {
		parts := []string{}
		if t != "" {
			for p := range strings.SplitSeq(t, ",") {
				parts = append(parts, strings.TrimSpace(p))
			}
		}
		f.Set(reflect.ValueOf(parts))
		return nil
	}
	dec := yaml.NewDecoder(strings.NewReader(t))
	dec.KnownFields(true)
	next := reflect.New(f.Type())
	if err := dec.Decode(next.Interface()); err != nil {
		return fmt.Errorf("%w for %s: %q is not a YAML list of the key's entries: %v", ErrBadValue, key, s, err)
	}
	f.Set(next.Elem())
	return nil
}
