package r1sim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type passphraseDTO struct {
	ID                  string `json:"id"`
	Passphrase          string `json:"passphrase"`
	Username            string `json:"username"`
	VLANID              int    `json:"vlanId,omitempty"`
	NumberOfDevices     int    `json:"numberOfDevices,omitempty"`
	NumberOfDevicesType string `json:"numberOfDevicesType,omitempty"` // observed extra
	ExpirationDate      string `json:"expirationDate,omitempty"`
	IdentityID          string `json:"identityId"` // observed extra
	CreatedDate         string `json:"createdDate"`
	LastModifiedDate    string `json:"lastModifiedDate"`
	IsReferenced        bool   `json:"isReferenced"`
}

func (p *passphrase) dto() passphraseDTO {
	return passphraseDTO{ID: p.id, Passphrase: p.value, Username: p.username, VLANID: p.vlan,
		NumberOfDevices: p.devices, NumberOfDevicesType: p.devicesType, ExpirationDate: p.expDate,
		IdentityID: p.identityID, CreatedDate: p.created.UTC().Format(timeFormat),
		LastModifiedDate: p.modified.UTC().Format(timeFormat), IsReferenced: true}
}

const passphraseObject = "DPSK passphrase"

// passphraseBody is a DpskPassphraseCreateDto (or a PATCH subset); nil = absent.
type passphraseBody struct {
	Passphrase          *string `json:"passphrase"`
	Username            *string `json:"username"`
	VLANID              *int    `json:"vlanId"`
	NumberOfDevices     *int    `json:"numberOfDevices"`
	NumberOfDevicesType *string `json:"numberOfDevicesType"`
	ExpirationDate      *string `json:"expirationDate"`
	Length              *int    `json:"length"`
}

// validate checks the rules R1 enforces synchronously. Messages never quote
// the passphrase.
func (b passphraseBody) validate(minLength int) []subError {
	var subs []subError
	bad := func(field, msg string) {
		subs = append(subs, subError{Object: passphraseObject, Field: field, Message: msg})
	}
	if b.Passphrase != nil {
		n := len([]rune(*b.Passphrase))
		switch {
		case n < 8 || n > 63:
			bad("passphrase", "size must be between 8 and 63")
		case n < minLength:
			bad("passphrase", "Passphrase is shorter than the DPSK service's passphrase length")
		}
	}
	if b.VLANID != nil && (*b.VLANID < 1 || *b.VLANID > 4094) {
		bad("vlanId", "must be between 1 and 4094")
	}
	if b.NumberOfDevicesType != nil && *b.NumberOfDevicesType != "" && *b.NumberOfDevicesType != "LIMITED" && *b.NumberOfDevicesType != "UNLIMITED" {
		bad("numberOfDevicesType", "must be LIMITED or UNLIMITED")
	}
	if b.ExpirationDate != nil && *b.ExpirationDate != "" {
		if _, err := time.Parse(time.RFC3339, *b.ExpirationDate); err != nil {
			bad("expirationDate", "must be an ISO-8601 date-time")
		}
	}
	if b.Username != nil && len(*b.Username) > 255 {
		bad("username", "size must be between 0 and 255")
	}
	if b.Length != nil && (*b.Length < 8 || *b.Length > 63) {
		bad("length", "must be between 8 and 63")
	}
	return subs
}

// clampDevices adjusts numberOfDevices into 1..50, as the spec says R1 does.
func clampDevices(n int) int { return min(max(n, 1), 50) }

func (p *pool) lookup(id string) *passphrase { return p.pps[normID(id)] }

// createPassphrase is POST /dpskServices/{poolId}/passphrases with one
// passphrase. Invalid content → sync 400; a duplicate username or value in the
// pool → 202 and a FAIL activity, nothing created; otherwise the passphrase and
// its identity (named after the username, in the pool's group) are created at once.
func (s *Sim) createPassphrase(r *http.Request, t *tenant) reply {
	var body passphraseBody
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	if subs := body.validate(0); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid content supplied", subs...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil || (s.options().RefuseUnfinishedParents && s.now().Before(p.visibleAt)) {
		return notFound("DPSK pool")
	}
	if subs := body.validate(p.length); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid content supplied", subs...)
	}
	t.seq++
	username := deref(body.Username)
	if username == "" {
		username = "DPSK_User_" + itoa(t.seq)
	}
	value := deref(body.Passphrase)
	if value == "" {
		value = s.generatePassphrase(max(p.length, deref(body.Length)), p.format)
	}
	if p.byUser[username] != nil {
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, "CREATE_DPSK_PASSPHRASE",
			failure(passphraseObject, "username", "Passphrase username already exists"))}}
	}
	if p.byValue[value] != nil {
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, "CREATE_DPSK_PASSPHRASE",
			failure(passphraseObject, "passphrase", "Passphrase already exists"))}}
	}
	w := s.stamp()
	pp := &passphrase{value: value, username: username, vlan: deref(body.VLANID),
		expDate: deref(body.ExpirationDate), devicesType: "UNLIMITED"}
	if typ := deref(body.NumberOfDevicesType); typ == "LIMITED" || (typ == "" && body.NumberOfDevices != nil) {
		pp.devicesType = "LIMITED"
		pp.devices = clampDevices(deref(body.NumberOfDevices))
	}
	s.addPassphrase(t, p, w, pp)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "CREATE_DPSK_PASSPHRASE", "")}}
}

// addPassphrase commits a new passphrase (its values set, seq taken from
// t.seq) accepted at w, and the identity R1 makes for it: named after the
// username, in the pool's group, with the passphrase's VLAN. Every way of
// creating passphrases goes through here. Call with t.mu held.
func (s *Sim) addPassphrase(t *tenant, p *pool, w stamp, pp *passphrase) {
	pp.id, pp.created, pp.modified, pp.seq = s.newID(), w.now, w.now, t.seq
	pp.visibleAt = w.at
	if g := t.groups[normID(p.groupID)]; g != nil {
		idn := &identity{id: s.newID(), groupID: g.id, name: pp.username, vlan: pp.vlan, created: w.now}
		idn.visibleAt = w.at
		settleAt(&g.settle, w.at)
		g.identities[normID(idn.id)] = idn
		g.identityOrder = append(g.identityOrder, idn)
		pp.identityID = idn.id
	}
	p.pps[normID(pp.id)] = pp
	p.order = append(p.order, pp)
	p.byUser[pp.username] = pp
	p.byValue[pp.value] = pp
	settleAt(&p.settle, w.at)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Sim) generatePassphrase(n int, format string) string {
	alphabet := "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	if format == "NUMBERS_ONLY" {
		alphabet = "0123456789"
	}
	n = min(max(n, 8), 63)
	b := make([]byte, n)
	s.rngMu.Lock()
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	s.rngMu.Unlock()
	return string(b)
}

// listPassphrases is GET /dpskServices/{poolId}/passphrases: Spring paging from 0, creation order.
func (s *Sim) listPassphrases(r *http.Request, t *tenant) reply {
	page, size, rep, ok := springParams(r)
	if !ok {
		return rep
	}
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	p := v.pool(t, r.PathValue("poolId"))
	if p == nil {
		return notFound("DPSK pool")
	}
	rows := seeAll(&v, p.order)
	from, to := window(len(rows), page*size, size)
	content := make([]passphraseDTO, 0, to-from)
	for _, pp := range rows[from:to] {
		content = append(content, pp.dto())
	}
	return reply{http.StatusOK, springPageOf(content, page, size, len(rows))}
}

// queryPassphrases is POST /dpskServices/{poolId}/passphrases/query: body
// paging from 1. filters.username / filters.passphrase use the pool's indexes.
func (s *Sim) queryPassphrases(r *http.Request, t *tenant) reply {
	raw, rep, ok := strictKeys(r, "fields", "page", "pageSize", "sortField", "sortOrder", "searchTargetFields", "searchString", "filters")
	if !ok {
		return rep
	}
	var q struct {
		Fields             []string `json:"fields"`
		Page               *int     `json:"page"`
		PageSize           *int     `json:"pageSize"`
		SortField          string   `json:"sortField"`
		SortOrder          string   `json:"sortOrder"`
		SearchTargetFields []string `json:"searchTargetFields"`
		SearchString       string   `json:"searchString"`
		Filters            struct {
			Username   []string `json:"username"`
			Passphrase []string `json:"passphrase"`
			VLANID     []int    `json:"vlanId"`
		} `json:"filters"`
	}
	if rep, ok := remarshal(raw, &q); !ok {
		return rep
	}
	page, size := bodyPaging(q.Page, q.PageSize)
	search := strings.ToLower(q.SearchString)
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	p := v.pool(t, r.PathValue("poolId"))
	if p == nil {
		t.mu.Unlock()
		return notFound("DPSK pool")
	}
	var rows []*passphrase
	switch {
	case (len(q.Filters.Username) > 0 || len(q.Filters.Passphrase) > 0) && !v.settled(p.settle):
		// Some passphrase is not shown as committed: match what reads show.
		users, values := setOf(q.Filters.Username), setOf(q.Filters.Passphrase)
		for _, pp := range p.order {
			if sv := see(&v, pp); sv != nil && (users[sv.username] || values[sv.value]) {
				rows = append(rows, sv)
			}
		}
	case len(q.Filters.Username) > 0 || len(q.Filters.Passphrase) > 0:
		seen := map[*passphrase]bool{}
		for _, u := range q.Filters.Username {
			if pp := p.byUser[u]; pp != nil && !seen[pp] {
				seen[pp] = true
				rows = append(rows, pp)
			}
		}
		for _, v := range q.Filters.Passphrase {
			if pp := p.byValue[v]; pp != nil && !seen[pp] {
				seen[pp] = true
				rows = append(rows, pp)
			}
		}
		slices.SortFunc(rows, func(a, b *passphrase) int { return cmp.Compare(a.seq, b.seq) })
	default:
		rows = seeAll(&v, p.order)
	}
	if len(q.Filters.VLANID) > 0 || search != "" {
		var kept []*passphrase
		for _, pp := range rows {
			if len(q.Filters.VLANID) > 0 && !slices.Contains(q.Filters.VLANID, pp.vlan) {
				continue
			}
			if search != "" && !strings.Contains(strings.ToLower(pp.username), search) {
				continue
			}
			kept = append(kept, pp)
		}
		rows = kept
	}
	desc := strings.EqualFold(q.SortOrder, "DESC")
	if q.SortField == "username" {
		rows = slices.Clone(rows)
		slices.SortStableFunc(rows, func(a, b *passphrase) int { return strings.Compare(a.username, b.username) })
	}
	total := len(rows)
	from, to := window(total, (page-1)*size, size)
	data := make([]passphraseDTO, 0, to-from)
	for i := from; i < to; i++ {
		j := i
		if desc { // createdDate (the default order) or username, newest/last first
			j = total - 1 - i
		}
		data = append(data, rows[j].dto())
	}
	t.mu.Unlock()
	if q.Fields == nil {
		q.Fields = []string{}
	}
	return reply{http.StatusOK, bodyPage[passphraseDTO]{Fields: q.Fields, TotalCount: total,
		TotalPages: (total + size - 1) / size, Page: page, Data: data}}
}

func (s *Sim) getPassphrase(r *http.Request, t *tenant) reply {
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	p := v.pool(t, r.PathValue("poolId"))
	if p == nil {
		return notFound("DPSK pool")
	}
	pp := lookup(&v, p.pps, p.order, p.settle, r.PathValue("id"))
	if pp == nil {
		return notFound("DPSK passphrase")
	}
	return reply{http.StatusOK, see(&v, pp).dto()}
}

// patchPassphrase is PATCH /dpskServices/{poolId}/passphrases/{id}.
func (s *Sim) patchPassphrase(r *http.Request, t *tenant) reply {
	var body passphraseBody
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	if subs := body.validate(0); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid content supplied", subs...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	pp := p.lookup(r.PathValue("id"))
	if pp == nil {
		return notFound("DPSK passphrase")
	}
	if subs := body.validate(p.length); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid content supplied", subs...)
	}
	if body.Username != nil && *body.Username != pp.username && p.byUser[*body.Username] != nil {
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, "UPDATE_DPSK_PASSPHRASE",
			failure(passphraseObject, "username", "Passphrase username already exists"))}}
	}
	if body.Passphrase != nil && *body.Passphrase != pp.value && p.byValue[*body.Passphrase] != nil {
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, "UPDATE_DPSK_PASSPHRASE",
			failure(passphraseObject, "passphrase", "Passphrase already exists"))}}
	}
	w := s.stamp()
	pp.keep(pp.snapshot(), w)
	if body.Username != nil {
		delete(p.byUser, pp.username)
		pp.username = *body.Username
		p.byUser[pp.username] = pp
	}
	if body.Passphrase != nil {
		delete(p.byValue, pp.value)
		pp.value = *body.Passphrase
		p.byValue[pp.value] = pp
	}
	if body.VLANID != nil {
		pp.vlan = *body.VLANID
	}
	if body.NumberOfDevices != nil {
		pp.devicesType = "LIMITED"
		pp.devices = clampDevices(*body.NumberOfDevices)
	}
	if body.NumberOfDevicesType != nil && *body.NumberOfDevicesType == "UNLIMITED" {
		pp.devicesType, pp.devices = "UNLIMITED", 0
	}
	if body.ExpirationDate != nil {
		pp.expDate = *body.ExpirationDate
	}
	pp.modified = w.now
	settleAt(&p.settle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "UPDATE_DPSK_PASSPHRASE", "")}}
}

// deletePassphrases is DELETE /dpskServices/{poolId}/passphrases with a JSON
// array of ids. Unknown ids are ignored; each passphrase's identity goes with it.
func (s *Sim) deletePassphrases(r *http.Request, t *tenant) reply {
	var ids []string
	if rep, ok := decode(r, &ids); !ok {
		return rep
	}
	if len(ids) == 0 {
		return errReply(http.StatusBadRequest, "Invalid content supplied", subError{Object: passphraseObject, Field: "ids", Message: "must not be empty"})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	g := t.groups[normID(p.groupID)]
	w := s.stamp()
	removed := false
	for _, id := range ids {
		pp := p.lookup(id)
		if pp == nil {
			continue
		}
		removed = true
		pp.remove(w)
		delete(p.pps, normID(pp.id))
		delete(p.byUser, pp.username)
		delete(p.byValue, pp.value)
		if g != nil && pp.identityID != "" {
			if idn := g.identities[normID(pp.identityID)]; idn != nil {
				idn.remove(w)
				delete(g.identities, normID(idn.id))
			}
		}
	}
	if removed {
		p.order = without(p.order, func(x *passphrase) bool { return x.prunable(w.now) })
		settleAt(&p.settle, w.at)
		if g != nil {
			g.identityOrder = without(g.identityOrder, func(x *identity) bool { return x.prunable(w.now) })
			settleAt(&g.settle, w.at)
		}
	}
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "DELETE_DPSK_PASSPHRASES", "")}}
}
