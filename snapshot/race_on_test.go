//go:build race

package snapshot

// raceEnabled: the test binary runs under the race detector, whose shadow
// memory takes page faults of its own.
const raceEnabled = true
