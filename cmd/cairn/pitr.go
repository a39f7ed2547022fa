package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/walarchive"
)

// errRestoreUsage reports a bad `cairn restore` command line (exit code 2).
var errRestoreUsage = errors.New("usage: cairn restore [--config-path F] --collection NAME --to RFC3339-TIME [--as NEW]")

// restoreArgs are the parsed flags of `cairn restore`.
type restoreArgs struct {
	configPath, collection, as string
	to                         time.Time
}

func parseRestoreArgs(args []string, out io.Writer) (*restoreArgs, error) {
	a := &restoreArgs{}
	var to string
	fs := flag.NewFlagSet("cairn restore", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&a.configPath, "config-path", "", "YAML configuration file, the server's (default "+config.DefaultPath+" if present)")
	fs.StringVar(&a.collection, "collection", "", "collection to restore (its snapshots and WAL archive are read)")
	fs.StringVar(&to, "to", "", "moment to restore to, RFC 3339 (2026-12-07T10:00:00Z): every write at or before it")
	fs.StringVar(&a.as, "as", "", "collection to create or replace (default: --collection, replaced)")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %w", errRestoreUsage, err)
	}
	if fs.NArg() != 0 || a.collection == "" || to == "" {
		return nil, errRestoreUsage
	}
	t, err := time.Parse(time.RFC3339Nano, to)
	if err != nil {
		return nil, fmt.Errorf("%w: --to %q is not an RFC 3339 time", errRestoreUsage, to)
	}
	a.to = t
	return a, nil
}

// runRestore is `cairn restore`: point-in-time recovery, with the server
// stopped, from the configuration's snapshot store (the snapshots folder,
// or the bucket with snapshots_storage: s3: the newest collection snapshot
// or full snapshot holding the collection cut before the moment) and WAL
// archive.
func runRestore(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	a, err := parseRestoreArgs(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.Options{Path: a.configPath, Environ: environ})
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	remote, err := configuredS3Store(cfg) // nil with snapshots_storage: local
	if err != nil {
		return err
	}
	store, err := walArchiveStore(cfg, remote)
	if err != nil {
		return err
	}
	if store == nil {
		return fmt.Errorf("restore %s: backup.wal_archive.target is not set: there is no WAL archive to replay", a.collection)
	}
	if err := cleanSnapshotLeftovers(cfg); err != nil {
		return err
	}
	opts := engineOptions(cfg, log)
	opts.DisableBackground = true
	st, err := engine.Open(opts)
	if err != nil {
		return fmt.Errorf("open storage %s: %w", cfg.Storage.StoragePath, err)
	}
	m := newSnapshotManager(cfg, st, log)
	m.Remote = remote
	res, err := walarchive.RestoreToMoment(ctx, walarchive.RestoreOptions{Storage: st, Archive: store, Snapshots: m,
		SnapshotsPath: cfg.Storage.SnapshotsPath, TempPath: cfg.Storage.TempPath, MaxBytes: cfg.MaxSnapshotBytes(),
		Source: a.collection, As: a.as, To: a.to, Logger: log})
	if cerr := st.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close storage: %w", cerr))
	}
	if err != nil {
		return fmt.Errorf("restore %s to %s: %w", a.collection, a.to.Format(time.RFC3339Nano), err)
	}
	as := a.as
	if as == "" {
		as = a.collection
	}
	last := "none"
	if !res.LastTime.IsZero() {
		last = res.LastTime.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(stdout, "restored %s as %s to %s: %d archived records replayed, last record at %s, shards end at lsn %v\n",
		a.collection, as, a.to.Format(time.RFC3339Nano), res.Applied, last, res.LastLSN)
	return nil
}
