// Package payload holds Cairn's payload layer: payload documents (JSON
// objects whose numbers stay exact), Qdrant key paths, Qdrant filters with
// their exact evaluation, payload field schemas, and the immutable payload
// indexes written into sealed segments and read back from memory-mapped
// bytes.
//
// Evaluation follows Qdrant's semantics: an array value matches when any
// element matches, a missing key matches only is_empty (and values_count
// that accepts zero), and full-text conditions are substring tests unless
// the key has a text index, in which case they are token tests (see
// MatchOptions). Plan combines the answers of payload indexes into a
// Matcher, falling back to per-point evaluation for conditions no index
// answers, and gives Qdrant-style cardinality estimates.
package payload
