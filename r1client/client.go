package r1client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Region hosts of the R1 API.
const (
	BaseURLNA   = "https://api.ruckus.cloud"
	BaseURLEU   = "https://api.eu.ruckus.cloud"
	BaseURLASIA = "https://api.asia.ruckus.cloud"
)

// DefaultTimeout is the per-request timeout when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures a Client.
type Config struct {
	Region       string // "NA" (default), "EU", "ASIA"
	BaseURL      string // overrides Region, e.g. the simulator "http://127.0.0.1:8555"
	TenantID     string
	ClientID     string
	ClientSecret string // SECRET: never logged, never in an error
	MSPTenantID  string // when set, sent as x-rks-tenantid (MSP acting for a customer tenant)
	Timeout      time.Duration
	HTTPClient   *http.Client
	Logger       *slog.Logger // debug log of method, path, status, duration only
	// Observe, when set, is told about every request (metrics); see ObserveFunc.
	Observe ObserveFunc

	// FindPageSize is the page size the FindByName helpers use (default 500).
	FindPageSize int
	// Clock replaces time.Now for token expiry; for tests.
	Clock func() time.Time
}

// Client talks to one R1 tenant. It is safe for concurrent use.
type Client struct {
	IdentityGroups *IdentityGroupsService
	Pools          *PoolsService // R1 "DPSK services"
	Passphrases    *PassphrasesService
	Identities     *IdentitiesService
	PolicySets     *PolicySetsService
	Activities     *ActivitiesService
	WifiNetworks   *WifiNetworksService
	Venues         *VenuesService

	baseURL      string
	tenantID     string
	clientID     string
	clientSecret string
	mspTenantID  string
	timeout      time.Duration
	hc           *http.Client
	log          *slog.Logger
	onObserve    ObserveFunc
	findPageSize int
	now          func() time.Time

	tokMu  sync.Mutex
	token  string
	expiry time.Time
}

type service struct{ c *Client }

// New validates cfg and builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		switch strings.ToUpper(strings.TrimSpace(cfg.Region)) {
		case "", "NA":
			base = BaseURLNA
		case "EU":
			base = BaseURLEU
		case "ASIA":
			base = BaseURLASIA
		default:
			return nil, fmt.Errorf("r1client: unknown region %q (want NA, EU or ASIA)", cfg.Region)
		}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("r1client: invalid base URL %q", base)
	}
	if cfg.TenantID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("r1client: TenantID, ClientID and ClientSecret are required")
	}
	c := &Client{
		baseURL:      base,
		tenantID:     cfg.TenantID,
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		mspTenantID:  cfg.MSPTenantID,
		timeout:      cfg.Timeout,
		hc:           cfg.HTTPClient,
		log:          cfg.Logger,
		onObserve:    cfg.Observe,
		findPageSize: cfg.FindPageSize,
		now:          cfg.Clock,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: newTransport()}
	}
	if c.findPageSize <= 0 {
		c.findPageSize = 500
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.IdentityGroups = &IdentityGroupsService{c}
	c.Pools = &PoolsService{c}
	c.Passphrases = &PassphrasesService{c}
	c.Identities = &IdentitiesService{c}
	c.PolicySets = &PolicySetsService{c}
	c.Activities = &ActivitiesService{c}
	c.WifiNetworks = &WifiNetworksService{c}
	c.Venues = &VenuesService{c}
	return c, nil
}

// newTransport keeps plenty of idle connections per host: a migration runs
// many calls in parallel against one host, and reusing connections avoids a
// TLS handshake per call.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Tenant is the R1 tenant the client acts in: the MSP's customer tenant when
// one is set, else its own.
func (c *Client) Tenant() string {
	if c.mspTenantID != "" {
		return c.mspTenantID
	}
	return c.tenantID
}

// BaseURL is the API host the client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// tokenResponse is the OAuth2 answer; R1 may name the token "token".
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	Token       string `json:"token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// accessToken returns a cached token, fetching a new one when there is none,
// it expires soon, or stale (the token a request was refused with) is cached.
func (c *Client) accessToken(ctx context.Context, stale string) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && c.token != stale && c.now().Before(c.expiry) {
		return c.token, nil
	}
	c.token = ""
	path := "/oauth2/token/" + url.PathEscape(c.tenantID)
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.clientID},
		"client_secret": {c.clientSecret},
	}
	body := []byte(form.Encode())
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
	status, respHdr, respBody, err := c.send(ctx, http.MethodPost, path, nil, hdr, body)
	if err != nil {
		return "", err
	}
	if status < 200 || status > 299 {
		// The form we sent is never quoted; R1's answer may quote the secret.
		return "", newAPIError(c.masker(ctx, stale), c.now(), http.MethodPost, path, status, respHdr, respBody)
	}
	var tr tokenResponse
	if err := json.Unmarshal(respBody, &tr); err != nil {
		return "", fmt.Errorf("R1 POST %s: decoding token response: %w", path, errors.New(jsonErrorKind(err)))
	}
	tok := firstNonEmpty(tr.AccessToken, tr.Token)
	if tok == "" {
		return "", fmt.Errorf("R1 POST %s: token response has no access_token", path)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if tr.ExpiresIn <= 0 {
		ttl = time.Hour
	}
	// Refresh a minute early (a fifth of the lifetime for short-lived tokens)
	// so no request goes out with a token about to expire.
	skew := min(time.Minute, ttl/5)
	c.token = tok
	c.expiry = c.now().Add(ttl - skew)
	return tok, nil
}

// masker masks, in what R1 answers to one call, the client secret, the
// caller's secrets (WithSecrets) and extra ones: the access token used and
// the secrets the request carries.
func (c *Client) masker(ctx context.Context, extra ...string) *masker {
	secrets := append([]string{c.clientSecret}, extra...)
	return newMasker(append(secrets, contextSecrets(ctx)...)...)
}

// currentToken is the cached access token, "" when there is none.
func (c *Client) currentToken() string {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return c.token
}

// do performs one authenticated R1 call: JSON body in (may be nil), the JSON
// answer decoded into out (may be nil). A 401 triggers one token refresh and
// one retry. Non-2xx answers become typed errors, with every secret of the
// call masked.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var sent []string // secrets the request carries
	if cs, ok := in.(carriesSecrets); ok {
		sent = cs.secrets()
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			// Say which type failed, never the value.
			return fmt.Errorf("R1 %s %s: encoding %T request", method, path, in)
		}
	}
	return c.doBody(ctx, method, path, query, "application/json", body, sent, out)
}

// doBody is do with the request body already encoded (nil = none) as
// contentType; sent are the secrets it carries, masked in R1's answers.
func (c *Client) doBody(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, sent []string, out any) error {
	var stale string
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx, stale)
		if err != nil {
			return err
		}
		hdr := http.Header{"Authorization": {"Bearer " + tok}, "Accept": {"application/json"}}
		if body != nil {
			hdr.Set("Content-Type", contentType)
		}
		if c.mspTenantID != "" {
			hdr.Set("x-rks-tenantid", c.mspTenantID)
		}
		status, respHdr, respBody, err := c.send(ctx, method, path, query, hdr, body)
		if err != nil {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			stale = tok
			continue
		}
		if status < 200 || status > 299 {
			return newAPIError(c.masker(ctx, append(sent, tok, stale)...), c.now(), method, path, status, respHdr, respBody)
		}
		if out == nil || len(bytes.TrimSpace(respBody)) == 0 {
			return nil
		}
		if err := json.Unmarshal(respBody, out); err != nil {
			kind := c.masker(ctx, append(sent, tok, stale)...).mask(jsonErrorKind(err))
			return fmt.Errorf("R1 %s %s: decoding %d response: %s", method, path, status, kind)
		}
		return nil
	}
}

// send makes one HTTP request under the per-request timeout and reads the
// whole answer (success bodies in full, error bodies capped).
func (c *Client) send(ctx context.Context, method, path string, query url.Values, hdr http.Header, body []byte) (int, http.Header, []byte, error) {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("R1 %s %s: building request: %w", method, path, err)
	}
	req.Header = hdr
	resp, err := c.hc.Do(req)
	if err != nil {
		c.observe(method, path, 0, start)
		return 0, nil, nil, c.transportError(ctx, rctx, method, path, err, start)
	}
	defer resp.Body.Close()
	var rb []byte
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		rb, err = io.ReadAll(resp.Body)
	} else {
		rb, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	}
	if err != nil {
		c.observe(method, path, 0, start)
		return 0, nil, nil, c.transportError(ctx, rctx, method, path, err, start)
	}
	c.observe(method, path, resp.StatusCode, start)
	if c.log != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "r1 request",
			slog.String("method", method), slog.String("path", path),
			slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start)))
	}
	return resp.StatusCode, resp.Header, rb, nil
}

func (c *Client) transportError(ctx, rctx context.Context, method, path string, err error, start time.Time) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL adds nothing but length
	}
	te := &TransportError{Method: method, Path: path, Err: err}
	switch {
	case ctx.Err() != nil:
		te.callerDone = true
		te.Err = ctx.Err()
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		te.Timeout = true
		te.Err = fmt.Errorf("no answer within %s", c.timeout)
	default:
		var ne net.Error
		te.Timeout = errors.As(err, &ne) && ne.Timeout()
	}
	if c.log != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "r1 request failed",
			slog.String("method", method), slog.String("path", path),
			slog.Bool("timeout", te.Timeout), slog.Duration("duration", time.Since(start)))
	}
	return te
}

// jsonErrorKind describes a decoding failure without quoting the input.
func jsonErrorKind(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: cannot use JSON %s as %s", te.Field, te.Value, te.Type)
	}
	return "invalid JSON"
}

func pathID(id string) string { return url.PathEscape(id) }
