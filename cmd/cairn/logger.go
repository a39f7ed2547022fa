package main

import (
	"io"
	"log/slog"
	"strings"

	"github.com/cairn-db/cairn/config"
)

// levelTrace is slog's level for Qdrant's TRACE.
const levelTrace = slog.LevelDebug - 4

// newLogger returns the logger the configuration asks for.
func newLogger(c *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: parseLevel(c.LogLevel)}
	if c.Logger.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseLevel maps log_level (already validated) to a slog level.
func parseLevel(s string) slog.Level {
	switch strings.ToUpper(s) {
	case "TRACE":
		return levelTrace
	case "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	}
	return slog.LevelInfo
}
