package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/snapshot"
)

// serveArgs are the parsed flags of `cairn serve`.
type serveArgs struct {
	configPath    string
	host          string
	httpPort      int
	grpcPort      int
	storagePath   string
	snapshotsPath string
	// snapshots are the --snapshot PATH:NAME restores, in order.
	snapshots []snapshotFlag
	// storageSnapshot is --storage-snapshot: a full snapshot to restore.
	storageSnapshot string
	// forceSnapshot (--force-snapshot or --force_snapshot) lets a start-up
	// restore replace an existing collection.
	forceSnapshot bool
	// set records which flags were given, so only those override the
	// configuration file and the environment.
	set map[string]bool
}

// startHook lets a feature add flags to `cairn serve` and run once the
// configuration is loaded, before the storage opens. (The snapshot
// restores need the open storage, so --snapshot, --storage-snapshot and
// --force-snapshot are serve's own flags, run by restoreAtStartup.)
type startHook struct {
	// register adds the hook's flags.
	register func(fs *flag.FlagSet)
	// run acts on the parsed flags; an error stops start-up.
	run func(ctx context.Context, cfg *config.Config, log *slog.Logger) error
}

// startHooks are run in order by serve.
var startHooks []startHook

// parseServeArgs parses the flags of `cairn serve`.
func parseServeArgs(args []string, out io.Writer) (*serveArgs, error) {
	a := &serveArgs{set: map[string]bool{}}
	fs := flag.NewFlagSet("cairn serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&a.configPath, "config-path", "", "YAML configuration file (default "+config.DefaultPath+" if present)")
	fs.StringVar(&a.host, "host", "", "address to bind (service.host)")
	fs.IntVar(&a.httpPort, "http-port", 0, "HTTP port (service.http_port)")
	fs.IntVar(&a.grpcPort, "grpc-port", 0, "gRPC port, 0 to disable gRPC (service.grpc_port)")
	fs.StringVar(&a.storagePath, "storage-path", "", "storage folder (storage.storage_path)")
	fs.StringVar(&a.snapshotsPath, "snapshots-path", "", "snapshots folder (storage.snapshots_path)")
	fs.Func("snapshot", "restore a collection snapshot before serving: `PATH:NAME`, PATH a file or s3://BUCKET/KEY of the configured S3 store (repeatable; split on the last ':')", func(v string) error {
		path, name, err := snapshot.ParseSnapshotFlag(v)
		if err != nil {
			return err
		}
		a.snapshots = append(a.snapshots, snapshotFlag{path: path, name: name})
		return nil
	})
	fs.StringVar(&a.storageSnapshot, "storage-snapshot", "", "restore a full snapshot (every collection and alias) before serving: a file or s3://BUCKET/KEY of the configured S3 store")
	fs.BoolVar(&a.forceSnapshot, "force-snapshot", false, "let --snapshot and --storage-snapshot replace existing collections")
	fs.BoolVar(&a.forceSnapshot, "force_snapshot", false, "same as --force-snapshot")
	for _, h := range startHooks {
		if h.register != nil {
			h.register(fs)
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{"unexpected argument " + fs.Arg(0)}
	}
	fs.Visit(func(f *flag.Flag) { a.set[f.Name] = true })
	return a, nil
}

// override applies the flags that were given to c.
func (a *serveArgs) override(c *config.Config) {
	if a.set["host"] {
		c.Service.Host = a.host
	}
	if a.set["http-port"] {
		c.Service.HTTPPort = a.httpPort
	}
	if a.set["grpc-port"] {
		c.Service.GRPCPort = a.grpcPort
	}
	if a.set["storage-path"] {
		c.Storage.StoragePath = a.storagePath
	}
	if a.set["snapshots-path"] {
		c.Storage.SnapshotsPath = a.snapshotsPath
	}
}

// snapshotFlag is one --snapshot PATH:NAME.
type snapshotFlag struct {
	path, name string
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
