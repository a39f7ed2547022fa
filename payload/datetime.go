package payload

import (
	"fmt"
	"strings"
	"time"
)

// datetimeLayouts are the spellings Qdrant accepts: RFC 3339 and the
// looser forms without a zone ("2014-01-01T00:00:00", "2014-01-01
// 00:00:00", "2014-01-01"); a missing zone means UTC.
var datetimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseDatetime reads a datetime as Qdrant does (RFC 3339 and the looser
// spellings above), in UTC.
func ParseDatetime(s string) (time.Time, error) {
	for _, l := range datetimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if strings.HasSuffix(s, "z") {
		return ParseDatetime(s[:len(s)-1] + "Z")
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 datetime", s)
}

// datetimeMicros reads a stored datetime string as microseconds since the
// Unix epoch, the precision Qdrant compares at.
func datetimeMicros(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	t, err := ParseDatetime(s)
	if err != nil {
		return 0, false
	}
	return t.UnixMicro(), true
}
