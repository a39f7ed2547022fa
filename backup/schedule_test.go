package backup

import (
	"errors"
	"testing"
	"time"

	"github.com/cairn-db/cairn/config"
)

func TestSlots(t *testing.T) {
	scs, err := FromConfig([]config.BackupSchedule{
		{Name: "e", Collections: []string{"*"}, Every: "90m", Keep: config.BackupKeep{Last: 1}},
		{Name: "c", Full: true, Cron: "0 3 * * *", Keep: config.BackupKeep{Daily: 1}, Target: "local"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, c := scs[0], scs[1]
	if e.Collections != nil || !c.Full || c.Target != "local" || e.Target != "local" {
		t.Fatalf("parsed %+v %+v", e, c)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // multiples of 90m since the epoch: ..., 09:00, 10:30, ...
	for _, x := range []struct {
		got, want time.Time
	}{
		{e.slotAt(at), at.Add(-time.Hour)},
		{e.next(at), at.Add(30 * time.Minute)},
		{e.next(at.Add(-time.Hour)), at.Add(30 * time.Minute)},
		{e.slotAt(at.Add(-time.Hour)), at.Add(-time.Hour)},
		{e.staleAfter(at), at.Add(3 * time.Hour)},
		{c.slotAt(at), time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)},
		{c.slotAt(time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)), time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)},
		{c.next(at), time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)},
		{c.staleAfter(at), time.Date(2026, 12, 9, 3, 0, 0, 0, time.UTC)},
	} {
		if !x.got.Equal(x.want) {
			t.Errorf("got %v, want %v", x.got, x.want)
		}
	}
	if !c.covers("anything") || !e.covers("x") {
		t.Error("covers")
	}
	if _, err := FromConfig([]config.BackupSchedule{{Name: "x"}}); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("invalid accepted: %v", err)
	}
}
