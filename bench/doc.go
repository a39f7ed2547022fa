// Package bench holds Cairn's benchmark helpers: readers for the TEXMEX
// vector formats (.fvecs, .ivecs, .bvecs) and runners that print tables
// comparable with the reference tools in ../shared/bench, such as the HNSW
// table that hnswlib_ref prints.
package bench
