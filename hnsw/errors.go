package hnsw

import "errors"

// ErrCorrupt reports a graph file that fails validation: bad magic, checksum,
// header or neighbour data.
var ErrCorrupt = errors.New("corrupt hnsw graph")

// ErrVersion reports a graph file written in a format version this build
// cannot read.
var ErrVersion = errors.New("unsupported hnsw graph version")

// ErrMismatch reports a graph file that does not describe the vectors it is
// opened with (dimension, distance or number of points differ).
var ErrMismatch = errors.New("hnsw graph does not match vectors")

// ErrParams reports invalid build parameters or inputs.
var ErrParams = errors.New("invalid hnsw parameters")

// ErrClosed reports use of a graph after Close.
var ErrClosed = errors.New("hnsw graph closed")
