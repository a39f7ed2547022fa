package cron

import (
	"errors"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	cases := []struct{ expr, from, want string }{
		{"0 * * * *", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z"},
		{"0 * * * *", "2026-12-07T10:59:59Z", "2026-12-07T11:00:00Z"},
		{"*/15 * * * *", "2026-12-07T10:16:00Z", "2026-12-07T10:30:00Z"},
		{"30 2 * * *", "2026-12-07T03:00:00Z", "2026-12-08T02:30:00Z"},
		{"0 0 1 * *", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"0 0 * * 0", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z"}, // 7 Dec 2026 is a Monday
		{"0 0 * * 7", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z"},
		{"0 0 * * mon-fri", "2026-12-11T12:00:00Z", "2026-12-14T00:00:00Z"},
		{"0 0 29 feb *", "2026-12-07T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"0 0 13 * fri", "2026-12-07T00:00:00Z", "2026-12-11T00:00:00Z"}, // either day field
		{"5-10/5 1,3 * JAN-mar *", "2026-12-07T00:00:00Z", "2027-01-01T01:05:00Z"},
		{"@daily", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z"},
		{"@hourly", "2026-12-07T00:30:00Z", "2026-12-07T01:00:00Z"},
		{"10/20 * * * *", "2026-12-07T00:31:00Z", "2026-12-07T00:50:00Z"},
	}
	for _, c := range cases {
		s, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := s.Next(at(c.from)); !got.Equal(at(c.want)) {
			t.Errorf("%s after %s: %s, want %s", c.expr, c.from, got.Format(time.RFC3339), c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, expr := range []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *",
		"* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *", "0 0 30 2 *", "1,,2 * * * *", "@every"} {
		if _, err := Parse(expr); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: %v, want ErrSyntax", expr, err)
		}
	}
}
