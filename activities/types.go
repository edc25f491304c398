package activities

import (
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
)

// Error types of the application errors activities return. Workflows and
// retry policies branch on them.
const (
	ErrExportInvalid     = "ExportInvalid"     // the export cannot be parsed or planned: not retryable
	ErrExportUnavailable = "ExportUnavailable" // the stored export cannot be read (yet): retried a few times
	ErrValidation        = "R1Validation"      // R1 refused the request (400/422): not retryable
	ErrConflict          = "R1Conflict"        // duplicate name or passphrase: not retryable
	ErrNotFound          = "R1NotFound"
	ErrUnauthorized      = "R1Unauthorized" // credentials refused even after a token refresh
	ErrRateLimited       = "R1RateLimited"  // 429: retried after Retry-After
	ErrTransient         = "R1Transient"    // 5xx, timeouts, cut connections: retried with backoff
)

// NonRetryable lists the error types no retry can fix.
var NonRetryable = []string{ErrExportInvalid, ErrValidation, ErrConflict, ErrNotFound, ErrUnauthorized}

// ExportInput names the export and how it is planned; every activity that
// needs a row re-derives it from here, so no passphrase crosses Temporal.
type ExportInput struct {
	Export exportstore.Ref       `json:"export"`
	Plan   cloudpath.PlanOptions `json:"plan"`
}

// PlanInput asks for a page of the plan's pools.
type PlanInput struct {
	ExportInput
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// PlanResult is a page of the plan: pools without passphrases.
type PlanResult struct {
	Pools      []PoolRef `json:"pools"`
	TotalPools int       `json:"totalPools"`
	TotalRows  int       `json:"totalRows"` // rows to migrate across all pools
	Warnings   []string  `json:"warnings,omitempty"`
	Tenant     string    `json:"tenant,omitempty"` // the R1 tenant the workers migrate into
}

// PoolRef is a pool of the plan as workflows see it: names, settings and
// counts, never a passphrase. Rows are referred to by their position in the
// pool's plan (0..Rows-1).
type PoolRef struct {
	Key                      string                 `json:"key"`
	DisplayName              string                 `json:"displayName"`
	IdentityGroupName        string                 `json:"identityGroupName"`
	IdentityGroupDescription string                 `json:"identityGroupDescription,omitempty"`
	PoolName                 string                 `json:"poolName"`
	PoolDescription          string                 `json:"poolDescription,omitempty"`
	Settings                 cloudpath.PoolSettings `json:"settings"`
	Rows                     int                    `json:"rows"`
	SkippedCount             int                    `json:"skippedCount"`
	RefusedCount             int                    `json:"refusedCount"`
	Skipped                  []cloudpath.RowOutcome `json:"skipped,omitempty"` // the first MaxListedRows
	Refused                  []cloudpath.RowOutcome `json:"refused,omitempty"`
	Network                  *cloudpath.NetworkPlan `json:"network,omitempty"` // the pool's Wi-Fi network, in per-pool mode
}

// MaxListedRows caps the rows a PoolRef names, to keep payloads small.
const MaxListedRows = 200

// FindInput looks for an R1 object by exact name, one page per call.
type FindInput struct {
	Name string `json:"name"`
	Page int    `json:"page"` // as R1 numbers the pages of that resource (see each activity)
}

// FindResult is one page of a lookup.
type FindResult struct {
	Found bool   `json:"found"`
	ID    string `json:"id,omitempty"`
	Last  bool   `json:"last"` // no further page to look at
	// For pools:
	IdentityGroupID  string `json:"identityGroupId,omitempty"`
	PassphraseLength int    `json:"passphraseLength,omitempty"`
	PolicySetID      string `json:"policySetId,omitempty"` // the set attached to the pool
}

// CreateGroupInput creates an identity group.
type CreateGroupInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// CreatePoolInput creates a DPSK pool under an identity group.
type CreatePoolInput struct {
	IdentityGroupID string                 `json:"identityGroupId"`
	Name            string                 `json:"name"`
	Description     string                 `json:"description,omitempty"`
	Settings        cloudpath.PoolSettings `json:"settings"`
}

// Accepted is R1's answer to an asynchronous write.
type Accepted struct {
	RequestID string `json:"requestId,omitempty"`
	ID        string `json:"id,omitempty"`
	// Existing is set when a retried create found that its earlier attempt
	// (or someone else) had already made the object.
	Existing bool `json:"existing,omitempty"`
}

// PatchPoolLengthInput lowers a pool's minimum passphrase length.
type PatchPoolLengthInput struct {
	PoolID           string `json:"poolId"`
	PassphraseLength int    `json:"passphraseLength"`
}

// R1ActivityInput names an R1 async activity (its requestId).
type R1ActivityInput struct {
	RequestID string `json:"requestId"`
	// Row, for a passphrase's request, lets the activity mask the passphrase
	// in R1's failure text.
	Row *RowInput `json:"row,omitempty"`
}

// R1ActivityStatus is what one GET of an R1 activity said.
type R1ActivityStatus struct {
	RequestID string `json:"requestId,omitempty"`
	Visible   bool   `json:"visible"` // false: R1 answered 404, not created yet
	Status    string `json:"status,omitempty"`
	Succeeded bool   `json:"succeeded,omitempty"`
	Failed    bool   `json:"failed,omitempty"`
	Message   string `json:"message,omitempty"` // readable failure reason
	// Duplicate: R1 refused the write because the object already exists.
	Duplicate bool `json:"duplicate,omitempty"`
}

// R1ActivitiesInput names R1 activities to read in one request.
type R1ActivitiesInput struct {
	RequestIDs []string `json:"requestIds"` // at most MaxActivitiesPerRead
	// Rows, when the activities are passphrase writes, are the rows they
	// concern (in the order of RequestIDs), so their passphrases are masked
	// in R1's failure texts.
	Rows *RowsInput `json:"rows,omitempty"`
	// Export, when the activities are writes of any of the export's pools
	// (the migration's shared waits), masks every passphrase of the export.
	Export *ExportInput `json:"export,omitempty"`
}

// MaxActivitiesPerRead is how many R1 activities one read asks about.
const MaxActivitiesPerRead = 500

// R1ActivitiesResult lists the activities R1 shows; one it does not show yet
// is absent.
type R1ActivitiesResult struct {
	Activities []R1ActivityStatus `json:"activities"`
}

// RowsInput names rows of a pool by position in the pool's plan.
type RowsInput struct {
	ExportInput
	PoolKey string `json:"poolKey"`
	PoolID  string `json:"poolId"`
	Rows    []int  `json:"rows"` // at most MaxRowsPerRead
}

// MaxRowsPerRead is how many rows one ReadRows call looks up (one R1 query).
const MaxRowsPerRead = 500

// RowsResult says, for each row asked about, what R1 holds.
type RowsResult struct {
	Same      []int    `json:"same,omitempty"`      // present with the same passphrase (and VLAN)
	VLANFix   []RowRef `json:"vlanFix,omitempty"`   // present with the same passphrase, other VLAN
	Conflicts []RowRef `json:"conflicts,omitempty"` // username present with another passphrase
	Absent    []RowRef `json:"absent,omitempty"`
}

// RowRef names a row for a person (export index and username) and for the
// workflow (its position in the pool's plan).
type RowRef struct {
	Row          int    `json:"row"`
	Index        int    `json:"index"`
	Username     string `json:"username"`
	PassphraseID string `json:"passphraseId,omitempty"` // R1's id, when R1 holds the row
	VLANID       int    `json:"vlanId,omitempty"`       // the VLAN R1 holds, for VLANFix rows
	// SourcePool is the row's Cloudpath pool (its index in the export; Index
	// is the row's index in that pool), and SourcePoolName its display name
	// when the unit merges several pools.
	SourcePool     int    `json:"sourcePool,omitempty"`
	SourcePoolName string `json:"sourcePoolName,omitempty"`
}

// RowInput names one row.
type RowInput struct {
	ExportInput
	PoolKey string `json:"poolKey"`
	PoolID  string `json:"poolId"`
	Row     int    `json:"row"`
}

// PatchVLANInput patches one row's VLAN on its existing passphrase.
type PatchVLANInput struct {
	RowInput
	PassphraseID string `json:"passphraseId"`
}

// PolicySetInput finds or creates a policy set.
type PolicySetInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// AttachPolicySetInput attaches a policy set to a pool.
type AttachPolicySetInput struct {
	PoolID      string `json:"poolId"`
	PolicySetID string `json:"policySetId"`
}
