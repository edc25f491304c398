package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// runFunc runs a command on its positional arguments; it returns the exit
// code, or an error (exit 1) that Run prints.
type runFunc func(ctx context.Context, a *App, args []string) (int, error)

// command is one subcommand. bind registers its flags on fs and returns the
// function that runs it with them, so the usage lists exactly the flags that
// are parsed.
type command struct {
	name    string
	args    []string // positional arguments, for the usage
	summary string
	details string
	bind    func(fs *flag.FlagSet) runFunc

	// argsOptional: the command also runs without its positional arguments.
	argsOptional bool
}

var commands []*command

func init() {
	commands = []*command{planCommand, storeCommand, startCommand, watchCommand, statusCommand, cancelCommand, reportCommand,
		listCommand, pauseCommand, resumeCommand, configureCommand, verifyCommand, rollbackCommand}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (a *App) usage(w io.Writer) {
	fmt.Fprint(w, `dpskmigrate migrates Cloudpath DPSK exports into RUCKUS One through Temporal.

Usage:
  dpskmigrate <command> [flags] [FILE|ID]     (flags may come before or after FILE or ID)
  dpskmigrate help [command]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, strings.Join(c.args, " "), c.summary)
	}
	tw.Flush()
	for _, c := range commands {
		fmt.Fprintf(w, "\n%s flags:\n", strings.TrimSpace(c.name+" "+strings.Join(c.args, " ")))
		writeFlags(w, c)
	}
	fmt.Fprint(w, "\nEnvironment:\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range envVars {
		fmt.Fprintf(tw, "  %s\t%s\n", v[0], v[1])
	}
	tw.Flush()
	fmt.Fprintf(w, `
Exit codes: 0 completed (and plan, store, cancel, list, pause, resume, configure
done), 2 partial (some rows or pools not migrated; for plan --check-r1, R1 holds
something that would make the migration refuse a network or a venue; for verify,
R1 differs from the plan; for rollback --yes, something was kept), 1 failed,
cancelled, refused (nothing changed) or any error.

Without this CLI: `+"`dpskmigrate store FILE`"+` prints the export's reference, and
  temporal workflow start --type %s --task-queue %s \
    --workflow-id migration-1 --input '{"export":{"uri":"file:///...","sha256":"..."},"parallelExecution":true}'
starts the same workflow (`+"`dpskmigrate start FILE --print-temporal-command`"+` prints it for you).
`, workflows.MigrationWorkflowName, workflows.TaskQueue)
}

func (a *App) commandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", strings.TrimSpace("dpskmigrate "+c.name+" [flags] "+strings.Join(c.args, " ")), c.summary)
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", c.details)
	}
	fmt.Fprintln(w, "\nFlags:")
	writeFlags(w, c)
}

func writeFlags(w io.Writer, c *command) {
	fs := newFlagSet(c.name)
	c.bind(fs)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		name, usage := flag.UnquoteUsage(f)
		arg := "--" + f.Name
		if name != "" {
			arg += " " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", arg, usage, def)
	})
	if n == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()
}

// planFlags are the choices shared by plan and start.
type planFlags struct {
	identityGroupName string
	poolName          string
	namePrefix        string
	nameSuffix        string
	expired           string
	renewDays         int
	importInactive    bool
	policySet         string

	// Wi-Fi networks
	networkMode string
	ssid        string
	ssidMap     repeated
	venues      repeated
	venueMap    repeated
	mergeBySSID bool
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ", ") }

func (r *repeated) Set(v string) error {
	*r = append(*r, v)
	return nil
}

func (p *planFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.identityGroupName, "identity-group-name", "", "R1 identity group `NAME` for every pool (default: one per pool, named after it)")
	fs.StringVar(&p.poolName, "pool-name", "", "R1 DPSK pool `NAME` (single-pool exports only; default: the Cloudpath pool's name)")
	fs.StringVar(&p.namePrefix, "name-prefix", "", "`TEXT` put before every R1 pool, identity group and network name")
	fs.StringVar(&p.nameSuffix, "name-suffix", "", "`TEXT` put after every R1 pool, identity group and network name")
	fs.StringVar(&p.expired, "expired", "no-expiry", "`POLICY` for expired passphrases: no-expiry (import without an expiry), renew, or skip")
	fs.IntVar(&p.renewDays, "renew-days", 0, fmt.Sprintf("with --expired renew: renewed passphrases expire `N` days from now (default %d)", cloudpath.DefaultRenewDays))
	fs.BoolVar(&p.importInactive, "import-inactive", false, "also import revoked and inactive passphrases")
	fs.StringVar(&p.policySet, "policy-set", "", "find or create the R1 policy set `NAME` and attach it to every pool")

	fs.StringVar(&p.networkMode, "network-mode", string(cloudpath.NetworkNone), "Wi-Fi networks `MODE`: none, or per-pool (one DPSK network per R1 pool on the pool's SSID, bound to it and activated venue-wide)")
	fs.StringVar(&p.ssid, "ssid", "", "per-pool: the network's `SSID` (single-pool exports only; default: the pool's site-wide SSID)")
	fs.Var(&p.ssidMap, "ssid-map", "per-pool: `\"POOL=SSID\"` gives the network of the Cloudpath pool POOL (its display name) that SSID; repeatable")
	fs.Var(&p.venues, "venue", "per-pool: activate every network on venue `NAME|ID`; repeatable")
	fs.Var(&p.venueMap, "venue-map", "per-pool: `\"POOL=VENUE\"` puts the Cloudpath pool POOL's network on VENUE instead of the --venue venues; repeatable")
	fs.BoolVar(&p.mergeBySSID, "merge-by-ssid", false, "per-pool: migrate the Cloudpath pools that share an SSID into one R1 pool (an R1 network binds one pool)")
}

func (p *planFlags) options(now time.Time) (cloudpath.PlanOptions, error) {
	switch p.expired {
	case string(cloudpath.ExpiredImportWithoutExpiry), string(cloudpath.ExpiredRenew), string(cloudpath.ExpiredSkip):
	default:
		return cloudpath.PlanOptions{}, usagef("--expired %q: use no-expiry, renew or skip", p.expired)
	}
	if p.renewDays < 0 {
		return cloudpath.PlanOptions{}, usagef("--renew-days %d: use a positive number of days", p.renewDays)
	}
	if p.renewDays > 0 && p.expired != "renew" {
		return cloudpath.PlanOptions{}, usagef("--renew-days only applies with --expired renew")
	}
	if len(p.policySet) > 255 {
		return cloudpath.PlanOptions{}, usagef("--policy-set is %d characters long; R1 accepts at most 255", len(p.policySet))
	}
	ssidMap, err := cloudpath.ParseSSIDMap(p.ssidMap)
	if err != nil {
		return cloudpath.PlanOptions{}, usagef("--ssid-map: %v", err)
	}
	venueMap, err := cloudpath.ParseVenueMap(p.venueMap)
	if err != nil {
		return cloudpath.PlanOptions{}, usagef("--venue-map: %v", err)
	}
	opts := cloudpath.PlanOptions{
		IdentityGroupName: p.identityGroupName,
		PoolName:          p.poolName,
		NamePrefix:        p.namePrefix,
		NameSuffix:        p.nameSuffix,
		Expired:           cloudpath.ExpiredPolicy(p.expired),
		RenewDays:         p.renewDays,
		ImportInactive:    p.importInactive,
		Now:               now,
		NetworkMode:       cloudpath.NetworkMode(p.networkMode),
		SSID:              p.ssid,
		SSIDMap:           ssidMap,
		Venues:            p.venues,
		VenueMap:          venueMap,
		MergeBySSID:       p.mergeBySSID,
	}
	if opts.NetworkMode == cloudpath.NetworkNone {
		opts.NetworkMode = "" // the default, left out of workflow inputs
	}
	// The options alone, before the export is read; NewPlan checks them
	// against the export too.
	if err := opts.Validate(); err != nil {
		return cloudpath.PlanOptions{}, usagef("%v", err)
	}
	return opts, nil
}
