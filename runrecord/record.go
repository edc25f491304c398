// Package runrecord is the record of what one migration run created or changed
// in R1, pool by pool: the fact the per-row report, the verification and the
// rollback read, so that none of them has to guess.
//
// It is written by the pool workflow as it goes and travels in its result and
// across continue-as-new, so it must stay small whatever the pool's size:
// objects are ids and flags, rows are positions in the pool's plan kept as
// ranges (RowSet), and failures are grouped by reason. It never holds a
// passphrase.
package runrecord

// Pool is what a run did to one pool's R1 objects and rows.
type Pool struct {
	IdentityGroup Object           `json:"identityGroup,omitzero"`
	DPSKPool      DPSKPool         `json:"dpskPool,omitzero"`
	PolicySet     *PolicySetChange `json:"policySet,omitempty"`
	Rows          Rows             `json:"rows,omitzero"`
	Network       *Network         `json:"network,omitempty"`
}

// Object is an R1 object the run found or made.
type Object struct {
	ID      string `json:"id,omitempty"`
	Created bool   `json:"created,omitempty"` // false: it existed before the run (adopted)
}

// DPSKPool is the pool object, with the one setting a run may change on an
// adopted pool.
type DPSKPool struct {
	Object
	// LengthBefore is the adopted pool's minimum passphrase length before the
	// run lowered it to fit the export (0: not changed).
	LengthBefore int `json:"lengthBefore,omitempty"`
}

// PolicySetChange records the policy set a run attached to the pool.
type PolicySetChange struct {
	ID      string `json:"id"`
	Created bool   `json:"created,omitempty"` // the run created the set
	// Attached: the run attached it to the pool; PreviousID is the set the
	// pool had before ("" for none), to restore on rollback.
	Attached   bool   `json:"attached,omitempty"`
	PreviousID string `json:"previousId,omitempty"`
}

// Rows says, for the rows the run handled, what happened to each. A row of the
// plan is in at most one of these; rows in none were not attempted (skipped
// and refused rows are the plan's, not the run's).
type Rows struct {
	Created  RowSet       `json:"created,omitzero"`  // the run created the passphrase
	Adopted  RowSet       `json:"adopted,omitzero"`  // R1 already held it as the export has it
	Patched  []VLANChange `json:"patched,omitempty"` // adopted; the run set the export's VLAN
	Conflict RowSet       `json:"conflict,omitzero"` // R1 holds the username with another passphrase
	Failed   []Failure    `json:"failed,omitempty"`  // R1 refused the row, or a step of the pool failed before it
	// Unconfirmed rows were accepted by R1 (or their answer was lost) but not
	// seen before the run gave up waiting or was cancelled: R1 may hold them,
	// so a rollback looks for them too. They count as failed.
	Unconfirmed RowSet `json:"unconfirmed,omitzero"`
}

// Handled reports whether the run decided row one way or another.
func (r Rows) Handled(row int) bool {
	if r.Created.Contains(row) || r.Adopted.Contains(row) || r.Conflict.Contains(row) || r.Unconfirmed.Contains(row) {
		return true
	}
	if _, ok := r.PatchOf(row); ok {
		return true
	}
	_, ok := r.FailureOf(row)
	return ok
}

// VLANChange is a group of adopted rows whose VLAN the run changed from the same value.
type VLANChange struct {
	From int    `json:"from"` // 0: the passphrase had no VLAN
	Rows RowSet `json:"rows"`
}

// Failure is a group of rows that failed for the same reason.
type Failure struct {
	Reason string `json:"reason"`
	Rows   RowSet `json:"rows"`
}

// MaxFailureReasons bounds the distinct reasons kept; rows failing for more
// reasons share the last group, so the record stays small when R1 answers
// every row differently.
const MaxFailureReasons = 100

// OtherReasons is the reason of that last group.
const OtherReasons = "failed for one of many different reasons; see the pool workflow's history"

// Fail records row as failed for reason.
func (r *Rows) Fail(row int, reason string) {
	for i := range r.Failed {
		if r.Failed[i].Reason == reason {
			r.Failed[i].Rows.Add(row)
			return
		}
	}
	if len(r.Failed) >= MaxFailureReasons {
		reason = OtherReasons
		for i := range r.Failed {
			if r.Failed[i].Reason == reason {
				r.Failed[i].Rows.Add(row)
				return
			}
		}
	}
	f := Failure{Reason: reason}
	f.Rows.Add(row)
	r.Failed = append(r.Failed, f)
}

// Patch records an adopted row whose VLAN the run changed from `from`.
func (r *Rows) Patch(row, from int) {
	for i := range r.Patched {
		if r.Patched[i].From == from {
			r.Patched[i].Rows.Add(row)
			return
		}
	}
	c := VLANChange{From: from}
	c.Rows.Add(row)
	r.Patched = append(r.Patched, c)
}

// FailedCount is the number of failed rows.
func (r Rows) FailedCount() int {
	n := 0
	for _, f := range r.Failed {
		n += f.Rows.Len()
	}
	return n
}

// PatchedCount is the number of patched rows.
func (r Rows) PatchedCount() int {
	n := 0
	for _, c := range r.Patched {
		n += c.Rows.Len()
	}
	return n
}

// FailureOf returns why row failed, if it did.
func (r Rows) FailureOf(row int) (string, bool) {
	for _, f := range r.Failed {
		if f.Rows.Contains(row) {
			return f.Reason, true
		}
	}
	return "", false
}

// PatchOf returns the VLAN a patched row had before the run.
func (r Rows) PatchOf(row int) (int, bool) {
	for _, c := range r.Patched {
		if c.Rows.Contains(row) {
			return c.From, true
		}
	}
	return 0, false
}

// Network is what a run did to put the pool on the air.
type Network struct {
	ID          string       `json:"id,omitempty"`
	Name        string       `json:"name,omitempty"`
	SSID        string       `json:"ssid,omitempty"`
	Created     bool         `json:"created,omitempty"` // the run created the network (and so its binding)
	Bound       bool         `json:"bound,omitempty"`   // the run bound the pool to an adopted network
	Activations []Activation `json:"activations,omitempty"`
}

// Activation is the network's activation on one venue.
type Activation struct {
	VenueID   string `json:"venueId"`
	VenueName string `json:"venueName,omitempty"`
	Created   bool   `json:"created,omitempty"` // the run activated it (false: it was active before)
}
