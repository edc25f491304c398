// Package logging builds the services' loggers from LOG_FORMAT and LOG_LEVEL.
package logging

import (
	"io"
	"log/slog"
)

// New logs to w as text, or as JSON when format is "json", at level (debug,
// info, warn or error; info when empty or unknown).
func New(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil || level == "" {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
