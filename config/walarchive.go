package config

import (
	"fmt"
	"slices"
	"time"
)

// WALArchive configures the shipping of every durable WAL record to a
// target (see package walarchive).
type WALArchive struct {
	// Target is where the archive goes: "local" (the folder
	// storage.snapshots_path/.wal-archive), "s3", or "" for no archiving.
	Target string `yaml:"target"`
	// Every is the shipping interval, a Go duration ("1s"): a record made
	// durable is archived within it. Between 10ms and 1h.
	Every string `yaml:"every"`
}

// WALArchiveTargets are the accepted values of backup.wal_archive.target.
var WALArchiveTargets = []string{"", TargetLocal, TargetS3}

// Bounds of backup.wal_archive.every.
const (
	MinWALArchiveEvery = 10 * time.Millisecond
	MaxWALArchiveEvery = time.Hour
)

// WALArchiveEvery returns backup.wal_archive.every parsed, or an error
// naming the key.
func (c *Config) WALArchiveEvery() (time.Duration, error) {
	d, err := time.ParseDuration(c.Backup.WALArchive.Every)
	if err != nil {
		return 0, fmt.Errorf("%w: backup.wal_archive.every: %q is not a duration such as 1s", ErrInvalid, c.Backup.WALArchive.Every)
	}
	if d < MinWALArchiveEvery || d > MaxWALArchiveEvery {
		return 0, fmt.Errorf("%w: backup.wal_archive.every: %s is not between %s and %s", ErrInvalid, d, MinWALArchiveEvery, MaxWALArchiveEvery)
	}
	return d, nil
}

// validateWALArchive checks the backup.wal_archive keys.
func (c *Config) validateWALArchive() error {
	t := c.Backup.WALArchive.Target
	if !slices.Contains(WALArchiveTargets, t) {
		return fmt.Errorf("%w: backup.wal_archive.target: %q is not local, s3 or empty", ErrInvalid, t)
	}
	_, err := c.WALArchiveEvery()
	return err
}
