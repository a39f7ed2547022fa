// Package hnsw builds and searches Hierarchical Navigable Small World graphs
// (Malkov & Yashunin) over the vectors of one sealed segment.
//
// A graph is built once (Build), written as one file of the segment
// (WriteFile) and memory-mapped when the segment is opened again (Open): the
// bytes on disk are the in-memory graph, so opening decodes nothing and
// rebuilds nothing. Layer 0 is a flat array of fixed-size slots, one per
// point: a count word followed by up to 2·M neighbour offsets and, when the
// graph was built with payload groups, up to GroupM extra links that keep
// each group connected for filtered search. Upper layers are stored per node
// in a second flat array.
//
// Search walks the graph with a Searcher, whose visited set and heaps are
// reused between queries so that a query allocates nothing in steady state.
// Distances are "lower is closer": squared Euclidean distance for Euclid,
// Manhattan distance for Manhattan, and the negated dot product for Dot and
// Cosine (Cosine vectors are stored unit length). All kernels come from the
// simd package.
//
// The file format is described in docs/format/hnsw.md.
package hnsw
