package r1sim

import (
	"net/http"
	"strings"
)

type policySetDTO struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (p *policySet) dto() policySetDTO {
	return policySetDTO{ID: p.id, Name: p.name, Description: p.description}
}

// createPolicySet is POST /policySets: synchronous 201; a duplicate name
// (ignoring case) is a 409.
func (s *Sim) createPolicySet(r *http.Request, t *tenant) reply {
	var body struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	if subs := checkName("name", body.Name); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid policy set details provided.", subs...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := strings.ToLower(body.Name)
	if t.setNames[key] != nil {
		return errReply(http.StatusConflict, "Invalid policy set details provided: name already exists",
			subError{Object: "policySet", Field: "name", Message: "Policy set name must be unique"})
	}
	ps := &policySet{id: s.newID(), name: body.Name, description: body.Description, created: s.now()}
	t.sets[normID(ps.id)] = ps
	t.setOrder = append(t.setOrder, ps)
	t.setNames[key] = ps
	return reply{http.StatusCreated, ps.dto()}
}

type policyPaging struct {
	TotalCount int `json:"totalCount"`
	Page       int `json:"page"`
	PageSize   int `json:"pageSize"`
	PageCount  int `json:"pageCount"`
}

type policyPage[T any] struct {
	Paging  policyPaging `json:"paging"`
	Content []T          `json:"content"`
}

// queryPolicySets is POST /policySets/query: paging + content, page from 0,
// pageSize 1..2000 (422 otherwise).
func (s *Sim) queryPolicySets(r *http.Request, t *tenant) reply {
	var q struct {
		Page      *int   `json:"page"`
		PageSize  *int   `json:"pageSize"`
		SortField string `json:"sortField"`
		SortOrder string `json:"sortOrder"`
	}
	if rep, ok := decode(r, &q); !ok {
		return rep
	}
	page, size := 0, 10
	if q.Page != nil {
		page = *q.Page
	}
	if q.PageSize != nil {
		size = *q.PageSize
	}
	if page < 0 || size < 1 || size > 2000 {
		return errReply(http.StatusUnprocessableEntity, "Some of the provided query data is invalid.",
			subError{Field: "pageSize", Message: "page must be >= 0 and pageSize between 1 and 2000"})
	}
	t.mu.Lock()
	all := make([]policySetDTO, 0, len(t.setOrder))
	for _, ps := range t.setOrder {
		all = append(all, ps.dto())
	}
	t.mu.Unlock()
	from, to := window(len(all), page*size, size)
	return reply{http.StatusOK, policyPage[policySetDTO]{
		Paging:  policyPaging{TotalCount: len(all), Page: page, PageSize: size, PageCount: (len(all) + size - 1) / size},
		Content: append([]policySetDTO{}, all[from:to]...),
	}}
}

func (s *Sim) getPolicySet(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := t.sets[normID(r.PathValue("policySetId"))]
	if ps == nil {
		return notFound("Policy set")
	}
	return reply{http.StatusOK, ps.dto()}
}

// deletePolicySet is DELETE /policySets/{id}: 204, or 409 while a pool uses it.
func (s *Sim) deletePolicySet(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := t.sets[normID(r.PathValue("policySetId"))]
	if ps == nil {
		return notFound("Policy set")
	}
	for _, p := range t.poolOrder {
		if !p.deleted && normID(p.policySetID) == normID(ps.id) {
			return errReply(http.StatusConflict, "The requested policy set is still in use.",
				subError{Object: "policySet", Message: "still in use by DPSK service " + p.id})
		}
	}
	ps.deleted = true
	delete(t.sets, normID(ps.id))
	delete(t.setNames, strings.ToLower(ps.name))
	t.setOrder = without(t.setOrder, func(x *policySet) bool { return x.deleted })
	return reply{code: http.StatusNoContent}
}
