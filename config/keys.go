package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
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
	default:
		return fmt.Errorf("%w for %s: unsupported kind %s", ErrBadValue, key, f.Kind())
	}
	return nil
}
