package trigger_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// markup is a pool name that would run a script if the page rendered it as HTML.
const markup = `<script>alert(1)</script>`

// A person signs in, reads the plan of an export, starts it in parallel and
// watches every pool finish, in a real browser against the real trigger,
// Temporal, worker and R1 simulator.
func TestWebPageStartsAndWatchesAMigration(t *testing.T) {
	began := time.Now()
	b := newBrowser(t)
	ui := newUIRecorder(t)
	// 60 ms an R1 call: the migration runs for a few seconds, long enough to be watched.
	e := newEnv(t, envOptions{uiBaseURL: ui.URL, callsPerMinute: 1800,
		sim: r1sim.Options{Latency: r1sim.Latency{Median: 60 * time.Millisecond}}})
	out, keep := testOutputDir(t)

	// A draft export whose rows R1 would partly refuse, and the export the
	// engineer migrates: five pools, a few rows skipped (revoked), one pool
	// whose name is markup.
	draft := e.export(sampledata.Spec{Pools: 3, RowsPerPool: 6, Awkward: true, Seed: 50})
	exp := sampledata.Build(sampledata.Spec{Pools: 5, RowsPerPool: 8, Seed: 51})
	exp.DPSKPools[2].DisplayName = markup
	for _, p := range []int{0, 3} {
		exp.DPSKPools[p].DPSKs[5].Status = "REVOKED"
	}
	export, err := json.MarshalIndent(exp, "", " ")
	require.NoError(t, err)
	for _, p := range exp.DPSKPools {
		for _, d := range p.DPSKs {
			e.secret(d.Passphrase)
		}
	}
	files := t.TempDir()
	good := filepath.Join(files, "campus-export.json")
	rough := filepath.Join(files, "campus-export-draft.json")
	bad := filepath.Join(files, "broken-export.json")
	require.NoError(t, os.WriteFile(good, export, 0o600))
	require.NoError(t, os.WriteFile(rough, draft, 0o600))
	require.NoError(t, os.WriteFile(bad, []byte("{\n  \"dpskPools\": [\n    {\"displayName\": \"Lobby\",, }\n  ]\n}\n"), 0o600))
	summary := func(export []byte) cloudpath.Summary {
		plan, err := migrations.Check(export, cloudpath.PlanOptions{Now: time.Now().UTC()})
		require.NoError(t, err)
		return plan.Summarize(1800)
	}
	wantDraft, want := summary(draft), summary(export)
	require.Positive(t, wantDraft.TotalSkip)
	require.Positive(t, wantDraft.TotalRefuse)
	require.Equal(t, 2, want.TotalSkip)
	require.Zero(t, want.TotalRefuse)

	// Sign in from the keyboard: focus starts in the token field, Enter submits.
	b.do(chromedp.Navigate(e.server.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#signin")))
	var focused string
	b.eval(`document.activeElement.id`, &focused)
	require.Equal(t, "token", focused)
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), "wrong-token-0123456789abcdef\r"))
	b.waitFor("the refusal of a wrong token", `document.querySelector('#signin-error').textContent.includes('refused')`, 20*time.Second)
	require.True(t, b.hidden("#app"), "nothing shows before the trigger accepts the token")
	b.clear("#token")
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), testToken+"\r"), chromedp.WaitVisible(chromedp.CSS("#app")))

	// An invalid export shows its located problem; nothing is stored or started.
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#export"), []string{bad}))
	b.waitFor("the export's problems", `!document.querySelector('#problems').hidden`, 20*time.Second)
	problems := b.text("#problems")
	require.Contains(t, problems, "nothing was stored or started")
	require.Contains(t, problems, "line 3, column 29")
	require.True(t, b.hidden("#plan"))
	require.True(t, b.disabled("#start"))
	require.Empty(t, e.storedExports())
	require.Empty(t, e.listed(t, ""))

	// The plan, before anything is stored or started: cloudpath's numbers,
	// every row that will not be sent with its reason.
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#export"), []string{rough}))
	b.waitFor("the plan", `!document.querySelector('#plan').hidden && !document.querySelector('#start').disabled`, 20*time.Second)
	require.True(t, b.hidden("#problems"), "the earlier problems are gone")
	b.requirePlan(wantDraft)
	keep(b.screenshot(out, "plan.png"))
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#export"), []string{good}))
	b.waitFor("the plan of the other file", `document.querySelector('#plan-status').textContent.includes('campus-export.json') && !document.querySelector('#start').disabled`, 20*time.Second)
	b.requirePlan(want)
	require.Equal(t, 1, b.count("script"), "the markup pool name is text, not a script")
	b.requireFitsIn375Pixels("the start page", out, "plan-narrow.png", keep)
	b.requireNoPassphrase(exp)
	require.Empty(t, e.storedExports(), "the plans stored nothing")
	require.Empty(t, e.listed(t, ""), "the plans started nothing")

	// Parallel, three pools at once: the page plans again, then starts.
	b.do(chromedp.Click(chromedp.CSS("#parallel")))
	b.clear("#max-concurrent")
	b.do(chromedp.SendKeys(chromedp.CSS("#max-concurrent"), "3"))
	b.waitFor("the plan in parallel mode", `document.querySelector('#plan-mode').textContent.includes('3 pools at once') && !document.querySelector('#start').disabled`, 20*time.Second)
	b.do(chromedp.Click(chromedp.CSS("#start")))
	b.waitFor("the watch page", `location.pathname.startsWith('/migrations/') && document.querySelector('#pools tbody tr')`, 30*time.Second)
	var id string
	b.eval(`document.body.dataset.migrationId`, &id)
	require.NotEmpty(t, id)

	// Live: the page shows the migration running, then every pool done, with no reload.
	seen := map[string]bool{}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var state struct {
			State    string
			Statuses []string
		}
		b.eval(`({state: document.querySelector('#state').textContent,
			statuses: [...document.querySelectorAll('#pools tbody tr[data-pool-key]')].map(tr => tr.dataset.status)})`, &state)
		seen[state.State] = true
		for _, s := range state.Statuses {
			seen["pool "+s] = true
		}
		if !seen["screenshot"] && slices.Contains(state.Statuses, "running") && slices.Contains(state.Statuses, "done") {
			seen["screenshot"] = true
			keep(b.screenshot(out, "watch-running.png"))
		}
		if state.State == "done" && len(state.Statuses) == len(want.Pools) && !slices.ContainsFunc(state.Statuses, func(s string) bool { return s != "done" }) {
			break
		}
		require.True(t, time.Now().Before(deadline), "the migration did not finish on the page: %+v", state)
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, seen["running"], "the page showed the migration running: %v", seen)
	require.True(t, seen["pool running"], "the page showed running pools: %v", seen)
	documents := 0
	for _, r := range b.requested() {
		if r.Type == network.ResourceTypeDocument && strings.HasPrefix(r.Request.URL, e.server.URL) {
			documents++
		}
	}
	require.Equal(t, 2, documents, "two page loads: the start page and the watch page; updates come without a reload")
	b.waitFor("the totals", `document.querySelector('#result-text').textContent.includes('passphrases are in R1')`, 10*time.Second)
	require.Equal(t, fmt.Sprintf("%d / %d", want.TotalCreate, want.TotalCreate), b.text("#stat-done"))

	// What the page showed is what happened: every pool COMPLETED in R1, in parallel, three at once.
	st := e.waitDone("/v1/migrations/" + id)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	require.Len(t, st.Result.Pools, len(want.Pools))
	for _, p := range st.Result.Pools {
		require.Equal(t, workflows.StatusCompleted, p.Status, "pool %s", p.Key)
	}
	require.Equal(t, want.TotalCreate, st.Result.Totals.Created)
	require.Equal(t, want.TotalCreate, sum(e.passphrasesInR1()))
	var in workflows.MigrationInput
	decodeInput(t, id, &in)
	require.True(t, in.ParallelExecution)
	require.Equal(t, 3, in.MaxConcurrent)

	// The markup is a name on the page, not HTML.
	var names []string
	b.eval(`[...document.querySelectorAll('#pools .pool-name')].map(n => n.textContent)`, &names)
	require.Contains(t, names, markup)
	require.Equal(t, 1, b.count("script"))

	// A pool's link opens its workflow in the Temporal UI.
	i := slices.IndexFunc(st.Result.Pools, func(p workflows.PoolResult) bool { return p.DisplayName == markup })
	require.GreaterOrEqual(t, i, 0)
	pool := st.Result.Pools[i]
	link := fmt.Sprintf(`#pools tr[data-pool-key=%q] a.pool-link`, pool.Key)
	var href string
	b.eval(fmt.Sprintf(`document.querySelector(%q).href`, link), &href)
	require.Equal(t, e.svc.UIURL(pool.WorkflowID), href)
	b.do(chromedp.Click(chromedp.CSS(link)))
	var opened *http.Request
	require.Eventually(t, func() bool {
		for _, r := range ui.requests() {
			if r.URL.Path != "/favicon.ico" {
				opened = r
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "the link opened the UI")
	require.Equal(t, strings.TrimPrefix(e.svc.UIURL(pool.WorkflowID), ui.URL), opened.RequestURI)
	require.Empty(t, opened.Header.Get("Referer"), "the UI learns nothing of the page")

	keep(b.screenshot(out, "watch-finished.png"))
	b.requireNoPassphrase(exp)

	// A 375-pixel-wide window: the page fits, no horizontal scroll.
	b.requireFitsIn375Pixels("the watch page", out, "watch-narrow.png", keep)

	// Back to the list: the migration is there, completed.
	b.do(chromedp.Click(chromedp.CSS(".crumbs a")), chromedp.WaitVisible(chromedp.CSS("#recent")))
	row := fmt.Sprintf(`[...document.querySelectorAll('#recent tbody tr')].find(tr => tr.cells[0].textContent === %q)`, id)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		var state string
		b.eval(fmt.Sprintf(`%s?.cells[1].textContent ?? ''`, row), &state)
		if state == "completed" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the list does not show the migration completed: %q", state)
		b.do(chromedp.Click(chromedp.CSS("#refresh"))) // visibility may show the close a moment late
	}
	b.eval(fmt.Sprintf(`%s.cells[0].querySelector('a').getAttribute('href')`, row), &href)
	require.Equal(t, "/migrations/"+id, href)

	// The token stays in this tab's sessionStorage: in no URL, no localStorage, no cookie.
	var kept struct{ Session, Local, Cookie string }
	b.eval(`({session: sessionStorage.getItem('dpskmigrate.token'), local: JSON.stringify(Object.entries(localStorage)), cookie: document.cookie})`, &kept)
	require.Equal(t, testToken, kept.Session)
	require.NotContains(t, kept.Local, testToken)
	require.Empty(t, kept.Cookie)
	cookies, err := chromedp.CallBrowser(b.ctx, storage.GetCookies, storage.GetCookiesParams{})
	require.NoError(t, err)
	require.Empty(t, cookies.Cookies, "the page sets no cookie")
	apiCalls := 0
	for _, r := range b.requested() {
		require.NotContains(t, r.Request.URL, testToken)
		require.NotContains(t, r.Request.URL, url.QueryEscape(testToken))
		if u, err := url.Parse(r.Request.URL); err == nil && strings.HasPrefix(u.Path, "/v1/") {
			apiCalls++
			if r.Request.Headers["Authorization"] != "Bearer wrong-token-0123456789abcdef" {
				require.Equal(t, "Bearer "+testToken, r.Request.Headers["Authorization"], "%s %s", r.Request.Method, r.Request.URL)
			}
		}
	}
	require.Greater(t, apiCalls, 5, "the page works through /v1")
	for _, r := range ui.requests() {
		require.NotContains(t, r.RequestURI, testToken)
	}
	b.requireNoDialogOrException()
	t.Logf("the browser test ran in %s", time.Since(began).Round(100*time.Millisecond))
}

// A person pauses and resumes a running migration from its page, pauses it
// again and changes how many pools run at once (a refused value says why),
// cancels it (the cancel button asks first; Escape keeps it), downloads its report,
// verifies it against R1 and rolls it back: the rollback shows what it would
// undo and asks before anything is deleted. The trigger here needs no token
// (loopback, --insecure-no-auth), and the page works without one.
func TestWebPageOperatesCancelsVerifiesAndRollsBackAMigration(t *testing.T) {
	began := time.Now()
	b := newBrowser(t)
	// Sequential, 40 ms an R1 call: the migration runs for many seconds.
	e := newEnv(t, envOptions{sim: r1sim.Options{Latency: r1sim.Latency{Median: 40 * time.Millisecond}}})
	open := httptest.NewServer(trigger.NewHandler(e.svc, trigger.Config{InsecureNoAuth: true}))
	t.Cleanup(open.Close)
	s := e.started(e.postJSON("/v1/migrations", e.export(sampledata.Spec{Pools: 3, RowsPerPool: 60, Seed: 52})))
	progress := func() *workflows.MigrationProgress {
		var st migrations.Status
		e.get(s.StatusURL).json(t, &st)
		require.Equal(t, "RUNNING", st.State)
		require.NotNil(t, st.Progress)
		return st.Progress
	}

	b.do(chromedp.Navigate(open.URL+"/migrations/"+s.WorkflowID), chromedp.WaitVisible(chromedp.CSS("#app")))
	require.True(t, b.hidden("#signin"), "no sign-in without a token to ask for")
	require.True(t, b.hidden("#sign-out"))
	b.waitFor("the pause button", `document.querySelector('#state').textContent === 'running' && document.querySelector('[data-action=pause]')`, 30*time.Second)
	require.Zero(t, b.count("[data-action=rollback]"), "no rollback while it runs")

	// Pause, then resume: the page and the migration agree. (Once the first
	// pool holds passphrases: a pool cancelled while R1 creates its group or
	// its pool does not record it, and a rollback then leaves it.)
	require.Eventually(t, func() bool { return sum(e.passphrasesInR1()) > 0 }, 30*time.Second, 20*time.Millisecond)
	b.do(chromedp.Click(chromedp.CSS("[data-action=pause]")))
	b.waitFor("the paused migration", `document.querySelector('#state').textContent === 'paused' && document.querySelector('[data-action=resume]')`, 20*time.Second)
	p := progress()
	require.True(t, p.Paused, "the page paused the migration")
	require.Contains(t, b.text("#paused-line"), "Paused since")
	var focused string
	b.eval(`document.activeElement.dataset.action || ''`, &focused)
	require.Equal(t, "resume", focused, "the focus moves to the button that replaced pause")
	b.do(chromedp.Click(chromedp.CSS("[data-action=resume]")))
	b.waitFor("the resumed migration", `document.querySelector('#state').textContent === 'running' && document.querySelector('[data-action=pause]')`, 20*time.Second)
	require.False(t, progress().Paused, "the page resumed the migration")
	require.True(t, b.hidden("#paused-line"))

	// Pools at once, paused again (so that no pool starts): a value out of
	// range is refused with the reason; another is taken.
	b.do(chromedp.Click(chromedp.CSS("[data-action=pause]")))
	b.waitFor("the paused migration", `document.querySelector('#state').textContent === 'paused'`, 20*time.Second)
	b.waitFor("the window field", `!document.querySelector('#configure').hidden`, 10*time.Second)
	b.clear("#window")
	b.do(chromedp.SendKeys(chromedp.CSS("#window"), "25"), chromedp.Click(chromedp.CSS("#window-apply")))
	b.waitFor("the refusal", `document.querySelector('#window-status').textContent.startsWith('Refused')`, 20*time.Second)
	require.Contains(t, b.text("#window-status"), "maxConcurrent 25 is out of range: use 1 to 20; nothing changed")
	require.Equal(t, p.Window, progress().Window, "the refusal changed nothing")
	b.clear("#window")
	b.do(chromedp.SendKeys(chromedp.CSS("#window"), "3\r"))
	b.waitFor("the new window", `document.querySelector('#window-status').textContent.startsWith('3 pools at once')`, 20*time.Second)
	p = progress()
	require.Equal(t, 3, p.Window)
	require.True(t, p.Paused, "configure leaves the pause alone")

	// Cancel (the paused migration) asks first.
	b.do(chromedp.Click(chromedp.CSS("[data-action=cancel]")))
	b.waitFor("the confirmation", `document.querySelector('#confirm').open`, 10*time.Second)
	b.eval(`document.activeElement.id`, &focused)
	require.Equal(t, "confirm-no", focused, "the safe answer has the focus")
	b.do(chromedp.KeyEvent("\x1b")) // Escape
	b.waitFor("the dialog to close", `!document.querySelector('#confirm').open`, 10*time.Second)
	b.eval(`document.activeElement.dataset.action || ''`, &focused)
	require.Equal(t, "cancel", focused, "the focus returns to the button")
	var running migrations.Status
	e.get(s.StatusURL).json(t, &running)
	require.Equal(t, "RUNNING", running.State, "Escape cancels nothing")

	b.do(chromedp.Click(chromedp.CSS("[data-action=cancel]")))
	b.waitFor("the confirmation", `document.querySelector('#confirm').open`, 10*time.Second)
	b.do(chromedp.Click(chromedp.CSS("#confirm-yes")))
	b.waitFor("the cancelled migration", `document.querySelector('#state').textContent === 'cancelled'`, time.Minute)
	require.Zero(t, b.count("[data-action=cancel]"), "no cancel button on an ended migration")
	require.Zero(t, b.count("[data-action=pause]"))
	require.Zero(t, b.count("[data-action=resume]"))
	require.True(t, b.hidden("#paused-line"))
	require.True(t, b.hidden("#configure"))
	st := e.waitDone(s.StatusURL)
	require.Equal(t, "CANCELED", st.State)
	held := sum(e.passphrasesInR1())
	require.Less(t, held, 180, "the migration stopped before the end")
	// R1 at full speed from here: no latency, writes done at once.
	require.NoError(t, e.sim.Configure(r1sim.Settings{LatencyMedian: new(r1sim.Duration),
		ActivityNotFoundFor: new(r1sim.Duration), ActivityPendingFor: new(r1sim.Duration)}))

	// The report, as a file.
	downloads := t.TempDir()
	_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
	require.NoError(t, err)
	b.do(chromedp.Click(chromedp.CSS("[data-action=report]")))
	file := filepath.Join(downloads, report.FileName(s.WorkflowID, "csv"))
	require.Eventually(t, func() bool {
		_, err := os.Stat(file)
		return err == nil
	}, 20*time.Second, 50*time.Millisecond, "the report was downloaded")
	b.waitFor("the download's note", `document.querySelector('#action-status').textContent.includes('saved as')`, 10*time.Second)
	csvFile, err := os.ReadFile(file)
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(csvFile)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, report.Columns, recs[0])
	require.Len(t, recs, 1+180, "a line per row of the export")

	// Verify: R1 holds what the cancelled migration created, and misses the rest.
	b.do(chromedp.Click(chromedp.CSS("[data-action=verify]")))
	b.waitFor("the verification's outcome", `document.querySelector('#verify').dataset.status`, time.Minute)
	var verified string
	b.eval(`document.querySelector('#verify').dataset.status`, &verified)
	require.Equal(t, string(workflows.VerifyDifferent), verified)
	require.Contains(t, b.text("#verify-outcome"), fmt.Sprintf("%d of 180 rows as planned · %d missing", held, 180-held))
	require.Equal(t, min(180-held, 50), b.count("#verify-table tbody tr[data-difference=missing]"))
	if 180-held > 50 {
		require.Equal(t, fmt.Sprintf("%d more in the CSV.", 180-held-50), b.text("#verify-more"))
	}

	// Roll back: the preview, then the question; Escape keeps everything.
	before := inventory(t, e)
	b.do(chromedp.Click(chromedp.CSS("[data-action=rollback]")))
	b.waitFor("the preview and the question", `document.querySelector('#confirm').open && !document.querySelector('#rollback-preview').hidden`, 30*time.Second)
	var pv migrations.RollbackPreview
	e.get(s.StatusURL+"/rollback").json(t, &pv)
	require.GreaterOrEqual(t, pv.Totals.Passphrases, held, "the rows created, and those sent and not seen yet")
	require.Equal(t, pv.Totals.Passphrases, number(t, b.text(`#rollback-preview tr[data-pool-key="~total"] [data-col=passphrases]`)))
	require.Equal(t, pv.Totals.EstimatedR1Calls, number(t, b.text(`#rollback-preview tr[data-pool-key="~total"] [data-col=estimatedR1Calls]`)))
	require.Contains(t, b.text("#confirm-text"), fmt.Sprintf("up to %d passphrases", pv.Totals.Passphrases))
	b.do(chromedp.KeyEvent("\x1b"))
	b.waitFor("the refusal", `document.querySelector('#rollback-status').textContent === 'Nothing was rolled back.'`, 10*time.Second)
	require.Equal(t, before, inventory(t, e), "nothing was deleted without the confirmation")
	b.do(chromedp.Click(chromedp.CSS("[data-action=rollback]")))
	b.waitFor("the question", `document.querySelector('#confirm').open`, 30*time.Second)
	b.do(chromedp.Click(chromedp.CSS("#confirm-yes")))
	b.waitFor("the rollback's outcome", `document.querySelector('#rollback').dataset.status`, time.Minute)
	var rolledBack string
	b.eval(`document.querySelector('#rollback').dataset.status`, &rolledBack)
	require.Equal(t, string(workflows.StatusCompleted), rolledBack, "%s", b.text("#rollback"))
	require.Contains(t, b.text("#rollback-outcome"), fmt.Sprintf("%d passphrases", held))
	inv := e.sim.Inventory(e.tenant)
	require.Empty(t, inv.Pools, "R1 is as before the migration")
	require.Empty(t, inv.IdentityGroups)
	out, keep := testOutputDir(t)
	keep(b.screenshot(out, "watch-rolled-back.png"))
	b.requireFitsIn375Pixels("the page with a verification and a rollback", out, "watch-rolled-back-narrow.png", keep)
	b.requireNoDialogOrException()
	t.Logf("the browser test ran in %s", time.Since(began).Round(100*time.Millisecond))
}

// requireFitsIn375Pixels checks that the page needs no horizontal scroll in a
// 375-pixel-wide window, keeps a screenshot of it, and returns to the desktop width.
func (b *browser) requireFitsIn375Pixels(what, out, name string, keep func(string)) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(375, 812))
	b.waitFor("the narrow window", `window.innerWidth === 375`, 10*time.Second)
	var widths struct{ Scroll, Inner int }
	b.eval(`({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`, &widths)
	require.LessOrEqual(b.t, widths.Scroll, widths.Inner, "%s scrolls sideways at 375 px", what)
	keep(b.screenshot(out, name))
	b.do(chromedp.EmulateViewport(1280, 900))
	b.waitFor("the desktop window", `window.innerWidth === 1280`, 10*time.Second)
}

// requireNoPassphrase checks that no passphrase of exp reached the page: its
// document, and what it keeps in the tab's storage.
func (b *browser) requireNoPassphrase(exp sampledata.Export) {
	b.t.Helper()
	var page string
	b.eval(`document.documentElement.outerHTML + JSON.stringify(Object.entries(sessionStorage))`, &page)
	for _, p := range exp.DPSKPools {
		for _, d := range p.DPSKs {
			require.NotContains(b.t, page, d.Passphrase, "a passphrase reached the page")
		}
	}
}

// clear empties a field as a person selecting its text and deleting it would.
func (b *browser) clear(selector string) {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const f = document.querySelector(%q); f.value = ''; f.dispatchEvent(new Event('input', {bubbles: true})); return f.value === ''; })()`, selector), &ok)
	require.True(b.t, ok, "clearing %s", selector)
}

// requirePlan checks the plan on the page against cloudpath's summary.
func (b *browser) requirePlan(want cloudpath.Summary) {
	t := b.t
	t.Helper()
	require.Equal(t, len(want.Pools), number(t, b.text("#plan-pools")))
	require.Equal(t, want.TotalCreate, number(t, b.text("#plan-create")))
	require.Equal(t, want.TotalSkip, number(t, b.text("#plan-skip")))
	require.Equal(t, want.TotalRefuse, number(t, b.text("#plan-refuse")))
	require.Equal(t, want.EstimatedCalls, number(t, b.text("#plan-calls")))
	require.Equal(t, fmtDuration(want.MinDuration)+" at 1,800 calls/min", b.text("#plan-min-duration"))
	var pools []struct {
		Key, Name                   string
		Create, Skip, Refuse, Calls string
	}
	b.eval(`[...document.querySelectorAll('#plan-pools-table tbody tr')].map(tr => ({
		key: tr.dataset.poolKey, name: tr.cells[0].firstChild.firstChild.textContent,
		create: tr.querySelector('[data-col=create]').textContent, skip: tr.querySelector('[data-col=skip]').textContent,
		refuse: tr.querySelector('[data-col=refuse]').textContent, calls: tr.querySelector('[data-col=calls]').textContent}))`, &pools)
	require.Len(t, pools, len(want.Pools))
	var reasons map[string][]string
	b.eval(`Object.fromEntries(['refused', 'skipped'].map(k => [k,
		[...document.querySelectorAll('#plan-rows-table tr[data-kind=' + k + ']')].map(tr => tr.cells[0].textContent + ' | ' + tr.cells[2].textContent + ' | ' + tr.cells[3].textContent + ' | ' + tr.cells[4].textContent)]))`, &reasons)
	var wantReasons = map[string][]string{"refused": {}, "skipped": {}}
	for i, p := range want.Pools {
		got := pools[i]
		require.Equal(t, []any{p.Key, p.DisplayName, p.Create, p.Skip, p.Refuse, p.EstimatedCalls},
			[]any{got.Key, got.Name, number(t, got.Create), number(t, got.Skip), number(t, got.Refuse), number(t, got.Calls)})
		for kind, rows := range map[string][]cloudpath.RowOutcome{"refused": p.Refused, "skipped": p.Skipped} {
			for _, r := range rows {
				user := r.Username
				if user == "" {
					user = "(none)"
				}
				wantReasons[kind] = append(wantReasons[kind], fmt.Sprintf("%s | %d | %s | %s", p.DisplayName, r.Index, user, r.Reason))
			}
		}
	}
	require.Equal(t, wantReasons, reasons, "every row not sent, with its reason")
}

func (b *browser) hidden(selector string) bool {
	b.t.Helper()
	var h bool
	b.eval(fmt.Sprintf(`document.querySelector(%q).hidden`, selector), &h)
	return h
}

func (b *browser) disabled(selector string) bool {
	b.t.Helper()
	var d bool
	b.eval(fmt.Sprintf(`document.querySelector(%q).disabled`, selector), &d)
	return d
}

func (b *browser) count(selector string) int {
	b.t.Helper()
	var n int
	b.eval(fmt.Sprintf(`document.querySelectorAll(%q).length`, selector), &n)
	return n
}

// number reads a number as the page writes it (1,800).
func number(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
	require.NoError(t, err, "not a number: %q", s)
	return n
}
