package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/engine"
)

// backupRoutes registers the backup schedule routes: listing needs read
// access, running one the full key.
func (s *Server) backupRoutes() {
	s.add(http.MethodGet, "/backup/schedules", accessRead, s.listBackupSchedules)
	s.add(http.MethodPost, "/backup/schedules/:name/run", accessWrite, s.runBackupSchedule)
}

// backupSchedules is the answer to GET /backup/schedules.
type backupSchedules struct {
	Schedules []backup.ScheduleInfo `json:"schedules"`
}

// listBackupSchedules answers GET /backup/schedules: every configured
// schedule with its last run, next run and outcome (none configured: an
// empty list).
func (s *Server) listBackupSchedules(c echo.Context) error {
	out := backupSchedules{Schedules: []backup.ScheduleInfo{}}
	if s.backup != nil {
		out.Schedules = s.backup.List()
	}
	return ok(c, out)
}

// runBackupSchedule answers POST /backup/schedules/{name}/run: runs the
// schedule now. wait (default true) answers with the run's result; false
// answers 202 once the run is accepted.
func (s *Server) runBackupSchedule(c echo.Context) error {
	wait, err := snapshotWait(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	if s.backup == nil {
		return backup.UnknownSchedule(name)
	}
	res, err := s.backup.RunNow(c.Request().Context(), name, wait)
	if err != nil {
		return err
	}
	if !wait {
		return accepted(c)
	}
	return ok(c, res)
}

// backupIssues returns the issues of the backup schedules (none without).
func (s *Server) backupIssues() []engine.Issue {
	if s.backup == nil {
		return nil
	}
	return s.backup.Issues()
}

// backupWarnings returns the collection warnings of the backup schedules.
func (s *Server) backupWarnings(st *engine.Storage, name string) []engine.CollectionWarning {
	if s.backup == nil {
		return nil
	}
	if col, err := st.Collection(name); err == nil {
		name = col.Name() // an alias: the collection it points at
	}
	return s.backup.Warnings(name)
}
