package r1sim

import (
	"net/http"
	"strings"
)

type groupDTO struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	DPSKPoolID    string `json:"dpskPoolId,omitempty"`
	PolicySetID   string `json:"policySetId,omitempty"`
	IdentityCount int    `json:"identityCount"`
	CreatedAt     string `json:"createdAt"`
}

func (g *group) dto() groupDTO {
	return groupDTO{ID: g.id, Name: g.name, Description: g.description, DPSKPoolID: g.dpskPoolID,
		PolicySetID: g.policySetID, IdentityCount: len(g.identities), CreatedAt: g.created.UTC().Format(timeFormat)}
}

type identityDTO struct {
	ID          string `json:"id"`
	GroupID     string `json:"groupId"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	VLAN        int    `json:"vlan,omitempty"`
	CreatedAt   string `json:"createdAt"`
}

func (i *identity) dto() identityDTO {
	return identityDTO{ID: i.id, GroupID: i.groupID, Name: i.name, Description: i.description, VLAN: i.vlan,
		CreatedAt: i.created.UTC().Format(timeFormat)}
}

type accepted struct {
	RequestID string `json:"requestId"`
	ID        string `json:"id,omitempty"`
}

func notFound(what string) reply { return errReply(http.StatusNotFound, what+" not found") }

// queryGroups is POST /identityGroups/query?page=&size=: Spring paging from 0;
// paging keys in the body are ignored, as R1 does. Like R1 it answers ids
// without dashes.
func (s *Sim) queryGroups(r *http.Request, t *tenant) reply {
	page, size, rep, ok := springParams(r)
	if !ok {
		return rep
	}
	var body struct {
		Keyword      string `json:"keyword"`
		SearchString string `json:"searchString"`
	}
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	kw := strings.ToLower(body.Keyword)
	if kw == "" {
		kw = strings.ToLower(body.SearchString)
	}
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	var all []groupDTO
	for _, g := range t.groupOrder {
		if sg := see(&v, g); sg != nil && (kw == "" || strings.Contains(strings.ToLower(sg.name), kw)) {
			d := v.groupDTO(g, sg)
			d.ID = strings.ReplaceAll(d.ID, "-", "")
			all = append(all, d)
		}
	}
	return reply{http.StatusOK, newSpringPage(all, page, size)}
}

func (s *Sim) createGroup(r *http.Request, t *tenant) reply {
	var body struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	if subs := checkName("name", body.Name); subs != nil {
		return errReply(http.StatusBadRequest, "Validation Error", subs...)
	}
	if len(body.Description) > 255 {
		return errReply(http.StatusBadRequest, "Validation Error", subError{Object: "identityGroup", Field: "description", Message: "size must be between 0 and 255"})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.groupNames[body.Name] != nil {
		return errReply(http.StatusConflict, "Identity group name already exists",
			subError{Object: "identityGroup", Field: "name", Message: "Name must be unique"})
	}
	w := s.stamp()
	g := &group{id: s.newID(), name: body.Name, description: body.Description, created: w.now, identities: map[string]*identity{}}
	g.visibleAt = w.at
	t.groups[normID(g.id)] = g
	t.groupOrder = append(t.groupOrder, g)
	t.groupNames[g.name] = g
	settleAt(&t.groupsSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "CREATE_IDENTITY_GROUP", ""), ID: g.id}}
}

func checkName(field, name string) []subError {
	switch {
	case strings.TrimSpace(name) == "":
		return []subError{{Field: field, Message: "must not be blank"}}
	case len(name) > 255:
		return []subError{{Field: field, Message: "size must be between 1 and 255"}}
	}
	return nil
}

func (s *Sim) getGroup(r *http.Request, t *tenant) reply {
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	g := lookup(&v, t.groups, t.groupOrder, t.groupsSettle, r.PathValue("id"))
	if g == nil {
		return notFound("Identity group")
	}
	return reply{http.StatusOK, v.groupDTO(g, see(&v, g))}
}

// groupDTO renders the version sg of g that reads show, with the identities they show.
func (v *view) groupDTO(g, sg *group) groupDTO {
	d := sg.dto()
	d.IdentityCount = v.identityCount(g)
	return d
}

func (s *Sim) deleteGroup(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.groups[normID(r.PathValue("id"))]
	if g == nil {
		return notFound("Identity group")
	}
	if g.dpskPoolID != "" {
		return errReply(http.StatusBadRequest, "GENERAL-026: Identity group is associated with a DPSK pool and cannot be deleted",
			subError{Code: "GENERAL-026", Object: "identityGroup", Message: "Identity group is associated with a DPSK pool"})
	}
	if len(g.identities) > 0 {
		return errReply(http.StatusBadRequest, "Identity group still has identities and cannot be deleted",
			subError{Object: "identityGroup", Message: "Identity group is not empty"})
	}
	w := s.stamp()
	g.remove(w)
	delete(t.groups, normID(g.id))
	delete(t.groupNames, g.name)
	t.groupOrder = without(t.groupOrder, func(x *group) bool { return x.prunable(w.now) })
	settleAt(&t.groupsSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "DELETE_IDENTITY_GROUP", ""), ID: g.id}}
}

// without drops the elements for which gone is true, keeping the order.
func without[T any](xs []T, gone func(T) bool) []T {
	out := xs[:0]
	for _, x := range xs {
		if !gone(x) {
			out = append(out, x)
		}
	}
	clear(xs[len(out):])
	return out
}

func (s *Sim) listIdentities(r *http.Request, t *tenant) reply {
	page, size, rep, ok := springParams(r)
	if !ok {
		return rep
	}
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	g := lookup(&v, t.groups, t.groupOrder, t.groupsSettle, r.PathValue("groupId"))
	if g == nil {
		return notFound("Identity group")
	}
	rows := seeAll(&v, g.identityOrder)
	from, to := window(len(rows), page*size, size)
	content := make([]identityDTO, 0, to-from)
	for _, id := range rows[from:to] {
		content = append(content, id.dto())
	}
	return reply{http.StatusOK, springPageOf(content, page, size, len(rows))}
}

func (s *Sim) getIdentity(r *http.Request, t *tenant) reply {
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	g := lookup(&v, t.groups, t.groupOrder, t.groupsSettle, r.PathValue("groupId"))
	if g == nil {
		return notFound("Identity group")
	}
	id := lookup(&v, g.identities, g.identityOrder, g.settle, r.PathValue("id"))
	if id == nil {
		return notFound("Identity")
	}
	return reply{http.StatusOK, see(&v, id).dto()}
}

func (s *Sim) patchIdentity(r *http.Request, t *tenant) reply {
	var body struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		VLAN        *int    `json:"vlan"`
	}
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	var subs []subError
	if body.Description != nil && len(*body.Description) > 255 {
		subs = append(subs, subError{Object: "identity", Field: "description", Message: "size must be between 0 and 255"})
	}
	if body.VLAN != nil && (*body.VLAN < 1 || *body.VLAN > 4094) {
		subs = append(subs, subError{Object: "identity", Field: "vlan", Message: "must be between 1 and 4094"})
	}
	if body.Name != nil {
		subs = append(subs, checkName("name", *body.Name)...)
	}
	if subs != nil {
		return errReply(http.StatusBadRequest, "Validation Error", subs...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.groups[normID(r.PathValue("groupId"))]
	if g == nil {
		return notFound("Identity group")
	}
	id := g.identities[normID(r.PathValue("id"))]
	if id == nil {
		return notFound("Identity")
	}
	w := s.stamp()
	id.keep(id.snapshot(), w)
	if body.Name != nil {
		id.name = *body.Name
	}
	if body.Description != nil {
		id.description = *body.Description
	}
	if body.VLAN != nil {
		id.vlan = *body.VLAN
	}
	settleAt(&g.settle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "UPDATE_PERSONA", ""), ID: id.id}}
}

// deleteIdentities is DELETE /identityGroups/{groupId}/identities with a
// JSON array of identity ids. Unknown ids are ignored. An identity's
// passphrase goes with it ("identities cascade-delete passphrases", as
// rtools2 records R1's behaviour).
func (s *Sim) deleteIdentities(r *http.Request, t *tenant) reply {
	var ids []string
	if rep, ok := decode(r, &ids); !ok {
		return rep
	}
	if len(ids) == 0 {
		return errReply(http.StatusBadRequest, "Validation Error", subError{Object: "identity", Field: "ids", Message: "must not be empty"})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.groups[normID(r.PathValue("groupId"))]
	if g == nil {
		return notFound("Identity group")
	}
	p := t.pools[normID(g.dpskPoolID)]
	var byIdentity map[string]*passphrase
	if p != nil {
		byIdentity = make(map[string]*passphrase, len(p.pps))
		for _, pp := range p.pps {
			byIdentity[normID(pp.identityID)] = pp
		}
	}
	w := s.stamp()
	removed, removedPP := false, false
	for _, id := range ids {
		idn := g.identities[normID(id)]
		if idn == nil {
			continue
		}
		removed = true
		idn.remove(w)
		delete(g.identities, normID(idn.id))
		if pp := byIdentity[normID(idn.id)]; pp != nil {
			removedPP = true
			pp.remove(w)
			delete(p.pps, normID(pp.id))
			delete(p.byUser, pp.username)
			delete(p.byValue, pp.value)
		}
	}
	if removed {
		g.identityOrder = without(g.identityOrder, func(x *identity) bool { return x.prunable(w.now) })
		settleAt(&g.settle, w.at)
	}
	if removedPP {
		p.order = without(p.order, func(x *passphrase) bool { return x.prunable(w.now) })
		settleAt(&p.settle, w.at)
	}
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "DELETE_PERSONAS", "")}}
}
