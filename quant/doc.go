// Package quant holds Cairn's vector quantizers: compact codes of a sealed
// segment's vectors that search scores first, rescoring the best candidates
// with the original float32 vectors.
//
// Scalar int8 (Qdrant's `scalar: {type: int8}`) maps each component v to a
// code c in [-127, 127]: v ≈ mid + alpha·c, where [mid-127·alpha,
// mid+127·alpha] is the range [lo, hi] holding the central quantile of all
// components of the segment. The estimates are
//
//	dot(x, y) ≈ alpha²·Σ cx·cy + corr(x) + corr(y),  corr(x) = alpha·mid·Σ cx + dim·mid²/2
//	|x - y|²  ≈ alpha²·Σ (cx - cy)²
//	|x - y|₁  ≈ alpha·Σ |cx - cy|
//
// (Cosine vectors are stored normalised, so Cosine is Dot.) The file format
// is docs/format/quantization.md.
package quant
