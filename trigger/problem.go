package trigger

import (
	"encoding/json"
	"net/http"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string   `json:"type"`
	Title    string   `json:"title"`
	Status   int      `json:"status"`
	Detail   string   `json:"detail,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Problems []string `json:"problems,omitempty"` // every reason, when there are several
}

// Problem types a client can branch on; the rest use "about:blank" and the
// HTTP status says it all.
const (
	ProblemInvalidExport  = "urn:dpskmigrate:problem:invalid-export"
	ProblemInvalidOptions = "urn:dpskmigrate:problem:invalid-options"
	ProblemAlreadyStarted = "urn:dpskmigrate:problem:already-started"
	ProblemNotRunning     = "urn:dpskmigrate:problem:not-running"
)

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
