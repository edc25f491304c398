// The watch page of one migration: overall progress, a row per pool, failed
// rows, and the actions a person may take. It polls the migration's status
// and pools endpoints until the migration has ended.
import {
  $, api, el, fmtDuration, fmtInt, fmtTime, recalledPlan, settings, setText, signedIn, stateClass, whenSignedInAgain, workflowLink,
} from './common.js';
import {
  downloadReport, initConfigure, renderConfigure, rollback, verify,
} from './operate.js';

const id = settings.migrationId;
const statusPath = '/v1/migrations/' + encodeURIComponent(id);
const POLL_MS = 2000;
const HIDDEN_POLL_MS = 10000;
const RATE_WINDOW_MS = 60000;
// callsPerPendingPool: R1 calls of a pool besides its passphrases (as the CLI's ETA).
const CALLS_PER_PENDING_POOL = 6;

const running = (st) => st.state === 'RUNNING';
const paused = (st) => running(st) && Boolean(st.progress && st.progress.paused);

// actions are the buttons of the page: one entry per action, shown while
// available(status) holds. An action either runs a call (run, then done
// says what happened; again: it may run again at once) or does more on its
// own (click).
const actions = [
  {
    id: 'pause',
    label: 'Pause',
    className: 'quiet',
    available: (st) => running(st) && Boolean(st.progress) && !paused(st),
    run: () => api('POST', statusPath + '/pause'),
    done: (c) => `Paused since ${fmtTime(c.pausedSince)}: running pools finish the R1 calls in flight and start no new one.`,
  },
  {
    id: 'resume',
    label: 'Resume',
    available: paused,
    run: () => api('POST', statusPath + '/resume'),
    done: () => 'Resumed.',
  },
  {
    id: 'cancel',
    label: 'Cancel migration',
    className: 'danger',
    available: (st) => st.state === 'RUNNING',
    confirm: {
      title: 'Cancel this migration?',
      text: 'Running pools finish the R1 calls in flight and report what R1 holds; pools not started yet are not migrated. '
        + 'What is in R1 stays there, and migrating the same export again adopts it.',
      yes: 'Cancel migration',
      no: 'Keep it running',
    },
    run: () => api('POST', statusPath + '/cancel'),
    done: (res) => (res && res.detail) || 'Cancellation requested.',
  },
  {
    id: 'report',
    label: 'Download report (CSV)',
    className: 'quiet',
    available: () => true,
    run: () => downloadReport(id, statusPath),
    done: (text) => text,
    again: true,
  },
  {
    id: 'verify',
    label: 'Verify against R1',
    className: 'quiet',
    available: () => true,
    click: () => verify(statusPath),
  },
  {
    id: 'rollback',
    label: 'Roll back…',
    className: 'danger',
    available: (st) => !running(st),
    click: () => rollback(statusPath, confirmed),
  },
];
// partner: the button that takes the place of one that goes, for the focus.
const partner = { pause: 'resume', resume: 'pause' };

const plan = recalledPlan(id); // the pools, when this tab started the migration
const samples = []; // {t, done}: the measured rate
let timer = 0;
let ended = false;
let actionsKey = null;
let lastUsed = ''; // the action whose button was last pressed

const statusLabels = { COMPLETED: 'done', PARTIAL: 'partial', FAILED: 'failed', CANCELED: 'cancelled' };

function schedule(ms) {
  clearTimeout(timer);
  if (!ended) timer = setTimeout(poll, ms ?? (document.hidden ? HIDDEN_POLL_MS : POLL_MS));
}

async function poll() {
  let st;
  try {
    st = await api('GET', statusPath);
  } catch (e) {
    if (e.status === 404) {
      ended = true;
      setText($('#watch-error'), `No migration with ID ${id}: check the link, or find it in the list of migrations.`);
      setText($('#state'), 'not found');
      return;
    }
    // A refused token stops the polling until the person signs in again.
    if (e.status !== 401) {
      setText($('#watch-error'), `Cannot read the migration: ${e.message} (trying again)`);
      schedule();
    }
    return;
  }
  let view = null;
  try {
    view = await api('GET', statusPath + '/pools');
  } catch {
    view = null; // a running migration answers once a worker has planned it
  }
  setText($('#watch-error'), '');
  render(st, view);
  if (st.state === 'RUNNING') schedule();
  else ended = true;
}

function render(st, view) {
  const res = st.result;
  let stateText = res ? (statusLabels[res.status] || res.status.toLowerCase()) : st.state.toLowerCase();
  if (paused(st)) stateText = 'paused';
  const badge = $('#state');
  setText(badge, stateText);
  badge.className = 'badge ' + stateClass(res ? res.status : stateText);
  const pausedLine = $('#paused-line');
  pausedLine.hidden = !paused(st);
  setText(pausedLine, paused(st)
    ? `Paused since ${fmtTime(st.progress.pausedSince)}: no pool starts and no R1 call is made until you resume.`
    : '');
  renderConfigure(st);
  const ui = $('#ui-link');
  if (st.uiUrl) {
    ui.href = st.uiUrl;
    ui.hidden = false;
  }
  renderActions(st);
  renderOverall(st);
  renderPools(st, view);
  renderFailed(st, view);
}

function renderActions(st) {
  const available = actions.filter((a) => a.available(st));
  const key = available.map((a) => a.id).join(' ');
  if (key === actionsKey) return;
  // The focused button, or the one just used (disabled, it lost the focus).
  let focused = $('#actions').contains(document.activeElement) ? document.activeElement.dataset.action : '';
  if (!focused && document.activeElement === document.body) focused = lastUsed;
  lastUsed = '';
  actionsKey = key;
  $('#actions').replaceChildren(...available.map((a) => {
    const b = el('button', { type: 'button', class: a.className, 'data-action': a.id }, a.label);
    b.addEventListener('click', () => runAction(a, b));
    return b;
  }));
  if (focused) {
    const next = $(`#actions [data-action=${focused}]`) || $(`#actions [data-action=${partner[focused] || 'none'}]`);
    (next || $('#main')).focus();
  }
}

async function runAction(action, button) {
  if (action.click) {
    button.disabled = true;
    try {
      await action.click();
    } finally {
      button.disabled = false;
      button.focus();
    }
    return;
  }
  if (action.confirm && !(await confirmed(action.confirm))) {
    button.focus();
    return;
  }
  button.disabled = true;
  lastUsed = action.id;
  try {
    const res = await action.run();
    setText($('#action-status'), action.done(res));
    if (action.again) button.disabled = false;
  } catch (e) {
    setText($('#watch-error'), `${action.label}: ${e.message}`);
    button.disabled = false;
  }
  schedule(0);
}

// confirmed asks in a modal dialog; Escape or the "no" button answer no.
function confirmed({ title, text, yes, no }) {
  const dialog = $('#confirm');
  setText($('#confirm-title'), title);
  setText($('#confirm-text'), text);
  setText($('#confirm-yes'), yes);
  setText($('#confirm-no'), no);
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    $('#confirm-no').focus();
  });
}

function initDialog() {
  const dialog = $('#confirm');
  $('#confirm-yes').addEventListener('click', () => dialog.close('yes'));
  $('#confirm-no').addEventListener('click', () => dialog.close('no'));
}

// handled counts the passphrases whose outcome is known or accepted by R1,
// as the workflow's own progress line does.
function handled(counts) {
  const c = counts || {};
  return (c.created || 0) + (c.adopted || 0) + (c.patched || 0) + (c.failed || 0) + (c.conflicts || 0);
}

function renderOverall(st) {
  const bar = $('#bar');
  const p = st.progress;
  const res = st.result;
  let done = 0;
  let total = 0;
  if (res) {
    done = handled(res.totals);
    total = done + (res.totals.notAttempted || 0);
  } else if (p) {
    total = p.passphrases;
    done = Math.min(handled(p.finished) + (p.running || []).reduce((n, r) => n + (r.done || 0), 0), total || Infinity);
  }
  if (res || (p && p.pools > 0)) {
    bar.max = Math.max(total, 1);
    bar.value = total === 0 ? bar.max : done;
  } else {
    bar.removeAttribute('value'); // indeterminate while the workflow plans
  }
  const pct = total > 0 ? Math.floor((done * 100) / total) : res ? 100 : 0;
  setText($('#stat-done'), total > 0 || res ? `${fmtInt(done)} / ${fmtInt(total)}` : '—');

  let progressText;
  if (res) {
    progressText = `${pct}% of the passphrases handled · the migration has ended`;
  } else if (st.state !== 'RUNNING') {
    progressText = `ended ${st.state.toLowerCase()}` + (st.error ? `: ${st.error}` : '');
  } else if (!p) {
    progressText = 'Waiting for the workflow to report its progress (is a worker running?)';
  } else if (p.pools === 0) {
    progressText = 'Planning the export…';
  } else {
    progressText = `${pct}% of the passphrases handled · ${p.window} pool${p.window === 1 ? '' : 's'} at a time`;
  }
  setText($('#progress-text'), progressText);
  document.title = (st.state === 'RUNNING' && p && p.pools > 0 ? `${pct}% · ` : '') + `Migration ${id} · dpskmigrate`;

  // Rate over the last minute of samples; time left from it, or from the
  // R1 budget until there is one.
  const now = performance.now();
  if (st.state === 'RUNNING' && p) {
    samples.push({ t: now, done });
    while (samples.length > 2 && now - samples[1].t > RATE_WINDOW_MS) samples.shift();
  }
  const first = samples[0];
  const span = first ? now - first.t : 0;
  const rate = span >= 5000 ? ((done - first.done) * 60000) / span : 0;
  if (res || st.state !== 'RUNNING') {
    setText($('#stat-rate'), '—');
    setText($('#stat-eta'), 'finished');
  } else {
    const remaining = Math.max(total - done, 0);
    setText($('#stat-rate'), rate > 0 ? `${fmtInt(Math.round(rate))} / min` : 'measuring…');
    if (rate > 0) {
      setText($('#stat-eta'), remaining === 0 ? 'confirming…' : `about ${fmtDuration((remaining / rate) * 60)}`);
    } else if (settings.callsPerMinute > 0 && p) {
      const calls = remaining + CALLS_PER_PENDING_POOL * (p.poolsPending || 0);
      setText($('#stat-eta'), `at least ${fmtDuration((calls / settings.callsPerMinute) * 60)} (R1 budget)`);
    } else {
      setText($('#stat-eta'), '—');
    }
  }

  let pools = '—';
  if (res) {
    const c = res.poolCounts;
    pools = [`${fmtInt(c.completed)} done`, c.partial && `${fmtInt(c.partial)} partial`, c.failed && `${fmtInt(c.failed)} failed`,
      c.canceled && `${fmtInt(c.canceled)} cancelled`, c.notStarted && `${fmtInt(c.notStarted)} not started`]
      .filter(Boolean).join(' · ') + ` of ${fmtInt(res.totalPools)}`;
  } else if (p && p.pools > 0) {
    pools = [`${fmtInt(p.poolsDone)} done`, p.poolsFailed && `${fmtInt(p.poolsFailed)} failed`,
      p.poolsRunning && `${fmtInt(p.poolsRunning)} running`, p.poolsPending && `${fmtInt(p.poolsPending)} pending`]
      .filter(Boolean).join(' · ') + ` of ${fmtInt(p.pools)}`;
  }
  setText($('#stat-pools'), pools);

  if (res) {
    const t = res.totals;
    const parts = [`${fmtInt(t.created + t.adopted + t.patched)} passphrases are in R1 (${fmtInt(t.created)} created, ${fmtInt(t.adopted)} adopted, ${fmtInt(t.patched)} VLAN corrected)`];
    for (const [n, what] of [[t.failed, 'failed'], [t.conflicts, 'in conflict with R1'], [t.refused, 'refused'], [t.skipped, 'skipped'], [t.notAttempted, 'not attempted']]) {
      if (n) parts.push(`${fmtInt(n)} ${what}`);
    }
    setText($('#result-text'), parts.join(', ') + '.');
  }
}

// poolEntries lists the pools to show, in plan order when this tab knows the
// plan (pools start in that order, so the last `pending` ones wait).
function poolEntries(st, view) {
  const res = st.result;
  const done = (view && view.done) || (res && res.pools) || [];
  const running = res ? [] : (view && view.running) || (st.progress && st.progress.running) || [];
  const pending = res ? 0 : view ? view.pending : (st.progress && st.progress.poolsPending) || 0;
  const known = new Map();
  for (const r of done) known.set(r.key, { key: r.key, name: r.displayName || r.key, status: statusLabels[r.status] || r.status.toLowerCase(), result: r, workflowId: r.workflowId });
  for (const r of running) known.set(r.key, { key: r.key, name: r.displayName || r.key, status: 'running', running: r, workflowId: r.workflowId });
  if (plan) {
    const notStarted = res ? (res.poolCounts && res.poolCounts.notStarted) || 0 : pending;
    return plan.map((p, i) => known.get(p.key) || {
      key: p.key, name: p.displayName, create: p.create,
      status: i >= plan.length - notStarted ? (res ? 'not started' : 'pending') : 'not listed',
    });
  }
  const list = [...running.map((r) => known.get(r.key)), ...done.map((r) => known.get(r.key))];
  const omitted = (view && view.omitted) || (res && res.poolsOmitted) || 0;
  if (pending) list.push({ key: '~pending', summary: `${fmtInt(pending)} pool${pending === 1 ? '' : 's'} waiting for their turn` });
  if (omitted) list.push({ key: '~omitted', summary: `${fmtInt(omitted)} more finished pool${omitted === 1 ? ' is' : 's are'} not listed: see the Temporal UI` });
  if (res && res.poolCounts && res.poolCounts.notStarted) list.push({ key: '~notstarted', summary: `${fmtInt(res.poolCounts.notStarted)} pools were not started` });
  return list;
}

const rows = new Map(); // pool key -> {tr, cells}
const COLUMNS = ['Pool', 'Status', 'Created', 'Adopted', 'Failed', 'Progress', 'History'];

function renderPools(st, view) {
  const entries = poolEntries(st, view);
  const tbody = $('#pools tbody');
  const wanted = [];
  for (const e of entries) {
    let row = rows.get(e.key);
    if (!row || row.summary !== Boolean(e.summary)) {
      row = newRow(e);
      rows.set(e.key, row);
    }
    updateRow(row, e);
    wanted.push(row.tr);
  }
  const kept = new Set(wanted);
  for (const [key, row] of rows) if (!kept.has(row.tr)) rows.delete(key);
  const current = [...tbody.children];
  if (current.length !== wanted.length || current.some((tr, i) => tr !== wanted[i])) tbody.replaceChildren(...wanted);
}

function newRow(e) {
  if (e.summary) {
    const td = el('td', { colspan: COLUMNS.length });
    return { summary: true, tr: el('tr', { class: 'empty' }, td), cells: [td], sig: [] };
  }
  const cells = COLUMNS.map((label, i) => el('td', { 'data-label': label, class: i >= 2 && i <= 4 ? 'num' : undefined }));
  return { summary: false, tr: el('tr', { 'data-pool-key': e.key }, cells), cells, sig: [] };
}

function updateRow(row, e) {
  if (row.summary) {
    setText(row.cells[0], e.summary);
    return;
  }
  row.tr.dataset.status = e.status;
  const r = e.result;
  const c = r ? r.counts : null;
  let progress = '';
  if (e.running) {
    const x = e.running;
    const accepted = Math.max((x.done || 0) - (x.confirmed || 0), 0);
    progress = `${fmtInt(x.done || 0)} / ${fmtInt(x.rows)} handled · ${fmtInt(x.confirmed || 0)} confirmed · ${fmtInt(accepted)} accepted, to confirm`;
  } else if (r) {
    const extra = [c.conflicts && `${fmtInt(c.conflicts)} in conflict`, c.refused && `${fmtInt(c.refused)} refused`, c.skipped && `${fmtInt(c.skipped)} skipped`, c.notAttempted && `${fmtInt(c.notAttempted)} not attempted`].filter(Boolean);
    progress = [`${fmtInt(c.created + c.adopted + c.patched)} in R1`, ...extra].join(' · ') + (r.error ? ` — ${r.error}` : '');
  } else if (e.create !== undefined) {
    progress = `${fmtInt(e.create)} to create`;
  }
  const link = workflowLink(e.workflowId);
  const values = [
    [e.name, e.key],
    e.status,
    c ? fmtInt(c.created) : '—',
    c ? fmtInt(c.adopted + c.patched) : '—',
    c ? fmtInt(c.failed + c.conflicts) : '—',
    progress,
    link,
  ];
  values.forEach((v, i) => {
    const sig = JSON.stringify(v);
    if (row.sig[i] === sig) return;
    row.sig[i] = sig;
    row.cells[i].replaceChildren(content(i, v, e));
  });
}

function content(i, v, e) {
  switch (i) {
    case 0:
      return el('span', {}, el('span', { class: 'pool-name' }, v[0]), el('span', { class: 'sub' }, v[1]));
    case 1:
      return el('span', { class: 'badge ' + stateClass(v.replace(' ', '_')) }, v);
    case 6:
      return v
        ? el('a', { href: v, target: '_blank', rel: 'noopener noreferrer', class: 'pool-link', 'aria-label': `Open the workflow of pool ${e.name} in the Temporal UI` }, 'Open ↗')
        : el('span', {}, '—');
    default:
      return el('span', {}, v);
  }
}

function renderFailed(st, view) {
  const done = (view && view.done) || (st.result && st.result.pools) || [];
  const out = [];
  for (const p of done) {
    for (const r of p.failedRows || []) {
      out.push(el('tr', {},
        el('td', { 'data-label': 'Pool' }, el('span', {}, p.displayName || p.key)),
        el('td', { 'data-label': 'Row', class: 'num' }, el('span', {}, String(r.index))),
        el('td', { 'data-label': 'Username' }, el('span', {}, r.username || '(none)')),
        el('td', { 'data-label': 'Reason' }, el('span', {}, r.reason))));
    }
  }
  const sig = JSON.stringify(done.map((p) => [p.key, (p.failedRows || []).length]));
  const table = $('#failed-table tbody');
  if (table.dataset.sig === sig) return;
  table.dataset.sig = sig;
  table.replaceChildren(...out);
  $('#failed').hidden = out.length === 0;
}

signedIn(() => {
  initDialog();
  initConfigure(statusPath, () => schedule(0));
  whenSignedInAgain(() => schedule(0));
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !ended) schedule(0);
  });
  poll();
});
