package backup

import (
	"fmt"
	"time"

	"github.com/cairn-db/cairn/backup/cron"
	"github.com/cairn-db/cairn/config"
)

// FullSeries is the collection label of a full schedule's snapshots (in
// metrics and the state file): a full snapshot covers every collection.
const FullSeries = "*"

// Schedule is one parsed entry of backup.schedules.
type Schedule struct {
	// Name identifies the schedule.
	Name string
	// Collections are the collections snapshotted; nil means every one.
	Collections []string
	// Full makes one full snapshot per run.
	Full bool
	// Every is the interval, or 0 when Cron is used.
	Every time.Duration
	// Cron is the parsed cron expression when Every is 0.
	Cron cron.Schedule
	// Spec is the every or cron text, for listings.
	Spec string
	// Target names the Target the snapshots go to (config.TargetLocal or
	// config.TargetS3).
	Target string
	// Keep is the retention policy.
	Keep Keep
	// Verify checks each snapshot after it is made.
	Verify bool
}

// Keep is a retention policy; see Retain.
type Keep struct {
	// Last keeps the N newest.
	Last int `json:"last"`
	// Daily keeps the newest of each of the N most recent UTC days.
	Daily int `json:"daily"`
	// Weekly keeps the newest of each of the N most recent ISO weeks.
	Weekly int `json:"weekly"`
}

// FromConfig parses the configured schedules (config.Validate has checked
// them; FromConfig checks again so that it never trusts its input).
func FromConfig(cs []config.BackupSchedule) ([]Schedule, error) {
	out := make([]Schedule, 0, len(cs))
	if err := backupOnly(cs); err != nil {
		return nil, err
	}
	for _, s := range cs {
		sc := Schedule{Name: s.Name, Full: s.Full, Target: s.TargetOf(), Verify: s.Verify,
			Keep: Keep{Last: s.Keep.Last, Daily: s.Keep.Daily, Weekly: s.Keep.Weekly}}
		if !(len(s.Collections) == 1 && s.Collections[0] == "*") && !s.Full {
			sc.Collections = append([]string(nil), s.Collections...)
		}
		if s.Every != "" {
			d, err := time.ParseDuration(s.Every)
			if err != nil {
				return nil, fmt.Errorf("parse schedule %s: %w", s.Name, err)
			}
			sc.Every, sc.Spec = d, "every "+s.Every
		} else {
			cr, err := cron.Parse(s.Cron)
			if err != nil {
				return nil, fmt.Errorf("parse schedule %s: %w", s.Name, err)
			}
			sc.Cron, sc.Spec = cr, "cron "+s.Cron
		}
		out = append(out, sc)
	}
	return out, nil
}

// backupOnly validates cs within an otherwise default configuration.
func backupOnly(cs []config.BackupSchedule) error {
	c := config.Default()
	c.Storage.TempPath = "tmp"
	c.Backup.Schedules = cs
	return c.Validate()
}

// periods returns how many whole periods of d nanoseconds lie between the
// Unix epoch and t, rounded toward minus infinity.
func periods(t time.Time, d int64) int64 {
	n := t.UTC().UnixNano()
	k := n / d
	if n < 0 && n%d != 0 {
		k--
	}
	return k
}

// next returns the first scheduled time strictly after t: the next
// multiple of Every since the Unix epoch, or the cron expression's next
// minute.
func (s *Schedule) next(t time.Time) time.Time {
	if s.Every > 0 {
		d := int64(s.Every)
		return time.Unix(0, (periods(t, d)+1)*d).UTC()
	}
	return s.Cron.Next(t)
}

// slotAt returns the latest scheduled time at or before t.
func (s *Schedule) slotAt(t time.Time) time.Time {
	if s.Every > 0 {
		d := int64(s.Every)
		return time.Unix(0, periods(t, d)*d).UTC()
	}
	// The cron slot at or before t: search back a growing window.
	for back := time.Hour; back <= 10*366*24*time.Hour; back *= 4 {
		from := t.Add(-back)
		var last time.Time
		for x := s.Cron.Next(from.Add(-time.Minute)); !x.IsZero() && !x.After(t); x = s.Cron.Next(x) {
			last = x
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}

// staleAfter returns when a schedule whose last success (or, never
// succeeded, whose first sighting) was at t becomes stale: t plus twice
// Every, or the cron expression's second firing after t.
func (s *Schedule) staleAfter(t time.Time) time.Time {
	if s.Every > 0 {
		return t.Add(2 * s.Every)
	}
	return s.Cron.Next(s.Cron.Next(t))
}

// covers reports whether the schedule's snapshots hold collection c.
func (s *Schedule) covers(c string) bool {
	if s.Full || s.Collections == nil {
		return true
	}
	for _, n := range s.Collections {
		if n == c {
			return true
		}
	}
	return false
}
