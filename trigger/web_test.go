package trigger_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/trigger"
)

// Every page and asset carries the security headers; the pages need no token
// (they hold no data) and have no inline script, style or event handler.
func TestPagesCarryStrictSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	csp := trigger.ContentSecurityPolicy
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"} {
		require.Contains(t, csp, want)
	}
	require.NotContains(t, csp, "unsafe")

	for path, contentType := range map[string]string{
		"/":                                "text/html; charset=utf-8",
		"/migrations/migration-lobby-1234": "text/html; charset=utf-8",
		"/assets/app.css":                  "text/css; charset=utf-8",
		"/assets/common.js":                "text/javascript; charset=utf-8",
		"/assets/start.js":                 "text/javascript; charset=utf-8",
		"/assets/watch.js":                 "text/javascript; charset=utf-8",
		"/assets/operate.js":               "text/javascript; charset=utf-8",
		"/assets/icon.svg":                 "image/svg+xml",
	} {
		r := e.do(http.MethodGet, path, "", nil, "") // no token
		require.Equal(t, http.StatusOK, r.status, "%s: %s", path, r.body)
		require.Equal(t, contentType, r.header.Get("Content-Type"), path)
		require.Equal(t, csp, r.header.Get("Content-Security-Policy"), path)
		require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), path)
		require.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"), path)
		require.Equal(t, "DENY", r.header.Get("X-Frame-Options"), path)
		if strings.HasPrefix(contentType, "text/html") {
			html := string(r.body)
			require.Equal(t, "no-store", r.header.Get("Cache-Control"))
			require.Regexp(t, `<script type="module" src="/assets/(start|watch)\.js"></script>`, html)
			require.Equal(t, 1, strings.Count(html, "<script"), "one script, from a file")
			require.NotRegexp(t, `(?i)\s(on[a-z]+|style)\s*=`, html, "no inline handler or style")
			require.Contains(t, html, `data-auth="token"`)
			require.Contains(t, html, `data-ui-workflow-base="http://localhost:8233/namespaces/default/workflows/"`)
		} else {
			etag := r.header.Get("ETag")
			require.NotEmpty(t, etag, path)
			req, err := http.NewRequest(http.MethodGet, e.server.URL+path, nil)
			require.NoError(t, err)
			req.Header.Set("If-None-Match", etag)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusNotModified, res.StatusCode, "%s is revalidated, not sent again", path)
		}
	}
	for _, path := range []string{"/assets/start.html", "/assets/layout.html", "/assets/nothing.js", "/index.html", "/migrations/"} {
		require.Equal(t, http.StatusNotFound, e.do(http.MethodGet, path, "", nil, "").status, path)
	}
	require.Equal(t, http.StatusMethodNotAllowed, e.do(http.MethodPost, "/", "text/plain", strings.NewReader("x"), "").status)
}

// A migration ID in the page's URL reaches the page as an escaped attribute.
func TestTheWatchPageEscapesTheMigrationID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	id := `"><img src=x onerror=alert(1)>`
	r := e.do(http.MethodGet, "/migrations/"+url.PathEscape(id), "", nil, "")
	require.Equal(t, http.StatusOK, r.status)
	require.NotContains(t, string(r.body), "<img")
	require.Contains(t, string(r.body), `data-migration-id="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`)
}

// Without a token (loopback, --insecure-no-auth) the page asks for none.
func TestThePageAsksForNoTokenWhenTheTriggerNeedsNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	require.Contains(t, string(e.do(http.MethodGet, "/", "", nil, "").body), `data-auth="token"`)
	open := httptest.NewServer(trigger.NewHandler(e.svc, trigger.Config{InsecureNoAuth: true}))
	t.Cleanup(open.Close)
	res, err := http.Get(open.URL + "/")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `data-auth="none"`)
	require.Contains(t, string(body), `data-calls-per-minute="0"`)
}

// The scripts build the page from text and attributes only: a value from an
// export can never become markup. (The CSP's Trusted Types enforce it in the
// browser; this names the culprit before a browser does.)
func TestThePageScriptsNeverWriteHTML(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("web", "*.js"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|localStorage|document\.cookie|setTimeout\(['"]`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Empty(t, forbidden.FindAllString(string(b), -1), f)
	}
}
