// Package sparse is the immutable inverted index of one sparse vector of a
// sealed segment: per term (a sparse index) the posting list of the
// segment offsets that have it, sorted by offset, with their float32
// values, and per offset the point's own sorted vector for retrieval. It
// is one file, written once by Build, checked (magic, version, checksums,
// table consistency) and used in place by Open without a rebuild;
// docs/format/sparse.md is the reference for its bytes.
//
// It imports only point, so the engine (and tests) can use it beside the
// segment package.
package sparse
