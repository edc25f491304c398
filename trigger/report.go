package trigger

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/report"
)

// ProblemExportUnavailable: the report needs the migration's export, and the
// store cannot give it (pruned, or changed); storing the same file again fixes it.
const ProblemExportUnavailable = "urn:dpskmigrate:problem:export-unavailable"

// Media types of the report.
const (
	reportCSV  = "text/csv"
	reportJSON = "application/json"
)

// report serves GET /v1/migrations/{id}/report: CSV unless the Accept header
// prefers JSON (no Accept, */* and text/* get CSV, the file a person
// downloads; application/json or application/* get JSON). Any other Accept is
// refused with 406 before Temporal is asked anything.
func (h *handler) report(w http.ResponseWriter, r *http.Request) {
	mediaType, ok := negotiateReport(r.Header.Values("Accept"))
	if !ok {
		writeProblem(w, r, Problem{Status: http.StatusNotAcceptable,
			Detail: "the report is served as " + reportCSV + " (the default) or " + reportJSON + "; send one of them in Accept"})
		return
	}
	id := r.PathValue("id")
	rep, err := h.svc.Report(r.Context(), id)
	if unavailable, ok := errors.AsType[*migrations.ExportUnavailableError](err); ok {
		writeProblem(w, r, Problem{Type: ProblemExportUnavailable, Title: "The migration's export is not in the store", Status: http.StatusConflict,
			Detail: "the report plans the migration's export (sha256 " + unavailable.SHA256 + ") again and the export store cannot give it: store the same export file again with `dpskmigrate store FILE` in the workers' store"})
		return
	}
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	// Built whole before the first byte, so a failure above is still a
	// problem document; the rows are then streamed.
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "no-store") // every username of the export
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Report-Totals", rep.Totals.String())
	write := rep.WriteJSON
	if mediaType == reportCSV {
		w.Header().Set("Content-Type", reportCSV+"; charset=utf-8; header=present")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": report.FileName(id, "csv")}))
		write = rep.WriteCSV
	} else {
		w.Header().Set("Content-Type", reportJSON)
	}
	w.WriteHeader(http.StatusOK)
	if err := write(w); err != nil {
		h.log.Warn("report cut short", "path", r.URL.EscapedPath(), "error", err)
	}
}

// negotiateReport picks the report's media type from Accept headers (RFC 9110
// §12.5.1): each type takes the q of the most specific range that matches it
// (text/csv over text/* over */*); the higher q wins, CSV on a tie, and q=0
// refuses a type.
func negotiateReport(accept []string) (string, bool) {
	return negotiate(accept, reportCSV, reportJSON)
}

// negotiate picks one of offered (the first is the default, and wins a tie)
// by the rules of negotiateReport.
func negotiate(accept []string, offered ...string) (string, bool) {
	if strings.TrimSpace(strings.Join(accept, "")) == "" {
		return offered[0], true // none, or empty: anything goes
	}
	type match struct {
		q        float64
		specific int // 0 none, 1 */*, 2 type/*, 3 the type itself
	}
	best := make([]match, len(offered))
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			for i, t := range offered {
				specific := 0
				switch {
				case mt == t:
					specific = 3
				case strings.HasSuffix(mt, "/*") && strings.HasPrefix(t, strings.TrimSuffix(mt, "*")):
					specific = 2
				case mt == "*/*":
					specific = 1
				}
				if specific > best[i].specific {
					best[i] = match{q, specific}
				}
			}
		}
	}
	choice, q := "", 0.0
	for i, t := range offered {
		if best[i].specific > 0 && best[i].q > q {
			choice, q = t, best[i].q
		}
	}
	return choice, choice != ""
}
