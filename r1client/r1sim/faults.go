package r1sim

// The simulated latency and the faults a Sim injects, and the write
// operations they name.

import (
	"slices"
	"time"
)

// Latency is the simulated service time of every R1 call: log-normal around
// Median (d = Median·e^(Sigma·N(0,1))). A zero Median turns it off; Sigma 0
// makes it constant.
type Latency struct {
	Median time.Duration
	Sigma  float64
}

// Faults are injected by rate (0..1) on R1 routes (never on the token or
// /__sim/ routes).
type Faults struct {
	ServerErrorRate float64       // answer 500/503 without doing anything
	SlowRate        float64       // answer after SlowDelay (if the client is still there)
	SlowDelay       time.Duration // default 35s: beyond the client's default 30s timeout
	// CommitThenFailRate applies to writes only: the write is applied, then the
	// client gets a 502 or a cut connection.
	CommitThenFailRate float64
	// CommitThenFailMode is "" or "mixed" (half each), "502" or "cut".
	CommitThenFailMode string
	// CommitThenFailOps limits commit-then-fail to these write operations
	// (names as in Stats.Calls, e.g. OpCreatePassphrase; "creates" = CreateOps).
	// Empty = every write.
	CommitThenFailOps []string
	// QuotePassphraseRate applies to passphrase creates and CSV imports: R1
	// refuses the passphrase (for an import, one of its entries') and quotes
	// it in its answer (see quotePassphrase).
	QuotePassphraseRate float64
	// ImportHeaderChanged: R1 expects another CSV template than the one
	// clients write (its first column named "Identity Name", as in a later
	// template), so every passphrase import is refused at its header.
	ImportHeaderChanged bool
	// ImportDropsRows: a passphrase import silently leaves out every other
	// entry (the 2nd, 4th, ...) and its activity still succeeds.
	ImportDropsRows bool
}

// Write operations, named as in Stats.Calls (OpImportPassphrases is in csvimport.go).
const (
	OpCreateGroup      = "POST /identityGroups"
	OpCreatePool       = "POST /identityGroups/{id}/dpskServices"
	OpCreatePassphrase = "POST /dpskServices/{id}/passphrases"
	OpCreatePolicySet  = "POST /policySets"
	OpCreateNetwork    = "POST /wifiNetworks"
	OpBindPool         = "PUT /wifiNetworks/{id}/dpskServices/{id}"
	OpActivateNetwork  = "PUT /venues/{id}/wifiNetworks/{id}"
)

// CreateOps are the operations the CommitThenFailOps alias "creates" names.
var CreateOps = []string{OpCreateGroup, OpCreatePool, OpCreatePassphrase, OpImportPassphrases, OpCreatePolicySet, OpCreateNetwork}

// faultsOp reports whether commit-then-fail applies to op.
func faultsOp(ops []string, op string) bool {
	if len(ops) == 0 {
		return true
	}
	for _, o := range ops {
		if o == op || (o == "creates" && slices.Contains(CreateOps, op)) {
			return true
		}
	}
	return false
}
