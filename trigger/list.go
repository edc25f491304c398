package trigger

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/dpskmigrate/dpskmigrate/migrations"
)

// ListResponse answers GET /v1/migrations.
type ListResponse struct {
	Migrations []migrations.Listed `json:"migrations"`
	Limit      int                 `json:"limit"`
}

// list answers GET /v1/migrations?limit=N: the migrations of this trigger's
// task queue with their state, running ones first, then the most recently
// ended (migrations.Service.List).
func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(q)) {
		switch {
		case name != "limit":
			problems = append(problems, fmt.Sprintf("unknown parameter %q: the only one is limit", name))
		case len(q[name]) > 1:
			problems = append(problems, fmt.Sprintf("parameter %q is given %d times", name, len(q[name])))
		}
	}
	limit := migrations.DefaultListLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > migrations.MaxListLimit {
			problems = append(problems, fmt.Sprintf("limit=%q: want a whole number from 1 to %d (default %d)", s, migrations.MaxListLimit, migrations.DefaultListLimit))
		}
		limit = n
	}
	if len(problems) > 0 {
		writeProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: problems[0], Problems: problems})
		return
	}
	listed, err := h.svc.List(r.Context(), migrations.ListFilter{Limit: limit})
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ListResponse{Migrations: listed, Limit: limit})
}
