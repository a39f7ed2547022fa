package bench

import "errors"

// ErrUsage reports a bad command line: an unknown subcommand, a missing or
// malformed flag.
var ErrUsage = errors.New("bad usage")

// ErrMismatch reports data files that do not agree with each other, such as
// queries whose dimension differs from the base vectors'.
var ErrMismatch = errors.New("data files disagree")
