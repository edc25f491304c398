package trigger

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// ExportPart is the multipart field that carries the export file.
const ExportPart = "export"

// maxFieldBytes bounds one multipart option field.
const maxFieldBytes = 4 << 10

// StartResponse answers an accepted migration.
type StartResponse struct {
	WorkflowID string      `json:"workflowId"`
	RunID      string      `json:"runId"`
	StatusURL  string      `json:"statusUrl"`
	PoolsURL   string      `json:"poolsUrl"`
	CancelURL  string      `json:"cancelUrl"`
	UIURL      string      `json:"uiUrl,omitempty"`
	Summary    PlanSummary `json:"summary"`
}

// PlanSummary is what the plan will do, counted before anything is written.
type PlanSummary struct {
	Pools          int      `json:"pools"`
	Create         int      `json:"create"`  // rows to create (or adopt) in R1
	Skipped        int      `json:"skipped"` // rows the plan's policies skip
	Refused        int      `json:"refused"` // rows R1 cannot take
	EstimatedCalls int      `json:"estimatedCalls"`
	Warnings       []string `json:"warnings,omitempty"` // the plan's pool-level remarks
	// Networks are the Wi-Fi networks the migration puts on the air
	// (networkMode per-pool), at most MaxNetworksInSummary of them;
	// NetworksOmitted counts the rest. NetworkCalls are the R1 calls they
	// add, included in EstimatedCalls.
	Networks        []NetworkSummary `json:"networks,omitempty"`
	NetworksOmitted int              `json:"networksOmitted,omitempty"`
	NetworkCalls    int              `json:"networkCalls,omitempty"`
}

// NetworkSummary is one pool's network: created or adopted, bound to the
// pool and activated venue-wide on its venues (names or ids as given).
type NetworkSummary struct {
	Pool   string   `json:"pool"` // the pool's key, as in the pools URL
	Name   string   `json:"name"`
	SSID   string   `json:"ssid"`
	Venues []string `json:"venues,omitempty"` // none: created and bound, activated nowhere
}

// MaxNetworksInSummary bounds the networks a start answer lists.
const MaxNetworksInSummary = 1000

// planSummary counts the plan for the start answer.
func planSummary(s cloudpath.Summary) PlanSummary {
	out := PlanSummary{Pools: len(s.Pools), Create: s.TotalCreate, Skipped: s.TotalSkip, Refused: s.TotalRefuse,
		EstimatedCalls: s.EstimatedCalls, Warnings: s.Warnings}
	for _, p := range s.Pools {
		n := p.Network
		if n == nil {
			continue
		}
		out.NetworkCalls += cloudpath.EstimateNetworkCalls(len(n.Venues))
		if len(out.Networks) == MaxNetworksInSummary {
			out.NetworksOmitted++
			continue
		}
		out.Networks = append(out.Networks, NetworkSummary{Pool: p.Key, Name: n.Name, SSID: n.SSID, Venues: n.Venues})
	}
	out.NetworkCalls += cloudpath.EstimateVenueLookupCalls * len(s.Venues)
	return out
}

func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	export, opts, ok := h.readStartRequest(w, r)
	if !ok {
		return
	}
	started, err := h.svc.Start(r.Context(), export, opts)
	if err != nil {
		h.startError(w, r, err)
		return
	}
	h.log.Info("migration started", "workflow_id", started.WorkflowID, "run_id", started.RunID,
		"export_sha256", started.Export.SHA256, "pools", len(started.Summary.Pools),
		"create", started.Summary.TotalCreate, "skip", started.Summary.TotalSkip, "refuse", started.Summary.TotalRefuse)
	loc := statusURL(started.WorkflowID)
	w.Header().Set("Location", loc)
	writeJSON(w, http.StatusAccepted, StartResponse{
		WorkflowID: started.WorkflowID,
		RunID:      started.RunID,
		StatusURL:  loc,
		PoolsURL:   loc + "/pools",
		CancelURL:  loc + "/cancel",
		UIURL:      started.UIURL,
		Summary:    planSummary(started.Summary),
	})
}

// readStartRequest reads an export and its options as POST /v1/migrations and
// POST /v1/plans take them (a JSON body with query options, or a multipart
// upload with form options), with the same limits. On a refusal it has
// answered, and ok is false.
func (h *handler) readStartRequest(w http.ResponseWriter, r *http.Request) (export []byte, opts migrations.Options, ok bool) {
	limit := h.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		h.tooLarge(w, r)
		return nil, opts, false
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mediaType = ""
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	var exportName string
	var problems []string
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		// Options first: refuse them before reading a large body.
		if opts, problems = parseOptions(r.URL.Query()); len(problems) > 0 {
			h.invalidOptions(w, r, problems)
			return nil, opts, false
		}
		export, err = io.ReadAll(body)
	case mediaType == "multipart/form-data":
		var form url.Values
		export, exportName, form, err = readMultipart(body, params["boundary"])
		if err == nil {
			values := r.URL.Query()
			for k, v := range form {
				values[k] = v // a form field overrides the same query parameter
			}
			opts, problems = parseOptions(values)
		}
	default:
		w.Header().Set("Accept-Post", "application/json, multipart/form-data")
		writeProblem(w, r, Problem{Status: http.StatusUnsupportedMediaType,
			Detail: fmt.Sprintf("Content-Type %q is not accepted: send the export as application/json, or as multipart/form-data with a file part named %q", r.Header.Get("Content-Type"), ExportPart)})
		return nil, opts, false
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.tooLarge(w, r)
			return nil, opts, false
		}
		var bad *badRequestError
		if errors.As(err, &bad) {
			writeProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: bad.msg})
			return nil, opts, false
		}
		writeProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: "reading the request body: " + err.Error()})
		return nil, opts, false
	}
	if len(problems) > 0 {
		h.invalidOptions(w, r, problems)
		return nil, opts, false
	}

	opts.ExportName = exportName
	return export, opts, true
}

func (h *handler) startError(w http.ResponseWriter, r *http.Request, err error) {
	if invalid, ok := errors.AsType[*migrations.InvalidExportError](err); ok {
		writeProblem(w, r, Problem{Type: ProblemInvalidExport, Title: "Invalid export", Status: http.StatusBadRequest,
			Detail:   "the export cannot be migrated; nothing was stored or started",
			Problems: invalid.Problems})
		return
	}
	if _, ok := errors.AsType[*exportstore.TooLargeError](err); ok {
		h.tooLarge(w, r)
		return
	}
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		writeProblem(w, r, Problem{Type: ProblemAlreadyStarted, Title: "Migration already started", Status: http.StatusConflict,
			Detail: "a migration with this workflowId exists; follow it at its status URL or choose another ID"})
		return
	}
	h.serviceError(w, r, err)
}

func (h *handler) tooLarge(w http.ResponseWriter, r *http.Request) {
	// Do not read on: the rest of the body is not wanted.
	w.Header().Set("Connection", "close")
	writeProblem(w, r, Problem{Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("the request body is larger than the trigger's limit of %d bytes (--max-body-bytes)", h.cfg.MaxBodyBytes)})
}

func (h *handler) invalidOptions(w http.ResponseWriter, r *http.Request, problems []string) {
	writeProblem(w, r, Problem{Type: ProblemInvalidOptions, Title: "Invalid options", Status: http.StatusBadRequest,
		Detail: "the migration options are invalid; nothing was stored or started", Problems: problems})
}

type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

// readMultipart returns the export file part, its file name and the other fields.
func readMultipart(body io.Reader, boundary string) ([]byte, string, url.Values, error) {
	if boundary == "" {
		return nil, "", nil, &badRequestError{"multipart/form-data without a boundary parameter"}
	}
	mr := multipart.NewReader(body, boundary)
	form := url.Values{}
	var export []byte
	var fileName string
	seenExport := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", nil, err
		}
		name := part.FormName()
		switch {
		case name == ExportPart:
			if seenExport {
				return nil, "", nil, &badRequestError{fmt.Sprintf("more than one %q part: send one export per migration", ExportPart)}
			}
			seenExport = true
			fileName = part.FileName()
			if export, err = io.ReadAll(part); err != nil {
				return nil, "", nil, err
			}
		case name == "":
			return nil, "", nil, &badRequestError{"a multipart part has no form name"}
		default:
			v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, "", nil, err
			}
			if len(v) > maxFieldBytes {
				return nil, "", nil, &badRequestError{fmt.Sprintf("form field %q is longer than %d bytes", name, maxFieldBytes)}
			}
			form.Add(name, string(v))
		}
		part.Close()
	}
	if !seenExport {
		return nil, "", nil, &badRequestError{fmt.Sprintf("no %q file part: upload the Cloudpath export as the form field %q", ExportPart, ExportPart)}
	}
	return export, fileName, form, nil
}

// optionNames are the query parameters / form fields a start accepts.
var optionNames = []string{
	"parallel", "maxConcurrent", "passphraseConcurrency", "policySet",
	"identityGroupName", "poolName", "namePrefix", "nameSuffix",
	"expired", "renewDays", "importInactive", "workflowId",
	"networkMode", "ssid", "ssidMap", "venue", "venueMap", "mergeBySSID", "maxSsidsPerApGroup", "bulkImport",
}

// repeatable are the options that may be given several times: each
// ssidMap or venueMap is one "Cloudpath pool=value", each venue one venue.
var repeatable = []string{"ssidMap", "venue", "venueMap"}

// placeholderRef lets the option checks run before the export is stored.
var placeholderRef = exportstore.Ref{SHA256: strings.Repeat("0", 64)}

// parseOptions reads the start options and checks them with the workflow's own
// rules; it returns every problem at once.
func parseOptions(v url.Values) (migrations.Options, []string) {
	var opts migrations.Options
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(v)) {
		vals := v[name]
		if !slices.Contains(optionNames, name) {
			problems = append(problems, fmt.Sprintf("unknown option %q: the options are %s", name, strings.Join(optionNames, ", ")))
		} else if len(vals) > 1 && !slices.Contains(repeatable, name) {
			problems = append(problems, fmt.Sprintf("option %q is given %d times", name, len(vals)))
		}
	}
	parseBool := func(name string) bool {
		s := v.Get(name)
		if s == "" {
			return false
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: want true or false", name, s))
		}
		return b
	}
	parseInt := func(name string) int {
		s := v.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: want a whole number", name, s))
		}
		return n
	}
	opts.ParallelExecution = parseBool("parallel")
	opts.BulkImport = parseBool("bulkImport")
	opts.MaxConcurrent = parseInt("maxConcurrent")
	opts.PassphraseConcurrency = parseInt("passphraseConcurrency")
	opts.MaxSSIDsPerAPGroup = parseInt("maxSsidsPerApGroup")
	opts.PolicySetName = v.Get("policySet")
	opts.Plan.IdentityGroupName = v.Get("identityGroupName")
	opts.Plan.PoolName = v.Get("poolName")
	opts.Plan.NamePrefix = v.Get("namePrefix")
	opts.Plan.NameSuffix = v.Get("nameSuffix")
	opts.Plan.Expired = cloudpath.ExpiredPolicy(v.Get("expired"))
	opts.Plan.RenewDays = parseInt("renewDays")
	opts.Plan.ImportInactive = parseBool("importInactive")
	if mode := cloudpath.NetworkMode(v.Get("networkMode")); mode != cloudpath.NetworkNone {
		opts.Plan.NetworkMode = mode // "none" is the default, left out of the workflow input
	}
	opts.Plan.SSID = v.Get("ssid")
	opts.Plan.Venues = v["venue"]
	opts.Plan.MergeBySSID = parseBool("mergeBySSID")
	var err error
	if opts.Plan.SSIDMap, err = cloudpath.ParseSSIDMap(v["ssidMap"]); err != nil {
		problems = append(problems, "ssidMap: "+err.Error())
	}
	if opts.Plan.VenueMap, err = cloudpath.ParseVenueMap(v["venueMap"]); err != nil {
		problems = append(problems, "venueMap: "+err.Error())
	}
	if id := v.Get("workflowId"); id != "" {
		if err := migrations.ValidateWorkflowID(id); err != nil {
			problems = append(problems, "workflowId: "+err.Error())
		}
		opts.WorkflowID = id
	}
	if len(problems) > 0 {
		return opts, problems
	}
	// The plan options are checked again, with the real Now, when the export is planned.
	check := opts.Plan
	check.Now = time.Now()
	if err := check.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := (workflows.MigrationInput{
		Export:                placeholderRef,
		Plan:                  opts.Plan,
		ParallelExecution:     opts.ParallelExecution,
		MaxConcurrent:         opts.MaxConcurrent,
		MaxSSIDsPerAPGroup:    opts.MaxSSIDsPerAPGroup,
		PassphraseConcurrency: opts.PassphraseConcurrency,
		PolicySetName:         opts.PolicySetName,
	}).Normalize(); err != nil {
		problems = append(problems, err.Error())
	}
	return opts, problems
}
