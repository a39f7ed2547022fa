package snapshot

import "fmt"

// Priority is a recover request's source of truth, as Qdrant names it. On a
// single node there is no other replica to synchronise with, so every
// priority restores the snapshot's data in full and replaces the
// collection's current state; they differ only in a cluster. See
// docs/format/snapshot.md.
type Priority string

// The priorities Qdrant accepts.
const (
	// PrioritySnapshot prefers the snapshot's data over the current state.
	PrioritySnapshot Priority = "snapshot"
	// PriorityReplica prefers the data of other replicas over the snapshot
	// (Qdrant's default); with no other replica the snapshot is used.
	PriorityReplica Priority = "replica"
	// PriorityNoSync restores the snapshot without any synchronisation.
	PriorityNoSync Priority = "no_sync"
)

// ParsePriority accepts "", "snapshot", "replica" and "no_sync"; "" means
// PriorityReplica, Qdrant's default. Anything else gives an error wrapping
// ErrBadPriority (422).
func ParsePriority(s string) (Priority, error) {
	switch p := Priority(s); p {
	case "":
		return PriorityReplica, nil
	case PrioritySnapshot, PriorityReplica, PriorityNoSync:
		return p, nil
	}
	return "", fmt.Errorf("%w: %q (want snapshot, replica or no_sync)", ErrBadPriority, s)
}
