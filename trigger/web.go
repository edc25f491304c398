package trigger

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// The web page is a shell: the server renders the HTML (no data in it), and
// a little JavaScript reads and acts through the same /v1 endpoints and bearer
// token as automation. The token lives in the tab's sessionStorage only, so a
// page load carries no credential and the pages themselves need none.

//go:embed web
var webFiles embed.FS

// ContentSecurityPolicy of every page and asset: scripts and styles from the
// trigger's own files only (no inline script, no eval), requests to the
// trigger only, no framing, and Trusted Types with no policy, so a script
// that writes HTML from a string (innerHTML) throws instead of rendering it.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

var pageTemplates = template.Must(template.ParseFS(webFiles, "web/*.html"))

// asset is an embedded static file with its validator.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

var assets = loadAssets()

func loadAssets() map[string]asset {
	types := map[string]string{
		".css": "text/css; charset=utf-8",
		".js":  "text/javascript; charset=utf-8",
		".svg": "image/svg+xml",
	}
	out := map[string]asset{}
	entries, err := fs.ReadDir(webFiles, "web")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		ct, ok := types[path.Ext(e.Name())]
		if !ok {
			continue // templates are served rendered
		}
		b, err := webFiles.ReadFile("web/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}

// page is what a template knows: settings for the script, never a secret.
type page struct {
	Title       string
	Script      string
	MigrationID string
	// AuthRequired: the page asks for the token before calling /v1.
	AuthRequired bool
	// UIWorkflowBase prefixes a workflow ID to link it in the Temporal UI; empty = no links.
	UIWorkflowBase  string
	CallsPerMinute  int
	MaxConcurrent   int
	DefaultWindow   int
	MaxPassphrases  int
	DefaultPageSize int
}

func (h *handler) routeWeb(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.startPage)
	mux.HandleFunc("GET /migrations/{id}", h.migrationPage)
	mux.HandleFunc("GET /assets/{name}", serveAsset)
}

func (h *handler) page(title, script string) page {
	p := page{
		Title: title, Script: script,
		AuthRequired:    !(h.cfg.InsecureNoAuth && h.cfg.Token == ""),
		CallsPerMinute:  h.cfg.CallsPerMinute,
		MaxConcurrent:   workflows.MaxMaxConcurrent,
		DefaultWindow:   workflows.DefaultMaxConcurrent,
		MaxPassphrases:  workflows.MaxPassphraseConcurrency,
		DefaultPageSize: migrations.DefaultListLimit,
	}
	if base := h.svc.UIURL("x"); base != "" {
		p.UIWorkflowBase = strings.TrimSuffix(base, "x")
	}
	return p
}

func (h *handler) startPage(w http.ResponseWriter, r *http.Request) {
	h.renderPage(w, r, "start.html", h.page("Migrations", "start.js"))
}

func (h *handler) migrationPage(w http.ResponseWriter, r *http.Request) {
	// Any ID: the page asks /v1, which answers 404 for what is not a migration.
	id := r.PathValue("id")
	p := h.page("Migration "+id, "watch.js")
	p.MigrationID = id
	h.renderPage(w, r, "watch.html", p)
}

func (h *handler) renderPage(w http.ResponseWriter, r *http.Request, name string, p page) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, p); err != nil {
		h.log.Error("rendering a page failed", "page", name, "error", err)
		writeProblem(w, r, Problem{Status: http.StatusInternalServerError, Detail: "the page could not be rendered; the trigger's log says why"})
		return
	}
	pageHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	pageHeaders(w.Header())
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "no-cache") // revalidate: a new trigger may serve new files
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// pageHeaders are the security headers of every page and asset.
func pageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
}
