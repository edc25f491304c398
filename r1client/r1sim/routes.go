package r1sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

func (s *Sim) routes() {
	s.mux.HandleFunc("POST /oauth2/token/{tenantId}", s.handleToken)

	// Identity groups and identities (IDM; Spring paging).
	s.r1("POST /identityGroups/query", false, s.queryGroups)
	s.r1("POST /identityGroups", true, s.createGroup)
	s.r1("GET /identityGroups/{id}", false, s.getGroup)
	s.r1("DELETE /identityGroups/{id}", true, s.deleteGroup)
	s.r1("GET /identityGroups/{groupId}/identities", false, s.listIdentities)
	s.r1("GET /identityGroups/{groupId}/identities/{id}", false, s.getIdentity)
	s.r1("PATCH /identityGroups/{groupId}/identities/{id}", true, s.patchIdentity)

	// DPSK pools ("DPSK services"; body paging from 1).
	s.r1("POST /identityGroups/{groupId}/dpskServices", true, s.createPool)
	s.r1("POST /dpskServices/query", false, s.queryPools)
	s.r1("GET /dpskServices/{poolId}", false, s.getPool)
	s.r1("PATCH /dpskServices/{poolId}", true, s.patchPool)
	s.r1("DELETE /dpskServices/{poolId}", true, s.deletePool)
	s.r1("PUT /dpskServices/{poolId}/policySets/{policySetId}", true, s.attachPolicySet)
	s.r1("DELETE /dpskServices/{poolId}/policySets/{policySetId}", true, s.detachPolicySet)

	// Passphrases.
	s.r1("POST /dpskServices/{poolId}/passphrases", true, s.createPassphrase)
	s.r1("GET /dpskServices/{poolId}/passphrases", false, s.listPassphrases)
	s.r1("DELETE /dpskServices/{poolId}/passphrases", true, s.deletePassphrases)
	s.r1("POST /dpskServices/{poolId}/passphrases/query", false, s.queryPassphrases)
	s.r1("GET /dpskServices/{poolId}/passphrases/{id}", false, s.getPassphrase)
	s.r1("PATCH /dpskServices/{poolId}/passphrases/{id}", true, s.patchPassphrase)
	s.r1("POST /dpskServices/{poolId}/passphrases/csvFiles", true, s.importPassphrases)

	// Policy sets (adaptive policy; synchronous; paging + content from 0).
	s.r1("POST /policySets", true, s.createPolicySet)
	s.r1("POST /policySets/query", false, s.queryPolicySets)
	s.r1("GET /policySets/{policySetId}", false, s.getPolicySet)
	s.r1("DELETE /policySets/{policySetId}", true, s.deletePolicySet)

	s.r1("DELETE /identityGroups/{groupId}/identities", true, s.deleteIdentities)

	// Wi-Fi networks and their activation on venues (Wi-Fi API); venues and
	// AP groups (venue service, view-model searches paged from 1).
	s.r1("POST /wifiNetworks", true, s.createNetwork)
	s.r1("POST /wifiNetworks/query", false, s.queryNetworks)
	s.r1("GET /wifiNetworks/{networkId}", false, s.getNetwork)
	s.r1("DELETE /wifiNetworks/{networkId}", true, s.deleteNetwork)
	s.r1("PUT /wifiNetworks/{networkId}/dpskServices/{poolId}", true, s.bindPool)
	s.r1("GET /venues/{venueId}", false, s.getVenue)
	s.r1("POST /venues/query", false, s.queryVenues)
	s.r1("POST /venues/apGroups/query", false, s.queryAPGroups)
	s.r1("PUT /venues/{venueId}/wifiNetworks/{networkId}", true, s.activateNetwork)
	s.r1("DELETE /venues/{venueId}/wifiNetworks/{networkId}", true, s.deactivateNetwork)

	// Activities.
	s.r1("GET /activities/{activityId}", false, s.getActivity)
	s.r1("POST /activities/query", false, s.queryActivities)

	// Inspection API, apart from the R1 routes: no token, no rate limit, no stats.
	s.mux.HandleFunc("GET /__sim/inventory", s.handleInventory)
	s.mux.HandleFunc("GET /__sim/stats", s.handleStats)
	s.mux.HandleFunc("GET /__sim/config", s.handleGetConfig)
	s.mux.HandleFunc("POST /__sim/config", s.handleConfig)
	s.mux.HandleFunc("POST /__sim/reset", s.handleReset)
	s.mux.HandleFunc("POST /__sim/venues", s.handleSeedVenue)
	s.mux.HandleFunc("POST /__sim/networks", s.handleSeedNetwork)

	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "No handler found for "+r.Method+" "+r.URL.Path)
	})
}

const maxBody = 1 << 20

// decode reads a JSON body; a nil error reply means success. The body is
// never quoted back: it may hold a passphrase.
func decode(r *http.Request, v any) (reply, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errReply(http.StatusBadRequest, "Could not read the request body"), false
	}
	if len(b) > maxBody {
		return errReply(http.StatusRequestEntityTooLarge, "Request body too large"), false
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errReply(http.StatusBadRequest, "Malformed JSON request",
				subError{Field: te.Field, Message: "must be of type " + te.Type.String()}), false
		}
		return errReply(http.StatusBadRequest, "Malformed JSON request"), false
	}
	return reply{}, true
}

// strictKeys reports the first key of a JSON object body not in allowed. R1's
// DPSK query endpoints answer 500 to unknown keys.
func strictKeys(r *http.Request, allowed ...string) (map[string]json.RawMessage, reply, bool) {
	var m map[string]json.RawMessage
	if rep, ok := decode(r, &m); !ok {
		return nil, rep, false
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for k := range m {
		if !ok[k] {
			return nil, errReply(http.StatusInternalServerError, "Internal Server Error"), false
		}
	}
	return m, reply{}, true
}

// springParams reads ?page=&size= (page from 0, default size 20, at most 2000).
func springParams(r *http.Request) (page, size int, rep reply, ok bool) {
	page, size = 0, 20
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errReply(http.StatusBadRequest, "Invalid page parameter", subError{Field: "page", Message: "must be an integer >= 0"}), false
		}
		page = n
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, errReply(http.StatusBadRequest, "Invalid size parameter", subError{Field: "size", Message: "must be an integer >= 1"}), false
		}
		size = min(n, 2000)
	}
	return page, size, reply{}, true
}

// window returns the [from, to) slice bounds of a page.
func window(n, offset, size int) (int, int) {
	from := min(max(offset, 0), n)
	return from, min(from+size, n)
}

type sortObject struct {
	Empty    bool `json:"empty"`
	Sorted   bool `json:"sorted"`
	Unsorted bool `json:"unsorted"`
}

type pageable struct {
	Offset     int        `json:"offset"`
	Sort       sortObject `json:"sort"`
	PageNumber int        `json:"pageNumber"`
	PageSize   int        `json:"pageSize"`
	Paged      bool       `json:"paged"`
	Unpaged    bool       `json:"unpaged"`
}

// springPage is paging style B.
type springPage[T any] struct {
	Content          []T        `json:"content"`
	Pageable         pageable   `json:"pageable"`
	TotalElements    int        `json:"totalElements"`
	TotalPages       int        `json:"totalPages"`
	Last             bool       `json:"last"`
	Size             int        `json:"size"`
	Number           int        `json:"number"`
	Sort             sortObject `json:"sort"`
	NumberOfElements int        `json:"numberOfElements"`
	First            bool       `json:"first"`
	Empty            bool       `json:"empty"`
}

func newSpringPage[T any](all []T, page, size int) springPage[T] {
	from, to := window(len(all), page*size, size)
	return springPageOf(append([]T{}, all[from:to]...), page, size, len(all))
}

// springPageOf wraps one page's content, total being the count over all pages.
func springPageOf[T any](content []T, page, size, total int) springPage[T] {
	if content == nil {
		content = []T{}
	}
	pages := (total + size - 1) / size
	so := sortObject{Empty: true, Unsorted: true}
	return springPage[T]{
		Content:          content,
		Pageable:         pageable{Offset: page * size, Sort: so, PageNumber: page, PageSize: size, Paged: true},
		TotalElements:    total,
		TotalPages:       pages,
		Last:             page >= pages-1,
		Size:             size,
		Number:           page,
		Sort:             so,
		NumberOfElements: len(content),
		First:            page == 0,
		Empty:            len(content) == 0,
	}
}

// bodyPage is paging style A (page from 1).
type bodyPage[T any] struct {
	Fields     []string `json:"fields"`
	TotalCount int      `json:"totalCount"`
	TotalPages int      `json:"totalPages"`
	Page       int      `json:"page"`
	Data       []T      `json:"data"`
}

func newBodyPage[T any](all []T, page, size int, fields []string) bodyPage[T] {
	if fields == nil {
		fields = []string{}
	}
	from, to := window(len(all), (page-1)*size, size)
	return bodyPage[T]{Fields: fields, TotalCount: len(all), TotalPages: (len(all) + size - 1) / size,
		Page: page, Data: append([]T{}, all[from:to]...)}
}

// bodyPaging reads the page (from 1; 0 is taken as 1) and pageSize (default 10, at most 2000).
func bodyPaging(page, size *int) (int, int) {
	p, n := 1, 10
	if page != nil && *page > 1 {
		p = *page
	}
	if size != nil && *size > 0 {
		n = min(*size, 2000)
	}
	return p, n
}
