// Package cron parses the five-field cron expressions of backup schedules
// (backup.schedules[].cron) and finds their next firing time, in UTC.
//
// Syntax: "minute hour day-of-month month day-of-week", each field "*", a
// number, a range "a-b", a step "*/n" or "a-b/n" or "a/n", or a comma
// list of those. Months may be named JAN-DEC and weekdays SUN-SAT (any
// case); weekday 7 is Sunday as 0 is. When both day-of-month and
// day-of-week are restricted (neither starts with "*"), a day matches if
// either matches, as in Vixie cron. The macros @yearly (@annually),
// @monthly, @weekly, @daily (@midnight) and @hourly are accepted.
package cron

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("bad cron expression")

// Schedule is a parsed expression. The zero value matches nothing.
type Schedule struct {
	minute, hour, dom, month, dow uint64 // bit i set: value i matches
	domStar, dowStar              bool
}

var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

type bounds struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var fieldBounds = []bounds{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, monthNames},
	{"day of week", 0, 7, dayNames},
}

// Parse reads a five-field expression or a macro. An expression that can
// never fire (such as "0 0 30 2 *") is refused.
func Parse(expr string) (Schedule, error) {
	s := strings.TrimSpace(expr)
	if m, ok := macros[strings.ToLower(s)]; ok {
		s = m
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return Schedule{}, fmt.Errorf("%w %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", ErrSyntax, expr, len(fields))
	}
	var bits [5]uint64
	for i, f := range fields {
		b, err := parseField(f, fieldBounds[i])
		if err != nil {
			return Schedule{}, fmt.Errorf("%w %q: %s", ErrSyntax, expr, err)
		}
		bits[i] = b
	}
	if bits[4]&(1<<7) != 0 {
		bits[4] = bits[4]&^(1<<7) | 1 // 7 is Sunday too
	}
	sc := Schedule{minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4],
		domStar: strings.HasPrefix(fields[2], "*"), dowStar: strings.HasPrefix(fields[4], "*")}
	if sc.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, fmt.Errorf("%w %q: it never fires", ErrSyntax, expr)
	}
	return sc, nil
}

func parseField(f string, b bounds) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(f, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 || n > b.max {
				return 0, fmt.Errorf("%s: bad step %q", b.name, stepStr)
			}
			step = n
		}
		lo, hi := b.min, b.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, z, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, b); err != nil {
				return 0, err
			}
			if hi, err = value(z, b); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("%s: range %q runs backwards", b.name, rng)
			}
		default:
			v, err := value(rng, b)
			if err != nil {
				return 0, err
			}
			lo, hi = v, v
			if hasStep {
				hi = b.max // "a/n": from a to the end
			}
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func value(s string, b bounds) (int, error) {
	for i, n := range b.names {
		if strings.EqualFold(s, n) {
			return b.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < b.min || v > b.max {
		return 0, fmt.Errorf("%s: %q is not between %d and %d", b.name, s, b.min, b.max)
	}
	return v, nil
}

// maxSearch bounds Next: every valid expression fires within this span
// (29 February fires at least once in 8 years).
const maxSearch = 9 * 366 * 24 * time.Hour

// Next returns the first firing time strictly after t (in UTC, to the
// minute), or the zero time when there is none within nine years.
func (s Schedule) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	end := t.Add(maxSearch)
	for t.Before(end) {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (s Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if !s.domStar && !s.dowStar {
		return dom || dow
	}
	return dom && dow
}
