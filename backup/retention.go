package backup

import "sort"

// Retain splits one series of a schedule's snapshots (one collection's,
// or the full snapshots) into those the policy keeps and those it
// releases. Going from the newest to the oldest (by creation time, ties by
// name), a snapshot is kept when any of these holds:
//   - it is among the k.Last newest;
//   - it is the newest of its UTC calendar day and fewer than k.Daily
//     days have had their newest kept so far by this rule;
//   - it is the newest of its ISO 8601 week (UTC) and fewer than k.Weekly
//     weeks have had their newest kept so far by this rule;
//   - it is the newest of all (never released, whatever the policy).
//
// A snapshot whose verification failed (Bad) is released and not counted.
//
// Days and weeks without a snapshot are not counted: "daily: 7" keeps the
// newest of each of the seven most recent days that have one.
func Retain(k Keep, snaps []heldSnapshot) (keep, release []heldSnapshot) {
	s := append([]heldSnapshot(nil), snaps...)
	sort.SliceStable(s, func(i, j int) bool {
		if !s[i].Created.Equal(s[j].Created) {
			return s[i].Created.After(s[j].Created)
		}
		return s[i].Name > s[j].Name
	})
	good := s[:0:0]
	for _, h := range s {
		if h.Bad {
			release = append(release, h)
			continue
		}
		good = append(good, h)
	}
	days := map[[3]int]bool{}
	weeks := map[[2]int]bool{}
	for i, h := range good {
		t := h.Created.UTC()
		day := [3]int{t.Year(), int(t.Month()), t.Day()}
		y, w := t.ISOWeek()
		week := [2]int{y, w}
		kept := i == 0 || i < k.Last
		if !days[day] && len(days) < k.Daily {
			days[day], kept = true, true
		}
		if !weeks[week] && len(weeks) < k.Weekly {
			weeks[week], kept = true, true
		}
		if kept {
			keep = append(keep, h)
		} else {
			release = append(release, h)
		}
	}
	return keep, release
}

// seriesOf groups snapshots by collection.
func seriesOf(snaps []heldSnapshot) map[string][]heldSnapshot {
	out := map[string][]heldSnapshot{}
	for _, h := range snaps {
		out[h.Collection] = append(out[h.Collection], h)
	}
	return out
}
