package r1sim

import (
	"maps"
	"sync"
)

// Stats counts what the simulator saw and did. Calls are keyed by operation,
// e.g. "POST /dpskServices/{id}/passphrases"; token calls are counted too
// (never rate limited). Faults are the injected ones only. StaleReads are
// reads whose answer differed from the committed state because a write was
// not yet visible (Options.VisibilityDelay). Abandoned counts R1 calls whose
// client went away before the answer (it hung up while sending, during the
// latency or a slow fault, or while the call was handled).
type Stats struct {
	Calls          map[string]int         `json:"calls"`
	TotalCalls     int                    `json:"totalCalls"`
	RateLimited    int                    `json:"rateLimited"`
	ServerErrors   int                    `json:"serverErrors"`
	SlowResponses  int                    `json:"slowResponses"`
	CommitThenFail int                    `json:"commitThenFail"`
	Abandoned      int                    `json:"abandoned"`
	Unauthorized   int                    `json:"unauthorized"`
	TokensIssued   int                    `json:"tokensIssued"`
	StaleReads     int                    `json:"staleReads"`
	PerTenant      map[string]int         `json:"perTenant"` // calls per tenant
	Tenants        map[string]TenantStats `json:"tenants"`   // the same breakdown per tenant
}

// TenantStats is one tenant's share of Stats.
type TenantStats struct {
	Calls          map[string]int `json:"calls"`
	TotalCalls     int            `json:"totalCalls"`
	RateLimited    int            `json:"rateLimited"`
	ServerErrors   int            `json:"serverErrors"`
	SlowResponses  int            `json:"slowResponses"`
	CommitThenFail int            `json:"commitThenFail"`
	StaleReads     int            `json:"staleReads"`
	Abandoned      int            `json:"abandoned"`
}

type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = Stats{Calls: map[string]int{}, PerTenant: map[string]int{}, Tenants: map[string]TenantStats{}}
}

func (r *statsRecorder) tenant(id string, f func(*TenantStats)) {
	ts, ok := r.s.Tenants[id]
	if !ok {
		ts.Calls = map[string]int{}
	}
	f(&ts)
	r.s.Tenants[id] = ts
}

func (r *statsRecorder) call(op, tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Calls[op]++
	r.s.TotalCalls++
	r.s.PerTenant[tenant]++
	r.tenant(tenant, func(t *TenantStats) { t.Calls[op]++; t.TotalCalls++ })
}

// tokenCall counts a token request; issued says whether a token came out of it.
func (r *statsRecorder) tokenCall(issued bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Calls["POST /oauth2/token/{id}"]++
	r.s.TotalCalls++
	if issued {
		r.s.TokensIssued++
	} else {
		r.s.Unauthorized++
	}
}

// unauthorized counts an R1 call refused for a missing or expired token.
func (r *statsRecorder) unauthorized(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Unauthorized++
	r.s.Calls[op]++
	r.s.TotalCalls++
}

func (r *statsRecorder) rateLimited(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.RateLimited++
	r.tenant(tenant, func(t *TenantStats) { t.RateLimited++ })
}

func (r *statsRecorder) serverError(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.ServerErrors++
	r.tenant(tenant, func(t *TenantStats) { t.ServerErrors++ })
}

func (r *statsRecorder) slow(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.SlowResponses++
	r.tenant(tenant, func(t *TenantStats) { t.SlowResponses++ })
}

func (r *statsRecorder) commitThenFail(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.CommitThenFail++
	r.tenant(tenant, func(t *TenantStats) { t.CommitThenFail++ })
}

func (r *statsRecorder) staleRead(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.StaleReads++
	r.tenant(tenant, func(t *TenantStats) { t.StaleReads++ })
}

func (r *statsRecorder) abandoned(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Abandoned++
	r.tenant(tenant, func(t *TenantStats) { t.Abandoned++ })
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.s
	out.Calls = maps.Clone(r.s.Calls)
	out.PerTenant = maps.Clone(r.s.PerTenant)
	out.Tenants = make(map[string]TenantStats, len(r.s.Tenants))
	for k, v := range r.s.Tenants {
		v.Calls = maps.Clone(v.Calls)
		out.Tenants[k] = v
	}
	return out
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats { return s.stats.snapshot() }
