package workflows

// Changes to the current workflows since runs of them may be under way, each
// guarded by its own workflow.GetVersion marker so that a run begun before it
// replays as it ran (the replay test replays recorded runs of every release).
const (
	// changePassphraseWindow: a parallel migration whose user gave no
	// per-pool concurrency sizes it from the pools that run at once
	// (passphraseWindow) instead of a fixed DefaultParallelPassphrases.
	changePassphraseWindow = "passphrase-window-from-pools"
	// changeReadAhead: a pool reads (or plans) its next chunk of rows while
	// the current chunk's rows are sent.
	changeReadAhead = "read-next-chunk-ahead"
	// changeHurryTail: the ids of a pool that turns urgent (it has sent
	// everything and holds its slot, or the run has no pool left to start)
	// are read within a second, not on the lazy schedule they had.
	changeHurryTail = "hurry-the-tail"
)

// inFlightTarget is about two seconds of R1's default budget: the passphrase
// creates a migration keeps in flight across its pools, so that the rate
// limit, not the round trip of each call, sets the pace.
const inFlightTarget = 60

// passphraseWindow is the default per-pool concurrency of a parallel
// migration with `pools` running at once: its share of inFlightTarget, at
// least DefaultParallelPassphrases and at most 30. A single pool of 12,000
// rows gets 30; twenty pools get 10 each, as before.
func passphraseWindow(pools int) int {
	return min(max(inFlightTarget/max(pools, 1), DefaultParallelPassphrases), 30)
}
