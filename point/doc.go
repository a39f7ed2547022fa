// Package point defines the data every layer of Cairn shares: point ids
// (unsigned 64-bit integers or UUIDs, carried exactly), the distance
// functions a collection may use, and the shape of a point.
//
// It imports nothing of Cairn's, so any package may use it.
package point
