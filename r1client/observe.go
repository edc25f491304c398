package r1client

import (
	"strconv"
	"strings"
	"time"
)

// Status classes Config.Observe reports. 429 stands apart from the other 4xx
// answers: it says the tenant's budget is too high, not that a request was wrong.
const (
	Status2xx       = "2xx"
	Status4xx       = "4xx"
	Status429       = "429"
	Status5xx       = "5xx"
	StatusTransport = "transport" // no answer: connection refused or reset, timeout, cancelled
)

// ObserveFunc is told about every HTTP request the client makes, token
// requests included: the operation (method and route template, e.g.
// "POST /dpskServices/{id}/passphrases"), the status class and the time
// until the answer was read or the request failed. It must be quick and safe
// for concurrent use.
type ObserveFunc func(operation, statusClass string, d time.Duration)

// StatusClass is the class of an HTTP status; 0 means no answer (transport).
func StatusClass(status int) string {
	switch {
	case status == 0:
		return StatusTransport
	case status == 429:
		return Status429
	case status >= 200 && status <= 299:
		return Status2xx
	case status >= 400 && status <= 499:
		return Status4xx
	case status >= 500 && status <= 599:
		return Status5xx
	case status >= 100 && status <= 399:
		return strconv.Itoa(status/100) + "xx"
	}
	return "other"
}

// Operation names a request the way the simulator's stats do: the method and
// the path with every id replaced by {id}, never a raw path (ids would make
// one metric series per object).
func Operation(method, path string) string { return method + " " + RouteTemplate(path) }

// RouteTemplate replaces the ids in an R1 path by {id}:
// "/dpskServices/9f1c…/passphrases/query" → "/dpskServices/{id}/passphrases/query".
// A segment is kept only when it reads as an R1 name (a collection or an
// action such as identityGroups, l2AclPolicies, query, async-cleanup) and not
// as hex; anything else (UUIDs with or without dashes, numbers, escaped or
// odd text) is an id. The token path's last segment is the tenant id whatever
// it looks like.
func RouteTemplate(path string) string {
	if path == "" || path == "/" {
		return "/"
	}
	if strings.HasPrefix(path, tokenPathPrefix) {
		return tokenPathPrefix + "{id}"
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		if s != "" && !isRouteName(s) {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

const tokenPathPrefix = "/oauth2/token/"

// isRouteName reports whether a path segment is a name from R1's API rather
// than an id: words of letters and digits, each starting with a lowercase
// letter, joined by single dashes, at most 64 characters, and not hex (R1 ids
// are UUIDs, with or without dashes).
func isRouteName(s string) bool {
	if len(s) > 64 {
		return false
	}
	hex := true
	for _, w := range strings.Split(s, "-") {
		if w == "" || w[0] < 'a' || w[0] > 'z' {
			return false
		}
		for i := 0; i < len(w); i++ {
			c := w[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				hex = false
			}
		}
	}
	return !hex
}

// observe reports one request to Config.Observe; status 0 = no answer.
func (c *Client) observe(method, path string, status int, start time.Time) {
	if c.onObserve != nil {
		c.onObserve(Operation(method, path), StatusClass(status), time.Since(start))
	}
}
