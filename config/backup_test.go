package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const backupYAML = `
backup:
  schedules:
    - name: hourly
      collections: ["*"]
      every: 1h
      target: local
      keep: {last: 24, daily: 7, weekly: 4}
    - name: nightly
      full: true
      cron: "30 2 * * *"
      keep: {daily: 7}
      verify: true
`

func loadYAML(t *testing.T, yml string, env ...string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(Options{Path: p, Environ: env})
}

func TestBackupSchedulesFromFile(t *testing.T) {
	c, err := loadYAML(t, backupYAML)
	if err != nil {
		t.Fatal(err)
	}
	want := []BackupSchedule{
		{Name: "hourly", Collections: []string{"*"}, Every: "1h", Target: "local", Keep: BackupKeep{24, 7, 4}},
		{Name: "nightly", Full: true, Cron: "30 2 * * *", Keep: BackupKeep{Daily: 7}, Verify: true},
	}
	if !reflect.DeepEqual(c.Backup.Schedules, want) {
		t.Fatalf("schedules %+v", c.Backup.Schedules)
	}
	if c.Backup.Schedules[1].TargetOf() != TargetLocal {
		t.Fatal("default target")
	}
}

func TestBackupSchedulesFromEnvironment(t *testing.T) {
	c, err := loadYAML(t, backupYAML,
		"QDRANT__BACKUP__SCHEDULES__0__EVERY=2h",
		"CAIRN__BACKUP__SCHEDULES__0__KEEP__LAST=3",
		"CAIRN__BACKUP__SCHEDULES__0__COLLECTIONS=a, b",
		"CAIRN__BACKUP__SCHEDULES__2__KEEP__WEEKLY=1", // any order: entry 2 is grown first
		"CAIRN__BACKUP__SCHEDULES__2__NAME=weekly",
		"CAIRN__BACKUP__SCHEDULES__2__FULL=true",
		"CAIRN__BACKUP__SCHEDULES__2__CRON=@weekly",
		"CAIRN__BACKUP__SCHEDULES__2__TARGET=s3")
	if err != nil {
		t.Fatal(err)
	}
	s := c.Backup.Schedules
	if len(s) != 3 || s[0].Every != "2h" || s[0].Keep.Last != 3 || !reflect.DeepEqual(s[0].Collections, []string{"a", "b"}) ||
		s[2].Name != "weekly" || s[2].Cron != "@weekly" || s[2].Target != "s3" || s[2].Keep.Weekly != 1 || !s[2].Full {
		t.Fatalf("schedules %+v", s)
	}
	c, err = loadYAML(t, "", `CAIRN__BACKUP__SCHEDULES=[{name: a, collections: [x], every: 30m, keep: {last: 2}}]`)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backup.Schedules) != 1 || c.Backup.Schedules[0].Every != "30m" || c.Backup.Schedules[0].Collections[0] != "x" {
		t.Fatalf("whole list %+v", c.Backup.Schedules)
	}
	for _, env := range []string{
		"CAIRN__BACKUP__SCHEDULES=[{name: a, nope: 1}]",
		"CAIRN__BACKUP__SCHEDULES__x__NAME=a",
		"CAIRN__BACKUP__SCHEDULES__5000__NAME=a",
		"CAIRN__BACKUP__SCHEDULES__0__KEEP__LAST=many",
	} {
		if _, err := loadYAML(t, "", env); !errors.Is(err, ErrBadValue) && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s: %v", env, err)
		}
	}
	// An entry the environment starts but does not finish is refused.
	if _, err := loadYAML(t, "", "CAIRN__BACKUP__SCHEDULES__1__NAME=a"); !errors.Is(err, ErrInvalid) {
		t.Errorf("gap: %v", err)
	}
}

func TestBackupSchedulesValidated(t *testing.T) {
	base := "backup:\n  schedules:\n    - {name: a, collections: [\"*\"], every: 1h, keep: {last: 1}}\n"
	cases := []struct{ entry, want string }{
		{`{name: "", collections: ["*"], every: 1h, keep: {last: 1}}`, "schedules[1].name"},
		{`{name: "a b", collections: ["*"], every: 1h, keep: {last: 1}}`, "schedules[1].name"},
		{`{name: a, collections: ["*"], every: 1h, keep: {last: 1}}`, "used by another schedule"},
		{`{name: b, collections: ["*"], keep: {last: 1}}`, "exactly one of every and cron"},
		{`{name: b, collections: ["*"], every: 1h, cron: "0 * * * *", keep: {last: 1}}`, "exactly one of every and cron"},
		{`{name: b, collections: ["*"], every: 10s, keep: {last: 1}}`, "every"},
		{`{name: b, collections: ["*"], every: soon, keep: {last: 1}}`, "every"},
		{`{name: b, collections: ["*"], cron: "61 * * * *", keep: {last: 1}}`, "cron"},
		{`{name: b, collections: ["*"], every: 1h, keep: {last: -1}}`, "must not be negative"},
		{`{name: b, collections: ["*"], every: 1h, keep: {}}`, "at least one"},
		{`{name: b, collections: ["*"], every: 1h, target: ftp, keep: {last: 1}}`, "target"},
		{`{name: b, every: 1h, keep: {last: 1}}`, "collections"},
		{`{name: b, full: true, collections: [x], every: 1h, keep: {last: 1}}`, "collections"},
		{`{name: b, collections: ["*", x], every: 1h, keep: {last: 1}}`, "collections"},
	}
	for _, c := range cases {
		_, err := loadYAML(t, base+"    - "+c.entry+"\n")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.entry, err, c.want)
		}
	}
}
