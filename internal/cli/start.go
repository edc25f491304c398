package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

type startFlags struct {
	plan                  planFlags
	parallel              bool
	maxConcurrent         int
	passphraseConcurrency int
	maxSSIDsPerAPGroup    int
	workflowID            string
	watch                 bool
	printTemporalCommand  bool
	bulkImport            bool
}

var startCommand = &command{
	name:    "start",
	args:    []string{"FILE"},
	summary: "store the export and start its migration; prints the migration ID and the Temporal UI link",
	details: `The export is validated offline first: a malformed export is refused before
anything is stored or started. The export store (DPSKMIGRATE_EXPORT_DIR) must be
shared with the workers. With --watch it follows the migration and exits with
its code (0 completed, 2 partial, 1 failed).`,
	bind: func(fs *flag.FlagSet) runFunc {
		var sf startFlags
		sf.plan.register(fs)
		fs.BoolVar(&sf.parallel, "parallel", false, "migrate several pools, and several passphrases per pool, at once")
		fs.IntVar(&sf.maxConcurrent, "max-concurrent", 0, fmt.Sprintf("with --parallel: pools migrated at once, `N` from 1 to %d (default %d)", workflows.MaxMaxConcurrent, workflows.DefaultMaxConcurrent))
		maxSSIDsFlag(fs, &sf.maxSSIDsPerAPGroup, "with --network-mode per-pool: refuse an activation that would put more than `N` SSIDs on an AP group of the venue")
		fs.IntVar(&sf.passphraseConcurrency, "passphrase-concurrency", 0, fmt.Sprintf("passphrases in flight per pool, `N` from 1 to %d (default %d with --parallel, else 1)", workflows.MaxPassphraseConcurrency, workflows.DefaultParallelPassphrases))
		fs.StringVar(&sf.workflowID, "workflow-id", "", "migration (workflow) `ID`: 1 to 200 letters, digits, '.', '_', ':' or '-' (default: migration-<first pool>-<digest>-<random>)")
		fs.BoolVar(&sf.bulkImport, "bulk-import", false, "send each new pool's passphrases through R1's CSV import first, then one by one what R1 does not show (unverified against a live tenant)")
		fs.BoolVar(&sf.watch, "watch", false, "follow the migration's progress until it ends")
		fs.BoolVar(&sf.printTemporalCommand, "print-temporal-command", false, "store the export and print the equivalent 'temporal workflow start' command; starts nothing")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.start(ctx, args[0], sf)
		}
	},
}

// maxSSIDsFlag registers --max-ssids-per-ap-group, shared by plan and start.
func maxSSIDsFlag(fs *flag.FlagSet, v *int, usage string) {
	fs.IntVar(v, "max-ssids-per-ap-group", 0, fmt.Sprintf("%s (1 to %d, default %d; R1 does not document its limit)", usage, workflows.MaxMaxSSIDsPerAPGroup, workflows.DefaultMaxSSIDsPerAPGroup))
}

// checkMaxSSIDs refuses an out-of-range --max-ssids-per-ap-group (0: the default).
func checkMaxSSIDs(n int) error {
	if n != 0 && (n < 1 || n > workflows.MaxMaxSSIDsPerAPGroup) {
		return usagef("--max-ssids-per-ap-group %d is out of range: use 1 to %d (default %d); nothing was read or started",
			n, workflows.MaxMaxSSIDsPerAPGroup, workflows.DefaultMaxSSIDsPerAPGroup)
	}
	return nil
}

// options checks the flags before anything is read, stored or started.
func (sf startFlags) options(a *App) (migrations.Options, error) {
	if sf.maxConcurrent != 0 && (sf.maxConcurrent < 1 || sf.maxConcurrent > workflows.MaxMaxConcurrent) {
		return migrations.Options{}, usagef("--max-concurrent %d is out of range: use 1 to %d (default %d); nothing was started",
			sf.maxConcurrent, workflows.MaxMaxConcurrent, workflows.DefaultMaxConcurrent)
	}
	if err := checkMaxSSIDs(sf.maxSSIDsPerAPGroup); err != nil {
		return migrations.Options{}, err
	}
	if sf.passphraseConcurrency != 0 && (sf.passphraseConcurrency < 1 || sf.passphraseConcurrency > workflows.MaxPassphraseConcurrency) {
		return migrations.Options{}, usagef("--passphrase-concurrency %d is out of range: use 1 to %d; nothing was started",
			sf.passphraseConcurrency, workflows.MaxPassphraseConcurrency)
	}
	if sf.watch && sf.printTemporalCommand {
		return migrations.Options{}, usagef("--watch and --print-temporal-command exclude each other: the command starts nothing to watch")
	}
	if sf.workflowID != "" {
		if err := migrations.ValidateWorkflowID(sf.workflowID); err != nil {
			return migrations.Options{}, usagef("--workflow-id: %v; nothing was started", err)
		}
	}
	plan, err := sf.plan.options(a.Now().UTC())
	if err != nil {
		return migrations.Options{}, err
	}
	return migrations.Options{
		Plan:                  plan,
		ParallelExecution:     sf.parallel,
		MaxConcurrent:         sf.maxConcurrent,
		PassphraseConcurrency: sf.passphraseConcurrency,
		MaxSSIDsPerAPGroup:    sf.maxSSIDsPerAPGroup,
		PolicySetName:         sf.plan.policySet,
		WorkflowID:            sf.workflowID,
		BulkImport:            sf.bulkImport,
	}, nil
}

func (a *App) start(ctx context.Context, path string, sf startFlags) (int, error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	opts, err := sf.options(a)
	if err != nil {
		return ExitFailed, err
	}
	if !sf.parallel && sf.maxConcurrent != 0 {
		fmt.Fprintln(a.Stderr, "note: --max-concurrent only applies with --parallel; this migration runs one pool at a time")
	}
	data, err := a.readExport(path)
	if err != nil {
		return ExitFailed, err
	}
	plan, err := checkExport(data, opts.Plan)
	if err != nil {
		return ExitFailed, err
	}
	if sf.printTemporalCommand {
		return a.printTemporalCommand(s, data, opts, func(ref exportstore.Ref) string { return migrations.NewWorkflowID(plan, ref) })
	}

	svc, closeSvc, err := a.service(s)
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	opts.ExportName = exportName(path)
	st, err := svc.Start(ctx, data, opts)
	if err != nil {
		return ExitFailed, startError(err, s)
	}
	mode := "sequential: one pool and one passphrase at a time"
	if st.Input.ParallelExecution {
		mode = fmt.Sprintf("parallel: up to %d pools and %d passphrases per pool at once", st.Input.MaxConcurrent, st.Input.PassphraseConcurrency)
	}
	fmt.Fprintf(a.Stdout, "Started migration %s (%s)\n", st.WorkflowID, mode)
	fmt.Fprintf(a.Stdout, "  export:      %s (sha256 %s)\n", st.Export.URI, st.Export.SHA256)
	if st.UIURL != "" {
		fmt.Fprintf(a.Stdout, "  Temporal UI: %s\n", st.UIURL)
	}
	if !sf.watch {
		fmt.Fprintf(a.Stdout, "Follow it with: dpskmigrate watch %s\n", st.WorkflowID)
		return ExitOK, nil
	}
	fmt.Fprintln(a.Stdout)
	return a.watch(ctx, svc, s, st.WorkflowID)
}

// startError adds the likely fix to a failed start.
func startError(err error, s Settings) error {
	var invalid *migrations.InvalidExportError
	if errors.As(err, &invalid) {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "already started") || strings.Contains(msg, "AlreadyStarted") {
		return fmt.Errorf("%w: a migration with this ID exists; choose another --workflow-id (or leave it out)", err)
	}
	return fmt.Errorf("%w (is Temporal reachable and is a worker polling task queue %q? check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, or run `make dev`)", err, s.TaskQueue)
}

// printTemporalCommand stores the export and prints the `temporal workflow
// start` command that starts the same migration, without starting anything.
func (a *App) printTemporalCommand(s Settings, data []byte, opts migrations.Options, newID func(exportstore.Ref) string) (int, error) {
	store, err := exportstore.New(s.ExportDir)
	if err != nil {
		return ExitFailed, fmt.Errorf("%w (set DPSKMIGRATE_EXPORT_DIR to a writable directory the workers also read)", err)
	}
	ref, err := store.PutBytes(data)
	if err != nil {
		return ExitFailed, err
	}
	in := workflows.MigrationInput{
		Export:                exportstore.Ref{SHA256: ref.SHA256}, // each worker finds it in its own store
		Plan:                  opts.Plan,
		ParallelExecution:     opts.ParallelExecution,
		MaxConcurrent:         opts.MaxConcurrent,
		PassphraseConcurrency: opts.PassphraseConcurrency,
		PolicySetName:         opts.PolicySetName,
		MaxSSIDsPerAPGroup:    opts.MaxSSIDsPerAPGroup,
	}
	// The workflow judges expiry at its own start time when the input has none.
	in.Plan.Now = time.Time{}
	if _, err := in.Normalize(); err != nil {
		return ExitFailed, err
	}
	id := opts.WorkflowID
	if id == "" {
		id = newID(ref)
	}
	cmd, err := TemporalCommand(in, s.TaskQueue, s.Namespace, id)
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintln(a.Stdout, cmd)
	fmt.Fprintf(a.Stderr, "Stored the export as %s. Nothing was started: run the command above (with TEMPORAL_ADDRESS set) or paste the input into the Temporal UI's Start Workflow form; a worker must poll task queue %q and read %s.\n",
		ref.URI, s.TaskQueue, store.Dir)
	return ExitOK, nil
}

// TemporalCommand is the `temporal workflow start` command line that starts
// MigrationWorkflow with in. Its input names only the stored export, never a
// passphrase.
func TemporalCommand(in workflows.MigrationInput, taskQueue, namespace, workflowID string) (string, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	input, err := compactInput(raw)
	if err != nil {
		return "", err
	}
	parts := []string{"temporal", "workflow", "start",
		"--type", workflows.MigrationWorkflowName,
		"--task-queue", shellQuote(taskQueue),
		"--workflow-id", shellQuote(workflowID),
	}
	if namespace != "" && namespace != "default" {
		parts = append(parts, "--namespace", shellQuote(namespace))
	}
	parts = append(parts, "--input", shellQuote(input))
	return strings.Join(parts, " "), nil
}

// compactInput drops the zero values a person would not type (an empty plan
// option, a zero "now") so the printed input shows only what was chosen.
func compactInput(raw []byte) (string, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return "", err
	}
	prune(m)
	out, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func prune(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			prune(x)
			if len(x) == 0 {
				delete(m, k)
			}
		case string:
			if x == "" || x == zeroTimeJSON {
				delete(m, k)
			}
		case bool:
			if !x {
				delete(m, k)
			}
		case json.Number:
			if x.String() == "0" {
				delete(m, k)
			}
		case nil:
			delete(m, k)
		}
	}
}

// zeroTimeJSON is how encoding/json writes time.Time{}.
const zeroTimeJSON = "0001-01-01T00:00:00Z"

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// exportName is the name people know the export by ("-" is standard input).
func exportName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return filepath.Base(path)
}
