// Operating a migration from its page, besides watching it: the window
// (pools at once), the report download, a verification against R1 and a
// rollback. Each goes through the same /v1 endpoints as automation; a
// verification or rollback is followed at the status URL its start answered.
import {
  $, api, download, el, fmtInt, fmtTime, setText, stateClass,
} from './common.js';

const SWEEP_POLL_MS = 2000;
const MAX_DIFFERENCES_SHOWN = 50; // the CSV has them all

const plural = (n, one, many) => `${fmtInt(n)} ${n === 1 ? one : many}`;
const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// follow polls a verification's or rollback's status URL until it has ended,
// telling progress(state) while it runs: soon at first (a small one ends in
// seconds), then every SWEEP_POLL_MS.
async function follow(url, progress) {
  for (let delay = SWEEP_POLL_MS / 8; ; delay = Math.min(delay * 2, SWEEP_POLL_MS)) {
    let st;
    try {
      st = await api('GET', url);
    } catch (e) {
      if (e.status === 404 || e.status === 401) throw e;
      progress(null, e);
      await wait(SWEEP_POLL_MS);
      continue;
    }
    if (st.state !== 'RUNNING') return st;
    progress(st);
    await wait(document.hidden ? 5 * SWEEP_POLL_MS : delay);
  }
}

// initConfigure wires the "pools at once" field; changed() runs after each
// answer, so the page reads the migration again.
export function initConfigure(statusPath, changed) {
  const input = $('#window');
  const button = $('#window-apply');
  const status = $('#window-status');
  input.addEventListener('input', () => {
    input.dataset.dirty = '1';
  });
  const apply = async () => {
    const n = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(n)) {
      setText(status, `Enter a whole number of pools, ${input.min} to ${input.max}.`);
      return;
    }
    button.disabled = true;
    setText(status, 'Asking the migration…');
    try {
      const c = await api('POST', statusPath + '/configure', { maxConcurrent: n });
      delete input.dataset.dirty;
      setText(status, `${plural(c.maxConcurrent, 'pool', 'pools')} at once from now on.`);
    } catch (e) {
      setText(status, e.status === 422 ? `Refused: ${e.message}` : `Not changed: ${e.message}`);
    }
    button.disabled = false;
    changed();
  };
  button.addEventListener('click', apply);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      apply();
    }
  });
}

// renderConfigure shows the window in force while the migration runs,
// unless the person is typing another.
export function renderConfigure(st) {
  const p = st.progress;
  $('#configure').hidden = !(st.state === 'RUNNING' && p && p.pools > 0);
  const input = $('#window');
  if (p && p.window && !input.dataset.dirty && document.activeElement !== input) input.value = String(p.window);
}

export async function downloadReport(migrationId, statusPath) {
  const name = await download(statusPath + '/report', 'text/csv', `report-${migrationId}.csv`);
  return `The report is saved as ${name}.`;
}

// verify starts a verification and shows its outcome and differences.
export async function verify(statusPath) {
  const section = $('#verify');
  const status = $('#verify-status');
  section.hidden = false;
  delete section.dataset.status;
  $('#verify-outcome').replaceChildren();
  $('#verify-table').hidden = true;
  $('#verify-csv').hidden = true;
  setText($('#verify-more'), '');
  setText(status, 'Starting a verification: each pool is read back from R1 and compared with the plan…');
  let started;
  try {
    started = await api('POST', statusPath + '/verify');
  } catch (e) {
    setText(status, `Cannot verify: ${e.message}`);
    return;
  }
  let v;
  try {
    v = await follow(started.statusUrl, (st, err) => setText(status, err
      ? `Cannot read the verification: ${err.message} (trying again)`
      : `Verifying… ${st.poolsRunning ? plural(st.poolsRunning.length, 'pool', 'pools') : 'no pool'} being read.`));
  } catch (e) {
    setText(status, `Cannot read the verification: ${e.message}`);
    return;
  }
  renderVerification(v, started.statusUrl);
}

function renderVerification(v, url) {
  const section = $('#verify');
  const status = $('#verify-status');
  if (!v.result) {
    setText(status, `The verification ended without a result (${v.state.toLowerCase()}): ${v.error || 'see the Temporal UI'}`);
    return;
  }
  const r = v.result;
  const t = r.totals;
  section.dataset.status = r.status;
  setText(status, `Verified ${fmtTime(v.closeTime)}.`);
  const word = r.status === 'MATCH' ? 'match' : r.status.toLowerCase();
  let text = r.status === 'MATCH'
    ? ` R1 holds every planned row as the export has it: ${fmtInt(t.matched)} of ${fmtInt(t.expected)}.`
    : ` ${fmtInt(t.matched)} of ${fmtInt(t.expected)} rows as planned · ${fmtInt(t.missing)} missing · ${fmtInt(t.changed)} changed · ${fmtInt(t.extra)} extra.`;
  const failed = (r.pools || []).filter((p) => p.status === 'FAILED');
  if (failed.length) text += ' Not read: ' + failed.map((p) => `${p.displayName || p.key} (${p.error})`).join('; ') + '.';
  $('#verify-outcome').replaceChildren(el('span', { class: 'badge ' + stateClass(word) }, word), text);

  const diffs = v.differences || [];
  const rows = diffs.slice(0, MAX_DIFFERENCES_SHOWN).map((d) => el('tr', { 'data-difference': d.difference },
    el('td', { 'data-label': 'Pool' }, el('span', {}, d.r1Pool)),
    el('td', { 'data-label': 'Row', class: 'num' }, el('span', {}, d.index === undefined ? '—' : String(d.index))),
    el('td', { 'data-label': 'Username' }, el('span', {}, d.username || '(none)')),
    el('td', { 'data-label': 'Difference' }, el('span', {}, d.difference + (d.fields ? `: ${d.fields.join(', ')}` : '')))));
  $('#verify-table tbody').replaceChildren(...rows);
  $('#verify-table').hidden = rows.length === 0;
  if (diffs.length > rows.length) setText($('#verify-more'), `${fmtInt(diffs.length - rows.length)} more in the CSV.`);
  const csv = $('#verify-csv');
  csv.hidden = diffs.length === 0;
  csv.onclick = async () => {
    try {
      const name = await download(url, 'text/csv', 'differences.csv');
      setText(status, `The differences are saved as ${name}.`);
    } catch (e) {
      setText(status, `Cannot download the differences: ${e.message}`);
    }
  };
}

const PREVIEW_COLUMNS = [
  ['Passphrases', 'passphrases'], ['VLANs', 'vlans'], ['Networks', 'networks'], ['DPSK pools', 'pools'],
  ['Identity groups', 'groups'], ['Policy sets', 'policySets'], ['Restores', 'restores'], ['R1 calls', 'estimatedR1Calls'],
];

function previewRow(name, key, counts, cls) {
  return el('tr', { 'data-pool-key': key, class: cls },
    el('td', { 'data-label': 'Pool' }, el('span', {}, name)),
    PREVIEW_COLUMNS.map(([label, k]) => el('td', { 'data-label': label, 'data-col': k, class: 'num' }, el('span', {}, fmtInt(counts[k])))));
}

// rollback shows what a rollback would undo, asks, and only then starts it
// and shows its outcome, with everything it kept.
export async function rollback(statusPath, confirmed) {
  const section = $('#rollback');
  const status = $('#rollback-status');
  section.hidden = false;
  delete section.dataset.status;
  $('#rollback-outcome').replaceChildren();
  $('#rollback-kept').replaceChildren();
  setText(status, 'Reading what a rollback would undo…');
  let pv;
  try {
    pv = await api('GET', statusPath + '/rollback');
  } catch (e) {
    setText(status, `No rollback: ${e.message}`);
    return;
  }
  const table = $('#rollback-preview');
  $('#rollback-preview tbody').replaceChildren(
    ...(pv.pools || []).map((p) => previewRow(p.displayName || p.key, p.key, p)),
    previewRow('All pools', '~total', pv.totals, 'total'));
  table.hidden = false;
  if (pv.running) {
    setText(status, 'The migration is still running: cancel it or let it finish before rolling it back.');
    return;
  }
  const t = pv.totals;
  const notRecorded = pv.notRecorded || [];
  if (notRecorded.length) {
    $('#rollback-kept').replaceChildren(...notRecorded.map((n) => el('li', {}, `${n}: ran under the first release, which recorded nothing to undo; remove it in R1 by hand.`)));
  }
  setText(status, 'This is what a rollback would undo. Confirm to start it.');
  const yes = await confirmed({
    title: 'Roll back this migration?',
    text: `R1 loses what the migration created: up to ${plural(t.passphrases, 'passphrase', 'passphrases')}, `
      + `${plural(t.pools, 'DPSK pool', 'DPSK pools')}, ${plural(t.groups, 'identity group', 'identity groups')}, `
      + `${plural(t.networks, 'network', 'networks')} and ${plural(t.policySets, 'policy set', 'policy sets')}; `
      + `${plural(t.vlans, 'VLAN', 'VLANs')} and ${plural(t.restores, 'setting', 'settings')} are put back, in about `
      + `${plural(t.estimatedR1Calls, 'R1 call', 'R1 calls')}. What someone changed or added since is kept. This cannot be undone.`,
    yes: 'Roll back',
    no: 'Keep everything',
  });
  if (!yes) {
    setText(status, 'Nothing was rolled back.');
    return;
  }
  let started;
  try {
    started = await api('POST', statusPath + '/rollback', { confirm: true });
  } catch (e) {
    setText(status, `The rollback did not start: ${e.message}`);
    return;
  }
  setText(status, 'Rolling back…');
  let rb;
  try {
    rb = await follow(started.statusUrl, (st, err) => setText(status, err
      ? `Cannot read the rollback: ${err.message} (trying again)`
      : `Rolling back… ${st.poolsRunning ? plural(st.poolsRunning.length, 'pool', 'pools') : 'no pool'} in progress.`));
  } catch (e) {
    setText(status, `Cannot read the rollback: ${e.message}`);
    return;
  }
  renderRollback(rb);
}

function renderRollback(rb) {
  const status = $('#rollback-status');
  if (!rb.result) {
    setText(status, `The rollback ended without a result (${rb.state.toLowerCase()}): ${rb.error || 'see the Temporal UI'}`);
    return;
  }
  const r = rb.result;
  const t = r.totals;
  $('#rollback').dataset.status = r.status;
  setText(status, `Ended ${fmtTime(rb.closeTime)}.`);
  const words = { COMPLETED: 'completed', PARTIAL: 'partial', FAILED: 'failed', CANCELED: 'cancelled' };
  const word = words[r.status] || r.status.toLowerCase();
  const undone = `${plural(t.passphrases, 'passphrase', 'passphrases')}, ${plural(t.pools, 'DPSK pool', 'DPSK pools')}, `
    + `${plural(t.groups, 'identity group', 'identity groups')}, ${plural(t.networks, 'network', 'networks')} and `
    + `${plural(t.policySets, 'policy set', 'policy sets')} deleted; ${plural(t.vlans + t.restored, 'setting', 'settings')} put back.`;
  const lead = { COMPLETED: ' Rolled back: ', PARTIAL: ' Rolled back in part, some things kept (below): ', FAILED: ' The rollback failed (below): ' }[r.status] || ' ';
  $('#rollback-outcome').replaceChildren(el('span', { class: 'badge ' + stateClass(word) }, word), lead + undone);
  const items = [
    ...(r.kept || []).map((k) => el('li', {}, k)),
    ...(r.pools || []).flatMap((p) => [
      ...(p.kept || []).map((k) => el('li', {}, `${p.displayName || p.key}: ${k}`)),
      ...(p.error ? [el('li', {}, `${p.displayName || p.key}: ${p.error}`)] : []),
    ]),
  ];
  $('#rollback-kept').replaceChildren(...items);
}
