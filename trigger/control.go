package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Problem types of the controls, verifications and rollbacks.
const (
	// ProblemRefused: the migration refused the control (its validator said
	// why); nothing changed.
	ProblemRefused = "urn:dpskmigrate:problem:refused"
	// ProblemConfirmationRequired: a rollback is started only with {"confirm": true}.
	ProblemConfirmationRequired = "urn:dpskmigrate:problem:confirmation-required"
	// ProblemStillRunning: a running migration cannot be rolled back.
	ProblemStillRunning = "urn:dpskmigrate:problem:still-running"
	// ProblemNoRecord: the migration began before records were kept; it
	// cannot be verified or rolled back.
	ProblemNoRecord = "urn:dpskmigrate:problem:no-record"
)

// MaxControlBodyBytes bounds the JSON body of a control, a verification or a rollback.
const MaxControlBodyBytes = 4 << 10

// DefaultControlTimeout bounds how long a pause, resume or configure waits
// for the migration's answer (a worker must be running to give it).
const DefaultControlTimeout = 30 * time.Second

// ControlResponse answers a pause, resume or configure: the settings the
// migration now has in force.
type ControlResponse struct {
	WorkflowID string `json:"workflowId"`
	StatusURL  string `json:"statusUrl"`
	workflows.ControlState
}

func (h *handler) pause(w http.ResponseWriter, r *http.Request) {
	h.control(w, r, h.svc.Pause)
}

func (h *handler) resume(w http.ResponseWriter, r *http.Request) {
	h.control(w, r, h.svc.Resume)
}

func (h *handler) configure(w http.ResponseWriter, r *http.Request) {
	var c workflows.Configure
	if !readSmallJSON(w, r, &c, true, "maxConcurrent", "passphraseConcurrency") {
		return
	}
	h.control(w, r, func(ctx context.Context, id string) (workflows.ControlState, error) {
		return h.svc.Configure(ctx, id, c)
	})
}

// control runs a Workflow Update on a running migration and answers the
// settings in force; a refusal (422) changed nothing.
func (h *handler) control(w http.ResponseWriter, r *http.Request, do func(context.Context, string) (workflows.ControlState, error)) {
	id := r.PathValue("id")
	info, err := h.svc.Migration(r.Context(), id)
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		h.notRunning(w, r, strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(info.GetStatus())], "WORKFLOW_EXECUTION_STATUS_"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.ControlTimeout)
	defer cancel()
	state, err := do(ctx, id)
	if refused, ok := errors.AsType[*migrations.RefusedError](err); ok {
		writeProblem(w, r, Problem{Type: ProblemRefused, Title: "The migration refused the change", Status: http.StatusUnprocessableEntity,
			Detail: refused.Reason + "; nothing changed"})
		return
	}
	switch {
	case err == nil:
	case errors.Is(err, migrations.ErrNotFound):
		h.notRunning(w, r, "it ended meanwhile") // it was found running above
		return
	case ctx.Err() != nil && r.Context().Err() == nil:
		writeProblem(w, r, Problem{Status: http.StatusGatewayTimeout,
			Detail: fmt.Sprintf("the migration did not answer within %s: is a worker running? The change may still apply once one is; read the migration's status before trying again", h.cfg.ControlTimeout)})
		return
	default:
		h.serviceError(w, r, err)
		return
	}
	h.log.Info("migration control", "workflow_id", id, "control", r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:],
		"paused", state.Paused, "max_concurrent", state.MaxConcurrent, "passphrase_concurrency", state.PassphraseConcurrency)
	writeJSON(w, http.StatusOK, ControlResponse{WorkflowID: id, StatusURL: statusURL(id), ControlState: state})
}

func (h *handler) notRunning(w http.ResponseWriter, r *http.Request, state string) {
	writeProblem(w, r, Problem{Type: ProblemNotRunning, Title: "Migration is not running", Status: http.StatusConflict,
		Detail: "the migration has already ended: " + state})
}

// readSmallJSON decodes a JSON object body of at most MaxControlBodyBytes
// into v, refusing another content type, an unknown field (fields lists the
// known ones for the message) and anything after the object. An empty body is
// refused when required and leaves v alone otherwise. On a refusal it has
// answered, and ok is false.
func readSmallJSON(w http.ResponseWriter, r *http.Request, v any, required bool, fields ...string) (ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxControlBodyBytes))
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		writeProblem(w, r, Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the body is limited to %d bytes: send a small JSON object", MaxControlBodyBytes)})
		return false
	}
	if err != nil {
		writeProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: "reading the body: " + err.Error()})
		return false
	}
	known := "the body is a JSON object with " + strings.Join(fields, " and/or ")
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			writeProblem(w, r, Problem{Type: ProblemInvalidOptions, Title: "Invalid options", Status: http.StatusBadRequest, Detail: "empty body: " + known})
			return false
		}
		return true
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, r, Problem{Status: http.StatusUnsupportedMediaType, Detail: "send the body as Content-Type: application/json"})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err = dec.Decode(v); err == nil {
		if _, err = dec.Token(); err == io.EOF {
			err = nil
		} else {
			err = errors.New("more than one JSON value")
		}
	}
	if err != nil {
		writeProblem(w, r, Problem{Type: ProblemInvalidOptions, Title: "Invalid options", Status: http.StatusBadRequest,
			Detail: strings.TrimPrefix(err.Error(), "json: ") + ": " + known})
		return false
	}
	return true
}
