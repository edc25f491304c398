package r1sim

import "net/http"

// venueView is GET /venues/{id} (VenueView, the venue service's model).
type venueView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Address     struct {
		Country string `json:"country"`
		City    string `json:"city"`
	} `json:"address"`
	Tags       []string `json:"tags"`
	IsTemplate bool     `json:"isTemplate"`
}

// venueErr is an error answer of the venue service ({requestId, errors: [text]}).
func (s *Sim) venueErr(status int, msg string) reply {
	return reply{status, map[string]any{"requestId": s.newID(), "errors": []string{msg}}}
}

func (s *Sim) getVenue(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := t.venues[normID(r.PathValue("venueId"))]
	if v == nil {
		return s.venueErr(http.StatusNotFound, "Venue not found")
	}
	out := venueView{ID: v.id, Name: v.name, Description: v.description, Tags: []string{}}
	out.Address.Country, out.Address.City = v.country, v.city
	return reply{http.StatusOK, out}
}

// venueRow is a row of POST /venues/query.
type venueRow struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	City        string `json:"city"`
	Country     string `json:"country"`
}

// queryVenues is POST /venues/query: filters id (exact) and name (loose).
func (s *Sim) queryVenues(r *http.Request, t *tenant) reply {
	q, rep, ok := decodeViewQuery(r, "id", "name")
	if !ok {
		return rep
	}
	t.mu.Lock()
	var rows []venueRow
	for _, v := range t.venueOrder {
		if q.exactID("id", v.id) && q.analysed("name", v.name) && q.searched(map[string]string{"name": v.name}) {
			rows = append(rows, venueRow{ID: v.id, Name: v.name, Description: v.description, City: v.city, Country: v.country})
		}
	}
	t.mu.Unlock()
	sortBy(q, rows, map[string]func(venueRow) string{"name": func(r venueRow) string { return r.Name }})
	return reply{http.StatusOK, newViewPage(rows, q)}
}

// apGroupRow is a row of POST /venues/apGroups/query (ApGroupQueryData).
type apGroupRow struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	IsDefault       bool     `json:"isDefault"`
	VenueID         string   `json:"venueId"`
	APSerialNumbers []string `json:"apSerialNumbers"`
	WifiNetworkIDs  []string `json:"wifiNetworkIds"`
	ClientCount     int      `json:"clientCount"`
}

// queryAPGroups is POST /venues/apGroups/query: filters venueId and id
// (exact), name (loose). wifiNetworkIds are the networks reads show active
// on the group, venue-wide ones included.
func (s *Sim) queryAPGroups(r *http.Request, t *tenant) reply {
	q, rep, ok := decodeViewQuery(r, "id", "venueId", "name")
	if !ok {
		return rep
	}
	v := s.view()
	t.mu.Lock()
	nets := seeAll(&v, t.networkOrder)
	var rows []apGroupRow
	for _, ven := range t.venueOrder {
		for _, g := range ven.groups {
			if !q.exactID("venueId", g.venueID) || !q.exactID("id", g.id) || !q.analysed("name", g.name) ||
				!q.searched(map[string]string{"name": g.name}) {
				continue
			}
			row := apGroupRow{ID: g.id, Name: g.name, IsDefault: g.isDefault, VenueID: g.venueID,
				APSerialNumbers: []string{}, WifiNetworkIDs: []string{}}
			for _, n := range nets {
				if n.onGroup(g) {
					row.WifiNetworkIDs = append(row.WifiNetworkIDs, n.id)
				}
			}
			rows = append(rows, row)
		}
	}
	t.mu.Unlock()
	s.noteStale(t, &v)
	sortBy(q, rows, map[string]func(apGroupRow) string{"name": func(r apGroupRow) string { return r.Name }})
	return reply{http.StatusOK, newViewPage(rows, q)}
}
