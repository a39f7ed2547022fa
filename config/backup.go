package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cairn-db/cairn/backup/cron"
)

// Backup holds the backup settings: the schedules the server runs and WAL
// archiving (docs/backup.md, docs/format/wal-archive.md).
type Backup struct {
	// Schedules are run by the server, each on its own timer; see
	// docs/backup.md.
	Schedules []BackupSchedule `yaml:"schedules"`
	// WALArchive configures WAL archiving (point-in-time recovery).
	WALArchive WALArchive `yaml:"wal_archive"`
}

// BackupSchedule is one entry of backup.schedules.
type BackupSchedule struct {
	// Name identifies the schedule in routes, metrics and the state file:
	// 1 to 64 of A-Z a-z 0-9 _ -, unique.
	Name string `yaml:"name"`
	// Collections are the collections snapshotted, or ["*"] for every
	// collection there is at each run. Empty (or ["*"]) with Full.
	Collections []string `yaml:"collections"`
	// Full makes one full-storage snapshot per run instead of one
	// snapshot per collection.
	Full bool `yaml:"full"`
	// Every is the interval between runs (a Go duration such as "1h" or
	// "90m", at least one minute); exactly one of Every and Cron is set.
	Every string `yaml:"every"`
	// Cron is a five-field cron expression in UTC (see backup/cron).
	Cron string `yaml:"cron"`
	// Target is where the snapshots go: "local" (the snapshots folder,
	// the default) or "s3" (the S3 snapshots storage, which must be
	// configured).
	Target string `yaml:"target"`
	// Keep is the retention policy; at least one of its counts is > 0.
	Keep BackupKeep `yaml:"keep"`
	// Verify checks every snapshot the schedule makes right after making
	// it; a snapshot that fails the check fails the run.
	Verify bool `yaml:"verify"`
}

// BackupKeep is a schedule's retention policy (see docs/backup.md for the
// exact rules): the Last newest snapshots, the newest of each of the Daily
// most recent UTC days, and of each of the Weekly most recent ISO weeks.
type BackupKeep struct {
	// Last keeps the N newest snapshots.
	Last int `yaml:"last"`
	// Daily keeps the newest snapshot of each of the N most recent UTC
	// days that have one.
	Daily int `yaml:"daily"`
	// Weekly keeps the newest snapshot of each of the N most recent ISO
	// weeks that have one.
	Weekly int `yaml:"weekly"`
}

// Backup targets.
const (
	// TargetLocal keeps a schedule's snapshots in storage.snapshots_path.
	TargetLocal = "local"
	// TargetS3 sends them to the S3 snapshots storage.
	TargetS3 = "s3"
)

// MinBackupInterval is the shortest accepted backup.schedules[].every.
const MinBackupInterval = time.Minute

var scheduleName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// TargetOf returns the schedule's target, TargetLocal when unset.
func (s BackupSchedule) TargetOf() string {
	if s.Target == "" {
		return TargetLocal
	}
	return s.Target
}

// validateBackup checks backup.schedules and names the first bad key.
func (c *Config) validateBackup() error {
	seen := map[string]bool{}
	for i, s := range c.Backup.Schedules {
		key := fmt.Sprintf("backup.schedules[%d]", i)
		if err := s.validate(); err != nil {
			return fmt.Errorf("%w: %s.%w", ErrInvalid, key, err)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: %s.name: %q is used by another schedule", ErrInvalid, key, s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

func (s BackupSchedule) validate() error {
	if !scheduleName.MatchString(s.Name) {
		return fmt.Errorf("name: %q must be 1 to 64 letters, digits, '_' or '-'", s.Name)
	}
	star := len(s.Collections) == 1 && s.Collections[0] == "*"
	switch {
	case s.Full && len(s.Collections) > 0 && !star:
		return fmt.Errorf("collections: a full schedule snapshots every collection; leave it empty or [\"*\"]")
	case !s.Full && len(s.Collections) == 0:
		return fmt.Errorf("collections: must list collections, or be [\"*\"] for every one (or set full: true)")
	}
	for _, n := range s.Collections {
		if strings.TrimSpace(n) == "" || (n == "*" && !star) {
			return fmt.Errorf("collections: %q is not a collection name (\"*\" must be alone)", n)
		}
	}
	if (s.Every == "") == (s.Cron == "") {
		return fmt.Errorf("every: set exactly one of every and cron")
	}
	if s.Every != "" {
		d, err := time.ParseDuration(s.Every)
		if err != nil || d < MinBackupInterval {
			return fmt.Errorf("every: %q is not a duration of at least %s (such as 1h or 30m)", s.Every, MinBackupInterval)
		}
	}
	if s.Cron != "" {
		if _, err := cron.Parse(s.Cron); err != nil {
			return fmt.Errorf("cron: %w", err)
		}
	}
	if t := s.TargetOf(); t != TargetLocal && t != TargetS3 {
		return fmt.Errorf("target: %q is not local or s3", s.Target)
	}
	k := s.Keep
	if k.Last < 0 || k.Daily < 0 || k.Weekly < 0 {
		return fmt.Errorf("keep: last, daily and weekly must not be negative")
	}
	if k.Last == 0 && k.Daily == 0 && k.Weekly == 0 {
		return fmt.Errorf("keep: set at least one of last, daily and weekly above 0")
	}
	return nil
}
