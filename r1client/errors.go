package r1client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxErrorBody is how much of an R1 error response is read; maxMessage caps
// any text taken from it into an error string.
const (
	maxErrorBody = 8 << 10
	maxMessage   = 512
)

// APIError is an HTTP error answer from R1. The typed errors below embed it;
// use errors.As with one of them to branch on the kind of failure.
type APIError struct {
	StatusCode int
	Method     string
	Path       string
	Code       string // R1 error code when one is given, e.g. "DPSK-026"
	Message    string // R1's message, capped in length
	SubErrors  []SubError
	RequestID  string
}

// SubError is one item of R1's subErrors / errors list.
type SubError struct {
	Object  string `json:"object,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (s SubError) String() string {
	var where string
	switch {
	case s.Object != "" && s.Field != "":
		where = s.Object + "." + s.Field
	case s.Field != "":
		where = s.Field
	case s.Object != "":
		where = s.Object
	case s.Code != "":
		where = s.Code
	}
	if where == "" {
		return s.Message
	}
	if s.Message == "" {
		return where
	}
	return where + ": " + s.Message
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "R1 %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, s := range e.SubErrors {
		if t := s.String(); t != "" && t != e.Message {
			b.WriteString("; ")
			b.WriteString(t)
		}
	}
	return b.String()
}

// AsAPIError returns the HTTP details of any of the typed errors above (the
// status, R1's message and code), for callers that only report them.
func AsAPIError(err error) (*APIError, bool) {
	var h interface{ apiError() *APIError }
	if errors.As(err, &h) {
		return h.apiError(), true
	}
	return nil, false
}

func (e *APIError) apiError() *APIError { return e }

// RateLimitError is R1's 429. RetryAfter is the server's Retry-After, 0 when absent.
type RateLimitError struct {
	APIError
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return e.APIError.Error() + " (retry after " + e.RetryAfter.String() + ")"
	}
	return e.APIError.Error()
}

// ConflictError is a 409 or a duplicate-name answer.
type ConflictError struct{ APIError }

// ValidationError is a 400 or 422: R1 refused the content of the request.
type ValidationError struct{ APIError }

// NotFoundError is a 404. For ActivitiesService.Get it means "not visible yet".
type NotFoundError struct{ APIError }

// UnauthorizedError is a 401 or 403 that survived one token refresh.
type UnauthorizedError struct{ APIError }

// ServerError is a 5xx.
type ServerError struct{ APIError }

func (e *ConflictError) Error() string     { return e.APIError.Error() }
func (e *ValidationError) Error() string   { return e.APIError.Error() }
func (e *NotFoundError) Error() string     { return e.APIError.Error() }
func (e *UnauthorizedError) Error() string { return e.APIError.Error() }
func (e *ServerError) Error() string       { return e.APIError.Error() }

// TransportError is a request that got no HTTP answer: a timeout, a refused or
// reset connection, a connection cut mid-response. It never includes a body.
type TransportError struct {
	Method, Path string
	Err          error
	Timeout      bool // the per-request timeout (Config.Timeout) fired
	// callerDone: the caller's context ended; retrying is pointless.
	callerDone bool
}

func (e *TransportError) Error() string {
	what := "transport error"
	if e.Timeout {
		what = "timeout"
	}
	return fmt.Sprintf("R1 %s %s: %s: %v", e.Method, e.Path, what, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Retryable reports whether trying the same call again may succeed:
// rate limiting, server errors and transport errors are; everything else
// (validation, conflict, not found, unauthorized, the caller's own
// cancellation) is not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var rl *RateLimitError
	var se *ServerError
	var te *TransportError
	switch {
	case errors.As(err, &rl), errors.As(err, &se):
		return true
	case errors.As(err, &te):
		return !te.callerDone && !errors.Is(err, context.Canceled)
	}
	return false
}

// errorBody is the union of R1's error shapes: IDM ApiError, APM ErrorResource,
// and the loose {"error": "..."} of other services. Fields whose type varies
// between services (a numeric status or code) are read leniently, so an
// unexpected shape still parses.
type errorBody struct {
	Status       json.RawMessage `json:"status"`
	Code         looseString     `json:"code"`
	ErrorCode    looseString     `json:"errorCode"`
	Message      looseString     `json:"message"`
	Error        json.RawMessage `json:"error"`
	RequestID    looseString     `json:"requestId"`
	SubErrors    []SubError      `json:"subErrors"`
	Errors       json.RawMessage `json:"errors"`
	NestedErrors []SubError      `json:"nestedErrors"`
}

// looseString takes a JSON string, number or boolean as text; anything else
// (an object, an array, null) as "".
type looseString string

func (l *looseString) UnmarshalJSON(b []byte) error {
	var s string
	switch {
	case json.Unmarshal(b, &s) == nil:
		*l = looseString(s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9' || b[0] == 't' || b[0] == 'f'):
		*l = looseString(b)
	}
	return nil
}

// newAPIError turns an R1 error response into the matching typed error. m
// masks the call's secrets in the whole body before anything of it is parsed
// or shortened.
func newAPIError(m *masker, now time.Time, method, path string, status int, header http.Header, body []byte) error {
	base := APIError{StatusCode: status, Method: method, Path: path}
	parseErrorBody(&base, m.maskBytes(body), m)
	switch {
	case status == http.StatusTooManyRequests:
		return &RateLimitError{APIError: base, RetryAfter: parseRetryAfter(header.Get("Retry-After"), now)}
	case status == http.StatusConflict:
		return &ConflictError{base}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &UnauthorizedError{base}
	case status == http.StatusNotFound:
		return &NotFoundError{base}
	case status >= 500:
		return &ServerError{base}
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		if isDuplicateText(base.Message) || anyDuplicate(base.SubErrors) {
			return &ConflictError{base}
		}
		return &ValidationError{base}
	}
	return &base
}

// parseErrorBody reads an already masked body. Every text taken from it is
// masked once more after JSON decoding (an escape the raw masking did not
// know cannot hide a secret) and only then shortened.
func parseErrorBody(e *APIError, body []byte, m *masker) {
	if len(body) == 0 {
		return
	}
	text := func(s string, n int) string { return capText(m.mask(s), n) }
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		e.Message = text(strings.TrimSpace(string(body)), 200)
		return
	}
	e.RequestID = text(string(eb.RequestID), 100)
	e.Code = text(firstNonEmpty(string(eb.Code), string(eb.ErrorCode)), 100)
	msg := string(eb.Message)
	if msg == "" && len(eb.Error) > 0 {
		var s string
		if json.Unmarshal(eb.Error, &s) == nil {
			msg = s
		}
	}
	subs := append([]SubError{}, eb.SubErrors...)
	if len(eb.Errors) > 0 {
		var objs []SubError
		if json.Unmarshal(eb.Errors, &objs) == nil {
			subs = append(subs, objs...)
		} else {
			var strs []string
			if json.Unmarshal(eb.Errors, &strs) == nil {
				for _, s := range strs {
					subs = append(subs, SubError{Message: s})
				}
			}
		}
	}
	subs = append(subs, eb.NestedErrors...)
	if len(subs) > 10 {
		subs = subs[:10]
	}
	for i := range subs {
		subs[i].Object = text(subs[i].Object, 100)
		subs[i].Field = text(subs[i].Field, 100)
		subs[i].Code = text(subs[i].Code, 100)
		subs[i].Message = text(subs[i].Message, 200)
		if e.Code == "" && subs[i].Code != "" {
			e.Code = subs[i].Code
		}
	}
	e.SubErrors = subs
	e.Message = text(msg, maxMessage)
	if e.Message == "" && len(subs) == 0 {
		e.Message = text(strings.TrimSpace(string(body)), 200)
	}
}

func anyDuplicate(subs []SubError) bool {
	for _, s := range subs {
		if isDuplicateText(s.Message) {
			return true
		}
	}
	return false
}

func isDuplicateText(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "must be unique") || strings.Contains(s, "already exists") || strings.Contains(s, "duplicate")
}

// maxRetryAfter caps the wait a Retry-After asks for. R1 limits calls per
// minute, so an honest answer is seconds, at most about a minute. A longer
// one (a proxy's, or an HTTP-date from a skewed clock) would become the next
// retry's delay as is (it overrides the retry policy's backoff) and could
// stall a migration silently for hours, past the activity's 30-minute budget.
const maxRetryAfter = 5 * time.Minute

// parseRetryAfter reads delay-seconds (a decimal fraction is tolerated) or an
// HTTP-date relative to now. Absent, unreadable, negative or past values
// give 0 (the retry policy's backoff applies); the result never exceeds
// maxRetryAfter and never overflows.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case math.IsNaN(secs) || secs <= 0: // NaN, negative, -Inf, or a tiny value that rounded to 0
			return 0
		case secs >= maxRetryAfter.Seconds(): // +Inf and 1e300 included: compared before any multiplication
			return maxRetryAfter
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		// Sub saturates instead of overflowing for dates centuries away.
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// capText shortens s to at most n bytes on a rune boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
