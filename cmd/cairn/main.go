// Command cairn is the Cairn vector database: `cairn serve` runs the
// Qdrant-compatible HTTP server over the configured storage, `cairn bench`
// runs the search, ingest and snapshot benchmarks, and `cairn restore`
// restores a collection to a moment from its snapshots and WAL archive.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cairn-db/cairn/bench"
)

const usage = `usage: cairn <command> [flags]

commands:
  serve   run the Qdrant-compatible HTTP server  (cairn serve -h lists the flags)
  restore restore a collection to a moment from its snapshots and WAL archive, server stopped
          (cairn restore [--config-path F] --collection NAME --to 2026-12-07T10:00:00Z [--as NEW])
  bench   run the benchmarks: gen, search, ingest, snapshot  (cairn bench lists them)
  snapshot verify PATH | URL   check a snapshot archive without restoring it`

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0] and returns the exit code:
// 0 on success, 2 for a bad command line, 1 for any other failure.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], os.Environ(), stderr)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "snapshot":
		return runSnapshot(ctx, args[1:], os.Environ(), stdout, stderr)
	case "restore":
		err = runRestore(ctx, args[1:], os.Environ(), stdout, stderr)
	default:
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "cairn:", err)
	if errors.Is(err, bench.ErrUsage) || errors.Is(err, errRestoreUsage) {
		return 2
	}
	return 1
}
