package workflows

// Changes to the current workflows since runs of them may be under way, each
// guarded by its own workflow.GetVersion marker so that a run begun before it
// replays as it ran (the replay test replays recorded runs of every release).
const (
	// changeReadAhead: a pool reads (or plans) its next chunk of rows while
	// the current chunk's rows are sent.
	changeReadAhead = "read-next-chunk-ahead"
	// changeHurryTail: the ids of a pool that turns urgent (it has sent
	// everything and holds its slot, or the run has no pool left to start)
	// are read within a second, not on the lazy schedule they had.
	changeHurryTail = "hurry-the-tail"
)
