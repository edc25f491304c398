package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/migrations"
)

// pruneFlags are store's --prune flags.
type pruneFlags struct {
	prune     bool
	olderThan string
	dryRun    bool
}

func (p *pruneFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.prune, "prune", false, "remove old stored exports no workflow references (with --older-than; no FILE)")
	fs.StringVar(&p.olderThan, "older-than", "", "with --prune: the retention `AGE`, such as 30d, 12h or 36h30m (at least 1h)")
	fs.BoolVar(&p.dryRun, "dry-run", false, "with --prune: list what would be removed, remove nothing")
}

// ParseAge reads a retention: whole days ("30d") or a Go duration ("12h", "90m").
func ParseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("%q: use whole days such as 30d, or hours such as 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: use whole days such as 30d, or a duration such as 12h or 36h30m", s)
	}
	return d, nil
}

func (a *App) prune(ctx context.Context, args []string, pf pruneFlags) (int, error) {
	switch {
	case !pf.prune:
		return ExitFailed, usagef("--older-than and --dry-run apply only with --prune")
	case len(args) > 0:
		return ExitFailed, usagef("store --prune takes no FILE, got %q", args[0])
	case pf.olderThan == "":
		return ExitFailed, usagef("--prune needs --older-than AGE, such as --older-than 30d: exports younger than AGE are kept")
	}
	age, err := ParseAge(pf.olderThan)
	if err != nil {
		return ExitFailed, usagef("--older-than %v", err)
	}
	if age < migrations.MinPruneAge {
		return ExitFailed, usagef("--older-than %s is too short: use at least 1h (an export is stored moments before its migration starts)", pf.olderThan)
	}
	_, svc, closeSvc, err := a.connect()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	rep, err := svc.PruneExports(ctx, age, pf.dryRun)
	writePruneReport(a, svc.Store, rep, pf.olderThan)
	if err != nil {
		return ExitFailed, err
	}
	return ExitOK, nil
}

func writePruneReport(a *App, store *exportstore.Store, rep migrations.PruneReport, age string) {
	verb := "Removed"
	if rep.DryRun {
		verb = "Would remove (dry run, nothing removed)"
	}
	fmt.Fprintf(a.Stdout, "Export store %s: exports stored before %s (older than %s) that no workflow references\n",
		store.Dir, rep.Cutoff.Local().Format("2006-01-02 15:04"), age)
	fmt.Fprintf(a.Stdout, "%s: %d file(s)\n", verb, len(rep.Removed))
	for _, e := range rep.Removed {
		what := "stored " + e.ModTime.Local().Format("2006-01-02 15:04")
		if e.Incoming {
			what = "an upload left unfinished at " + e.ModTime.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(a.Stdout, "  %s  %s, %d bytes\n", e.Name, what, e.Size)
	}
	if len(rep.Kept) > 0 {
		fmt.Fprintf(a.Stdout, "Kept, still referenced: %d file(s)\n", len(rep.Kept))
		for _, k := range rep.Kept {
			fmt.Fprintf(a.Stdout, "  %s  used by workflow %s\n", k.Name, k.WorkflowID)
		}
	}
	fmt.Fprintf(a.Stdout, "Kept, stored within %s: %d file(s)\n", age, rep.Recent)
}
