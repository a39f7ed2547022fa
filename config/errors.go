package config

import "errors"

// ErrUnknownKey reports a configuration key Cairn does not know.
var ErrUnknownKey = errors.New("unknown configuration key")

// ErrBadValue reports a value that cannot be parsed for its key.
var ErrBadValue = errors.New("bad configuration value")

// ErrInvalid reports a value that parses but is out of range.
var ErrInvalid = errors.New("invalid configuration")
