// Package backup runs the backup schedules of backup.schedules inside the
// server: on each schedule's timer (every or cron, with a small seeded
// random delay) it makes ordinary snapshots through a Target (the snapshot
// Manager), records them and the run's outcome in a checksummed state file
// under the snapshots folder (docs/format/backup-state.md), retries a
// failed run with a bounded back-off, and after a fully successful run
// deletes only the snapshots it made that the keep policy releases. It
// reports Prometheus metrics, and the schedules whose last success is
// older than twice their interval as issues and collection warnings.
//
// It imports snapshot and engine; server and cmd import it.
package backup
