package r1sim

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// tenant holds one R1 tenant's objects. Every map is keyed by normID so ids
// match with or without dashes; order slices keep creation order for paging.
type tenant struct {
	id     string
	bucket *bucket

	mu         sync.Mutex
	groups     map[string]*group
	groupOrder []*group
	groupNames map[string]*group // exact name
	pools      map[string]*pool
	poolOrder  []*pool
	poolNames  map[string]*pool // exact name
	sets       map[string]*policySet
	setOrder   []*policySet
	setNames   map[string]*policySet // lower-case name
	acts       map[string]*activity
	actOrder   []*activity
	seq        int64

	// Reads of groups and of pools equal the committed state from then on.
	groupsSettle, poolsSettle time.Time

	// Wi-Fi networks (see networks.go) and venues with their AP groups
	// (venues.go; seeded, never written through R1 routes).
	networks       map[string]*network
	networkOrder   []*network
	networkNames   map[string]*network // exact name
	networkSSIDs   map[string]*network // exact SSID
	networksSettle time.Time
	venues         map[string]*venue
	venueOrder     []*venue
	apGroups       map[string]*apGroup
}

type group struct {
	id, name, description string
	dpskPoolID            string
	policySetID           string
	created               time.Time
	identities            map[string]*identity
	identityOrder         []*identity
	settle                time.Time // of the identities
	state[group]
}

type identity struct {
	id, groupID, name, description string
	vlan                           int
	created                        time.Time
	state[identity]
}

type pool struct {
	id, name, description, groupID string
	format                         string
	length, deviceLimit            int
	expType                        string
	expOffset                      int
	expDate                        string
	policySetID                    string
	created, modified              time.Time
	state[pool]

	settle  time.Time // of the passphrases
	pps     map[string]*passphrase
	order   []*passphrase // creation order
	byUser  map[string]*passphrase
	byValue map[string]*passphrase
}

type passphrase struct {
	id, value, username string
	vlan                int
	devices             int
	devicesType         string
	expDate             string
	identityID          string
	created, modified   time.Time
	seq                 int64
	state[passphrase]
}

type policySet struct {
	id, name, description string
	created               time.Time
	deleted               bool
}

// activity is the async outcome of a 202 write. Its visibility and status
// follow the clock: 404 for notFoundFor, then PENDING/INPROGRESS for
// pendingFor and at least until the write is visible to reads (visibleAt),
// then SUCCESS or FAIL (failure is the raw double-encoded text).
type activity struct {
	requestID   string
	useCase     string
	created     time.Time
	notFoundFor time.Duration
	pendingFor  time.Duration
	visibleAt   time.Time
	failure     string
}

func newTenant(id string, b *bucket) *tenant {
	return &tenant{
		id: id, bucket: b,
		groups: map[string]*group{}, groupNames: map[string]*group{},
		pools: map[string]*pool{}, poolNames: map[string]*pool{},
		sets: map[string]*policySet{}, setNames: map[string]*policySet{},
		acts:     map[string]*activity{},
		networks: map[string]*network{}, networkNames: map[string]*network{}, networkSSIDs: map[string]*network{},
		venues: map[string]*venue{}, apGroups: map[string]*apGroup{},
	}
}

func normID(id string) string { return strings.ToLower(strings.ReplaceAll(id, "-", "")) }

func (a *activity) status(now time.Time) (status string, visible bool, end time.Time) {
	shown := a.created.Add(a.notFoundFor)
	if now.Before(shown) {
		return "", false, time.Time{}
	}
	end = shown.Add(a.pendingFor)
	if a.visibleAt.After(end) { // an activity never completes before its write is visible
		end = a.visibleAt
	}
	if now.Before(end) {
		if now.Sub(shown) < end.Sub(shown)/2 {
			return "PENDING", true, time.Time{}
		}
		return "INPROGRESS", true, time.Time{}
	}
	if a.failure != "" {
		return "FAIL", true, end
	}
	return "SUCCESS", true, end
}

// failureText renders R1's double-encoded activity error: a JSON object whose
// "errors" items are themselves JSON-encoded strings.
func failureText(requestID, object, field, message string) string {
	inner, _ := json.Marshal(map[string]any{
		"message":   "Validation Error",
		"subErrors": []map[string]string{{"object": object, "field": field, "message": message}},
	})
	outer, _ := json.Marshal(map[string]any{"requestId": requestID, "errors": []string{string(inner)}})
	return string(outer)
}

// addActivity records the activity of a write; call with t.mu held.
func (t *tenant) addActivity(s *Sim, useCase, failure string) string {
	return t.addActivityAt(s, s.stamp(), useCase, failure)
}

// addActivityAt records the activity of a write accepted at w.now whose
// effect reads see at w.at; call with t.mu held.
func (t *tenant) addActivityAt(s *Sim, w stamp, useCase, failure string) string {
	o := s.options()
	id := s.newID()
	a := &activity{requestID: id, useCase: useCase, created: w.now,
		notFoundFor: o.ActivityNotFoundFor, pendingFor: o.ActivityPendingFor, visibleAt: w.at}
	if failure != "" {
		a.failure = failureTextFor(id, failure)
	}
	t.acts[normID(id)] = a
	t.actOrder = append(t.actOrder, a)
	return id
}

// failure is encoded as "object|field|message" until the request id is known.
func failureTextFor(requestID, f string) string {
	parts := strings.SplitN(f, "|", 3)
	for len(parts) < 3 {
		parts = append([]string{""}, parts...)
	}
	return failureText(requestID, parts[0], parts[1], parts[2])
}

func failure(object, field, message string) string { return object + "|" + field + "|" + message }
