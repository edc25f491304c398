package trigger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/dpskmigrate/dpskmigrate/internal/stack"
)

// chromiumPath finds the headless browser the web page tests drive. Without
// it they fail: the page is part of the product.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the web page tests drive headless Chromium, which is not installed: apt-get install -y chromium (.ci/run installs it)")
	return ""
}

// browser is one headless Chromium with one tab, and what the tab did: every
// request it sent, every JavaScript dialog and uncaught exception.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	requests   []*network.EventRequestWillBeSent
	dialogs    []string
	exceptions []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), // a fresh profile: no storage from another run
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	b := &browser{t: t, ctx: ctx}

	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	logged := chromedp.Events(ctx, cdplog.EntryAdded)
	_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err)
	go func() {
		// Errors the browser logs besides HTTP statuses: a blocked script or
		// style (CSP), a Trusted Types violation, a deprecation gone wrong.
		for ev, err := range logged {
			if err != nil {
				return
			}
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				b.mu.Lock()
				b.exceptions = append(b.exceptions, "logged: "+ev.Entry.Text)
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, &ev)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			// A dialog blocks the page: dismiss it so the test can report it.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			text := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
				text += " " + ex.Description
			}
			b.mu.Lock()
			b.exceptions = append(b.exceptions, text)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions with a bound, so a page that never shows what a step waits
// for fails the test instead of hanging it.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

func (b *browser) eval(expr string, v any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](expr))
	require.NoError(b.t, err, "evaluating %s", expr)
	require.NoError(b.t, json.Unmarshal(raw, v), "result of %s: %s", expr, raw)
}

func (b *browser) text(selector string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%q)?.textContent ?? null`, selector), &s)
	return strings.TrimSpace(s)
}

// waitFor evaluates expr until it is true. Chromedp's Poll compiles its
// predicate with new Function, which the page's CSP forbids, so the loop is here.
func (b *browser) waitFor(what, expr string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var ok bool
		b.eval("Boolean("+expr+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var body string
			b.eval(`document.body.innerText`, &body)
			b.t.Fatalf("waited %s for %s; the page shows:\n%s", within, what, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) screenshot(dir, name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	path := filepath.Join(dir, name)
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	return path
}

func (b *browser) requested() []*network.EventRequestWillBeSent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*network.EventRequestWillBeSent(nil), b.requests...)
}

func (b *browser) requireNoDialogOrException() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(b.t, b.dialogs, "a JavaScript dialog opened")
	require.Empty(b.t, b.exceptions, "the page threw or the browser logged an error")
}

// testOutputDir is where the browser tests leave their screenshots:
// $DPSKMIGRATE_TEST_OUTPUT, else a temporary folder; a copy goes to
// bench/out/web (ignored by git) for people to look at.
func testOutputDir(t *testing.T) (dir string, keep func(path string)) {
	t.Helper()
	dir = os.Getenv("DPSKMIGRATE_TEST_OUTPUT")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	root, err := stack.ModuleRoot()
	require.NoError(t, err)
	copies := filepath.Join(root, "bench", "out", "web")
	return dir, func(path string) {
		t.Logf("screenshot: %s", path)
		if err := os.MkdirAll(copies, 0o755); err != nil {
			t.Logf("no copy under %s: %v", copies, err)
			return
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		c := filepath.Join(copies, filepath.Base(path))
		if err := os.WriteFile(c, b, 0o644); err == nil {
			t.Logf("copy: %s", c)
		}
	}
}

// uiRecorder stands in for the Temporal UI: it records which page the
// browser opened, and answers a blank page.
type uiRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	opened []*http.Request
}

func newUIRecorder(t *testing.T) *uiRecorder {
	u := &uiRecorder{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.opened = append(u.opened, r.Clone(context.Background()))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Temporal UI</title>")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *uiRecorder) requests() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.opened...)
}

// decodeInput reads a workflow's start input from its history.
func decodeInput(t *testing.T, workflowID string, v any) {
	t.Helper()
	iter := temporalC.GetWorkflowHistory(t.Context(), workflowID, "", false, 0)
	require.True(t, iter.HasNext())
	ev, err := iter.Next()
	require.NoError(t, err)
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	require.NotNil(t, attrs)
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), v))
}

// fmtDuration is the page's own format of a duration (common.js).
func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
	}
}
