package trigger

import (
	"cmp"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// VerifyRequest is the optional body of POST /v1/migrations/{id}/verify.
type VerifyRequest struct {
	MaxConcurrent *int `json:"maxConcurrent,omitempty"` // pools compared at once, 1..20 (default 5)
}

// RollbackRequest is the body of POST /v1/migrations/{id}/rollback: Confirm
// must be true, after reading the preview.
type RollbackRequest struct {
	Confirm       bool `json:"confirm"`
	MaxConcurrent *int `json:"maxConcurrent,omitempty"` // pools undone at once, 1..20 (default 5)
}

// SweepResponse answers a started verification or rollback.
type SweepResponse struct {
	WorkflowID  string `json:"workflowId"`
	MigrationID string `json:"migrationId"`
	StatusURL   string `json:"statusUrl"`
	UIURL       string `json:"uiUrl,omitempty"`
}

// VerificationResponse answers GET /v1/migrations/{id}/verifications/{verifyId}
// as JSON: its state, its result once ended, and then every row it found
// different (missing, changed, extra), in the order of the CSV.
type VerificationResponse struct {
	migrations.VerificationStatus
	Differences []report.Difference `json:"differences,omitempty"`
}

func verificationURL(migrationID, id string) string {
	return statusURL(migrationID) + "/verifications/" + url.PathEscape(id)
}

func rollbackURL(migrationID, id string) string {
	return statusURL(migrationID) + "/rollbacks/" + url.PathEscape(id)
}

// sweepWindow checks the optional maxConcurrent of a verification or rollback.
func sweepWindow(w http.ResponseWriter, r *http.Request, n *int) (int, bool) {
	if n == nil {
		return 0, true
	}
	if *n < 1 || *n > workflows.MaxMaxConcurrent {
		writeProblem(w, r, Problem{Type: ProblemInvalidOptions, Title: "Invalid options", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("maxConcurrent %d is out of range: use 1 to %d pools at once", *n, workflows.MaxMaxConcurrent)})
		return 0, false
	}
	return *n, true
}

// verify starts a verification: R1 read pool by pool and compared with the plan.
func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	var req VerifyRequest
	if !readSmallJSON(w, r, &req, false, "maxConcurrent") {
		return
	}
	window, ok := sweepWindow(w, r, req.MaxConcurrent)
	if !ok {
		return
	}
	id := r.PathValue("id")
	sw, err := h.svc.StartVerify(r.Context(), id, migrations.SweepOptions{MaxConcurrent: window})
	if err != nil {
		h.sweepError(w, r, err)
		return
	}
	h.log.Info("verification started", "workflow_id", sw.WorkflowID, "migration_id", id)
	h.sweepStarted(w, id, sw, verificationURL(id, sw.WorkflowID))
}

func (h *handler) sweepStarted(w http.ResponseWriter, migrationID string, sw migrations.Sweep, loc string) {
	w.Header().Set("Location", loc)
	writeJSON(w, http.StatusAccepted, SweepResponse{WorkflowID: sw.WorkflowID, MigrationID: migrationID, StatusURL: loc, UIURL: sw.UIURL})
}

// verification answers a verification's state as JSON (the default), or once
// it has ended its differences as CSV when Accept asks for text/csv.
func (h *handler) verification(w http.ResponseWriter, r *http.Request) {
	mediaType, ok := negotiate(r.Header.Values("Accept"), reportJSON, reportCSV)
	if !ok {
		writeProblem(w, r, Problem{Status: http.StatusNotAcceptable,
			Detail: "a verification is served as " + reportJSON + " (the default) or, once ended, its differences as " + reportCSV + "; send one of them in Accept"})
		return
	}
	id, verifyID := r.PathValue("id"), r.PathValue("verifyId")
	v, err := h.svc.Verification(r.Context(), id, verifyID)
	if errors.Is(err, migrations.ErrNotFound) {
		writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: fmt.Sprintf("no verification %s of migration %s", verifyID, id)})
		return
	}
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	if mediaType == reportCSV && v.Result == nil {
		detail := "the verification is still running: ask again once it has ended"
		if !v.Running() {
			detail = "the verification ended without a result (" + v.Error + "): start another"
		}
		writeProblem(w, r, Problem{Type: ProblemNotRunning, Title: "No differences to list", Status: http.StatusConflict, Detail: detail})
		return
	}
	diffs, err := h.svc.VerifyDifferences(r.Context(), v)
	if unavailable, ok := errors.AsType[*migrations.ExportUnavailableError](err); ok {
		h.exportUnavailable(w, r, unavailable)
		return
	}
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "no-store") // usernames of the export
	if mediaType == reportJSON {
		writeJSON(w, http.StatusOK, VerificationResponse{VerificationStatus: v, Differences: diffs})
		return
	}
	w.Header().Set("Content-Type", reportCSV+"; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": report.DifferencesFileName(verifyID)}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := report.WriteDifferencesCSV(w, diffs); err != nil {
		h.log.Warn("differences cut short", "path", r.URL.EscapedPath(), "error", err)
	}
}

// rollbackPreview says what a rollback would delete and restore, pool by
// pool, with its R1 call cost; it changes nothing.
func (h *handler) rollbackPreview(w http.ResponseWriter, r *http.Request) {
	pv, err := h.svc.PreviewRollback(r.Context(), r.PathValue("id"))
	if err != nil {
		h.sweepError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, pv)
}

// rollback starts a rollback, only with {"confirm": true}.
func (h *handler) rollback(w http.ResponseWriter, r *http.Request) {
	var req RollbackRequest
	if !readSmallJSON(w, r, &req, false, "confirm", "maxConcurrent") {
		return
	}
	id := r.PathValue("id")
	if !req.Confirm {
		writeProblem(w, r, Problem{Type: ProblemConfirmationRequired, Title: "Confirm the rollback", Status: http.StatusBadRequest,
			Detail: "a rollback deletes from R1 what the migration created and restores what it changed: read its preview (GET " +
				statusURL(id) + "/rollback), then send {\"confirm\": true}; nothing was started"})
		return
	}
	window, ok := sweepWindow(w, r, req.MaxConcurrent)
	if !ok {
		return
	}
	sw, err := h.svc.StartRollback(r.Context(), id, migrations.SweepOptions{MaxConcurrent: window})
	if err != nil {
		h.sweepError(w, r, err)
		return
	}
	h.log.Info("rollback started", "workflow_id", sw.WorkflowID, "migration_id", id)
	h.sweepStarted(w, id, sw, rollbackURL(id, sw.WorkflowID))
}

// rollbackStatus answers a rollback's progress, then its outcome.
func (h *handler) rollbackStatus(w http.ResponseWriter, r *http.Request) {
	id, rollbackID := r.PathValue("id"), r.PathValue("rollbackId")
	rb, err := h.svc.Rollback(r.Context(), id, rollbackID)
	if errors.Is(err, migrations.ErrNotFound) {
		writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: fmt.Sprintf("no rollback %s of migration %s", rollbackID, id)})
		return
	}
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rb)
}

// sweepError answers why a verification or rollback cannot start (or be previewed).
func (h *handler) sweepError(w http.ResponseWriter, r *http.Request, err error) {
	if unavailable, ok := errors.AsType[*migrations.ExportUnavailableError](err); ok {
		h.exportUnavailable(w, r, unavailable)
		return
	}
	switch {
	case errors.Is(err, migrations.ErrStillRunning):
		writeProblem(w, r, Problem{Type: ProblemStillRunning, Title: "Migration is still running", Status: http.StatusConflict,
			Detail: "the migration is still running: cancel it (POST " + statusURL(r.PathValue("id")) + "/cancel) or let it finish before rolling it back"})
	case errors.Is(err, migrations.ErrNoRecord):
		writeProblem(w, r, Problem{Type: ProblemNoRecord, Title: "The migration kept no record", Status: http.StatusConflict, Detail: err.Error()})
	default:
		h.serviceError(w, r, err)
	}
}

func (h *handler) exportUnavailable(w http.ResponseWriter, r *http.Request, e *migrations.ExportUnavailableError) {
	writeProblem(w, r, Problem{Type: ProblemExportUnavailable, Title: "The migration's export is not in the store", Status: http.StatusConflict,
		Detail: cmp.Or(e.For, "the report") + " plans the migration's export (sha256 " + e.SHA256 + ") again and the export store cannot give it: store the same export file again with `dpskmigrate store FILE` in the workers' store"})
}
