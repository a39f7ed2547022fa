// Package bench holds Cairn's benchmark helpers: readers for the TEXMEX
// vector formats (.fvecs, .ivecs, .bvecs) and runners that print tables
// comparable with the reference tools in ../shared/bench, such as the HNSW
// table that hnswlib_ref prints. The runners repeat their measurements in
// interleaved rounds (Schedule) and report medians with min–max (Spread),
// and `cairn bench search -hnswlib-bin` runs hnswlib_ref between Cairn's
// rounds so that the ratios come from one run.
package bench
