package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/snapshot"
)

const snapshotUsage = `usage: cairn snapshot verify [--config-path F] [--json] PATH | file://PATH | http(s)://URL | s3://BUCKET/KEY

Reads the snapshot archive once and checks it without restoring it: its
SHA-256 against its .checksum file (PATH.checksum) when there is one, every
file against the manifest, and the engine's checks of a restore on the files
spilled to storage.temp_path. An s3:// location is a snapshot of the
configured snapshots_storage: s3 bucket (KEY: {prefix}/snapshots/…, as
listed by the recover routes), its archive streamed from its objects. Prints the report; exits
0 when every check passes, 1 when one fails, 2 for a bad command line.`

// runSnapshot runs `cairn snapshot …` and returns the exit code.
func runSnapshot(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, snapshotUsage)
		return 2
	}
	fs := flag.NewFlagSet("cairn snapshot verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, snapshotUsage) }
	configPath := fs.String("config-path", "", "YAML configuration file (default "+config.DefaultPath+" if present)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, snapshotUsage)
		return 2
	}
	cfg, err := config.Load(config.Options{Path: *configPath, Environ: environ})
	if err != nil {
		fmt.Fprintln(stderr, "cairn:", err)
		return 2
	}
	rep, err := verifyLocation(ctx, cfg, fs.Arg(0))
	var uerr *usageError
	switch {
	case errors.As(err, &uerr):
		fmt.Fprintln(stderr, "cairn:", err)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "cairn: snapshot verify:", err)
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printReport(stdout, fs.Arg(0), rep)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// verifyLocation verifies the archive a command-line location names.
func verifyLocation(ctx context.Context, cfg *config.Config, loc string) (snapshot.Report, error) {
	m := &snapshot.Manager{
		StoragePath:   cfg.Storage.StoragePath,
		SnapshotsPath: cfg.Storage.SnapshotsPath,
		TempPath:      cfg.Storage.TempPath,
		MaxBytes:      cfg.MaxSnapshotBytes(),
		Logger:        newLogger(cfg, io.Discard),
	}
	scheme, rest, hasScheme := strings.Cut(loc, "://")
	if !hasScheme {
		return m.VerifyFile(ctx, loc, "")
	}
	switch strings.ToLower(scheme) {
	case "file":
		u, err := url.Parse(loc)
		if err != nil || u.Host != "" && u.Host != "localhost" || u.Path == "" {
			return snapshot.Report{}, &usageError{fmt.Sprintf("%q is not a file:// URL of a local path", loc)}
		}
		return m.VerifyFile(ctx, u.Path, "")
	case "http", "https":
		return m.VerifyURL(ctx, loc, "")
	case "s3":
		bucket, key, ok := strings.Cut(rest, "/")
		if !ok || bucket == "" || key == "" {
			return snapshot.Report{}, &usageError{fmt.Sprintf("%q is not s3://BUCKET/KEY", loc)}
		}
		store, err := configuredSnapshotStore(cfg, bucket)
		if err != nil {
			return snapshot.Report{}, err
		}
		m.Remote = store
		rep, err := m.VerifyRemoteLocation(ctx, loc)
		if errors.Is(err, snapshot.ErrBadLocation) {
			return rep, &usageError{err.Error()}
		}
		return rep, err
	default:
		return snapshot.Report{}, &usageError{fmt.Sprintf("unsupported location scheme %q: use a path, file://, http(s):// or s3://", scheme)}
	}
}

// printReport writes the report for a person.
func printReport(w io.Writer, loc string, r snapshot.Report) {
	verdict := "OK"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %s\n", loc, verdict)
	if r.Kind != "" {
		what := string(r.Kind) + " snapshot"
		if r.Collection != "" {
			what += " of " + r.Collection
		}
		if r.Shard != nil {
			what += fmt.Sprintf(" shard %d", *r.Shard)
		}
		fmt.Fprintf(w, "  %s, cut at %s\n", what, r.CreatedAt.Format("2006-01-02T15:04:05Z"))
	}
	sum := "not compared (no checksum file)"
	if r.ChecksumChecked {
		sum = "compared with its checksum file"
	}
	fmt.Fprintf(w, "  archive: %d bytes, SHA-256 %s, %s\n", r.ArchiveBytes, r.Checksum, sum)
	fmt.Fprintf(w, "  files: %d (%d bytes), each against the manifest's size and CRC-32C\n", r.Files, r.Bytes)
	if r.EngineChecked {
		fmt.Fprintf(w, "  engine: %d shards, %d segments, %d points, %d graph nodes, %d WAL records\n",
			r.Shards, r.Segments, r.Points, r.GraphNodes, r.WALRecords)
	} else {
		fmt.Fprintln(w, "  engine: not checked (the archive failed first)")
	}
	for _, f := range r.Failures {
		file := f.File
		if file == "" {
			file = "(archive)"
		}
		fmt.Fprintf(w, "  FAILED %s: %s\n", file, f.Reason)
	}
	fmt.Fprintf(w, "  took %.3fs\n", r.DurationSeconds)
}
