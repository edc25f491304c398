// Package cli is the dpskmigrate command line: plan, store, start, watch,
// status and cancel a migration of Cloudpath DPSK exports into RUCKUS One.
// cmd/dpskmigrate only wires it to the process; everything here takes its
// streams, environment and Temporal dialer as values so tests can drive it.
//
// It must never print a passphrase: it only prints plans, counts, usernames,
// reasons and R1 or Temporal identifiers.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/worker"
)

// Exit codes.
const (
	ExitOK      = 0 // completed (and plan, store, cancel succeeded)
	ExitFailed  = 1 // failed, cancelled, or any error
	ExitPartial = 2 // some rows or pools were not migrated; plan --check-r1: R1 shows a problem that would make the migration refuse a network or a venue
)

// App runs one dpskmigrate command.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// TTY says Stdout is a terminal: watch redraws a progress bar instead of
	// printing plain lines.
	TTY bool
	// Dial connects to Temporal; default worker.Dial (TEMPORAL_* settings).
	Dial func(*slog.Logger) (client.Client, error)
	Now  func() time.Time
	// PollInterval is watch's refresh period; default 1s.
	PollInterval time.Duration
	// PlainEvery is how often watch prints a plain line when only passphrase
	// counts moved; default 5s.
	PlainEvery time.Duration
}

// FromOS returns an App on the process's streams and environment.
func FromOS() *App {
	tty := false
	if fi, err := os.Stdout.Stat(); err == nil {
		tty = fi.Mode()&os.ModeCharDevice != 0
	}
	return &App{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, TTY: tty}
}

func (a *App) defaults() {
	if a.Stdin == nil {
		a.Stdin = strings.NewReader("")
	}
	if a.Stdout == nil {
		a.Stdout = io.Discard
	}
	if a.Stderr == nil {
		a.Stderr = io.Discard
	}
	if a.Getenv == nil {
		a.Getenv = func(string) string { return "" }
	}
	if a.Dial == nil {
		a.Dial = worker.Dial
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.PollInterval <= 0 {
		a.PollInterval = time.Second
	}
	if a.PlainEvery <= 0 {
		a.PlainEvery = 5 * time.Second
	}
}

// usageError is a command line mistake: the command's usage follows the message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Run runs the command in args (without the program name) and returns the
// process exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	a.defaults()
	if len(args) == 0 {
		a.usage(a.Stderr)
		return ExitFailed
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if cmd := lookup(rest[0]); cmd != nil {
				a.commandUsage(a.Stdout, cmd)
				return ExitOK
			}
		}
		a.usage(a.Stdout)
		return ExitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(a.Stderr, "dpskmigrate: unknown command %q\n\n", name)
		a.usage(a.Stderr)
		return ExitFailed
	}
	fs := newFlagSet(cmd.name)
	run := cmd.bind(fs)
	pos, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		a.commandUsage(a.Stdout, cmd)
		return ExitOK
	}
	if err == nil && len(pos) != len(cmd.args) && (!cmd.argsOptional || len(pos) > 0) {
		err = usagef("%s takes %s, got %d argument(s)", cmd.name, argList(cmd.args), len(pos))
		if len(cmd.args) == 0 {
			err = usagef("%s takes no argument, got %q", cmd.name, strings.Join(pos, " "))
		}
	}
	if err == nil {
		var code int
		code, err = run(ctx, a, pos)
		if err == nil {
			return code
		}
	}
	fmt.Fprintf(a.Stderr, "dpskmigrate %s: %s\n", cmd.name, err)
	var ue *usageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintln(a.Stderr)
		a.commandUsage(a.Stderr, cmd)
	}
	return ExitFailed
}

// flagError marks errors from flag parsing (which flag prints nothing for: we
// set its output to discard and report them ourselves).
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseInterleaved parses flags placed before, between and after positional
// arguments: Go's flag package stops at the first non-flag, so parse, take
// one positional, and parse the rest. Everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func argList(args []string) string {
	if len(args) == 0 {
		return "no argument"
	}
	return strings.Join(args, " ")
}

// service dials Temporal and opens the export store.
// connect loads the settings and dials Temporal: what every command about a
// migration starts with. Call the returned func when done.
func (a *App) connect() (Settings, *migrations.Service, func(), error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return Settings{}, nil, nil, err
	}
	svc, closeSvc, err := a.service(s)
	return s, svc, closeSvc, err
}

func (a *App) service(s Settings) (*migrations.Service, func(), error) {
	logger := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := a.Dial(logger)
	if err != nil {
		return nil, nil, err
	}
	store, err := exportstore.New(s.ExportDir)
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("%w (set DPSKMIGRATE_EXPORT_DIR to a writable directory the workers also read)", err)
	}
	svc := &migrations.Service{Temporal: c, Store: store, TaskQueue: s.TaskQueue, Namespace: s.Namespace, UIBaseURL: s.UIBaseURL}
	// Inputs and memos read from histories are decoded as the client decodes results.
	if ring, err := payloadcrypt.FromEnv(a.Getenv); err == nil {
		svc.DataConverter = payloadcrypt.DataConverter(converter.GetDefaultDataConverter(), ring)
	}
	return svc, c.Close, nil
}

// notFound explains an unknown migration ID.
func notFound(id string, s Settings) error {
	return fmt.Errorf("no migration with ID %q in Temporal namespace %q: check the ID (it is printed by `dpskmigrate start`; `temporal workflow list --query 'WorkflowType=\"MigrationWorkflow\"'` lists them) and TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE", id, s.Namespace)
}
