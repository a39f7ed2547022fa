package segment

import "errors"

// ErrExists reports that Write was given a folder that already exists.
var ErrExists = errors.New("segment already exists")

// ErrInvalid reports records or options that Write cannot store: a vector of
// the wrong dimension, an unknown vector name, a duplicate id, a bad file name.
var ErrInvalid = errors.New("invalid segment input")

// ErrCorrupt reports a segment file whose magic, layout or checksum is wrong.
var ErrCorrupt = errors.New("corrupt segment file")

// ErrVersion reports a segment file written in a format version this build
// does not read.
var ErrVersion = errors.New("unsupported segment format version")

// ErrClosed reports a use of a Segment after Close.
var ErrClosed = errors.New("segment closed")
