// The start page: choose an export, read its plan, start it; and the list of
// recent migrations.
import {
  $, api, cell, el, fmtDuration, fmtInt, fmtTime, migrationPath, rememberPlan, setText, signedIn, stateClass, whenSignedInAgain,
} from './common.js';

const form = $('#start-form');
const fileInput = $('#export');
const parallel = $('#parallel');
const maxConcurrent = $('#max-concurrent');
const passphraseConcurrency = $('#passphrase-concurrency');
const expired = $('#expired');
const renewDays = $('#renew-days');
const importInactive = $('#import-inactive');
const namePrefix = $('#name-prefix');
const nameSuffix = $('#name-suffix');
const policySet = $('#policy-set');
const startButton = $('#start');
const planStatus = $('#plan-status');

// options are the form's choices as the trigger's option names; a default is left out.
function options() {
  const o = [];
  if (parallel.checked) {
    o.push(['parallel', 'true'], ['maxConcurrent', maxConcurrent.value.trim()]);
  }
  if (passphraseConcurrency.value.trim()) o.push(['passphraseConcurrency', passphraseConcurrency.value.trim()]);
  if (expired.value !== 'no-expiry') o.push(['expired', expired.value]);
  if (expired.value === 'renew' && renewDays.value.trim()) o.push(['renewDays', renewDays.value.trim()]);
  if (importInactive.checked) o.push(['importInactive', 'true']);
  if (namePrefix.value) o.push(['namePrefix', namePrefix.value]);
  if (nameSuffix.value) o.push(['nameSuffix', nameSuffix.value]);
  if (policySet.value.trim()) o.push(['policySet', policySet.value.trim()]);
  return o;
}

// request is the multipart body both /v1/plans and /v1/migrations take.
function request(file) {
  const body = new FormData();
  for (const [k, v] of options()) body.append(k, v);
  body.append('export', file, file.name);
  return body;
}

// The plan on screen belongs to one file and one set of options: Start is
// enabled only while both are unchanged.
let shown = null; // identity of the plan on screen
let lastPlan = null; // the plan on screen, remembered for the watch page
let planning = 0; // sequence of the latest plan request

const identity = (file) => JSON.stringify([file.name, file.size, file.lastModified, options()]);

async function plan() {
  const file = fileInput.files[0];
  const seq = ++planning;
  shown = null;
  lastPlan = null;
  startButton.disabled = true;
  hideProblems();
  if (!file) {
    $('#plan').hidden = true;
    setText(planStatus, '');
    return;
  }
  setText(planStatus, `Planning ${file.name}…`);
  const id = identity(file);
  try {
    const res = await api('POST', '/v1/plans', request(file));
    if (seq !== planning) return;
    showPlan(res);
    lastPlan = res;
    shown = id;
    startButton.disabled = false;
    setText(planStatus, `Plan of ${file.name}: nothing is stored or started yet.`);
  } catch (e) {
    if (seq !== planning) return;
    $('#plan').hidden = true;
    showProblems(e);
    setText(planStatus, '');
  }
}

let replanTimer = 0;
function replanSoon() {
  startButton.disabled = true;
  clearTimeout(replanTimer);
  replanTimer = setTimeout(plan, 350);
}

function showProblems(e) {
  const box = $('#problems');
  const list = $('#problems-list');
  const p = e.problem || {};
  let title = e.message;
  if (p.type === 'urn:dpskmigrate:problem:invalid-export') title = 'The export cannot be migrated; nothing was stored or started.';
  if (p.type === 'urn:dpskmigrate:problem:invalid-options') title = 'The options are invalid; nothing was stored or started.';
  if (e.status === 401) title = 'Sign in again: the trigger refused the token.';
  setText($('#problems-title'), title);
  list.replaceChildren(...(p.problems || []).map((text) => el('li', {}, text)));
  box.hidden = false;
}

function hideProblems() {
  $('#problems').hidden = true;
  $('#problems-list').replaceChildren();
}

function showPlan(res) {
  const s = res.summary;
  setText($('#plan-pools'), fmtInt(s.pools));
  setText($('#plan-create'), fmtInt(s.create));
  setText($('#plan-skip'), fmtInt(s.skipped));
  setText($('#plan-refuse'), fmtInt(s.refused));
  setText($('#plan-calls'), fmtInt(s.estimatedCalls));
  const min = $('#plan-min-duration');
  if (res.callsPerMinute > 0) {
    setText(min, `${fmtDuration(res.minDurationSeconds || 0)} at ${fmtInt(res.callsPerMinute)} calls/min`);
  } else {
    setText(min, 'no R1 budget configured');
  }
  const o = res.options;
  const mode = o.parallel
    ? `Parallel: ${o.window} pools at once, ${o.passphraseConcurrency} passphrases in flight per pool.`
    : `Sequential: one pool at a time, ${o.passphraseConcurrency} passphrase${o.passphraseConcurrency === 1 ? '' : 's'} in flight.`;
  const policy = o.policySet ? ` Policy set "${o.policySet}" is found or created and attached to every pool (${fmtInt(res.policyCalls)} calls).` : '';
  setText($('#plan-mode'), mode + policy);

  const warnings = s.warnings || [];
  $('#plan-warnings').hidden = warnings.length === 0;
  $('#plan-warnings-list').replaceChildren(...warnings.map((w) => el('li', {}, w)));

  $('#plan-pools-table tbody').replaceChildren(...res.pools.map((p) => el('tr', { 'data-pool-key': p.key },
    cell('Pool', [p.displayName, el('span', { class: 'sub' }, p.key)]),
    cell('R1 names', [p.identityGroupName, el('span', { class: 'sub' }, p.poolName)]),
    el('td', { 'data-label': 'Create', class: 'num', 'data-col': 'create' }, fmtInt(p.create)),
    el('td', { 'data-label': 'Skip', class: 'num', 'data-col': 'skip' }, fmtInt(p.skip)),
    el('td', { 'data-label': 'Refuse', class: 'num', 'data-col': 'refuse' }, fmtInt(p.refuse)),
    el('td', { 'data-label': 'R1 calls', class: 'num', 'data-col': 'calls' }, fmtInt(p.estimatedCalls)),
  )));

  const rows = [];
  for (const p of res.pools) {
    for (const [kind, list, omitted] of [['refused', p.refused, p.refusedOmitted], ['skipped', p.skipped, p.skippedOmitted]]) {
      for (const r of list) {
        rows.push(el('tr', { 'data-kind': kind },
          cell('Pool', p.displayName),
          cell('Outcome', kind),
          cell('Row', r.index, 'num'),
          cell('Username', r.username || '(none)'),
          cell('Reason', r.reason)));
      }
      if (omitted) rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 5 }, `${fmtInt(omitted)} more ${kind} rows in ${p.displayName}`)));
    }
  }
  $('#plan-rows').hidden = rows.length === 0;
  $('#plan-rows-table tbody').replaceChildren(...rows);
  $('#plan').hidden = false;
}

// start runs on the button only: Enter in a field never starts a migration.
async function start() {
  const file = fileInput.files[0];
  if (!file || shown !== identity(file)) {
    plan();
    return;
  }
  startButton.disabled = true;
  setText(planStatus, `Starting the migration of ${file.name}…`);
  try {
    const res = await api('POST', '/v1/migrations', request(file));
    if (lastPlan) rememberPlan(res.workflowId, lastPlan);
    location.assign(migrationPath(res.workflowId));
  } catch (e) {
    showProblems(e);
    setText(planStatus, '');
    startButton.disabled = false;
  }
}


async function loadRecent() {
  const status = $('#recent-status');
  const limit = Number($('#recent').dataset.limit) || 50;
  setText(status, 'Loading…');
  try {
    const res = await api('GET', `/v1/migrations?limit=${limit}`);
    const rows = res.migrations.map((m) => el('tr', {},
      cell('Migration', el('a', { href: migrationPath(m.workflowId), class: 'id' }, m.workflowId)),
      cell('Status', el('span', { class: 'badge ' + stateClass(m.state) }, m.state.toLowerCase())),
      cell('Started', fmtTime(m.startTime)),
      cell('Ended', m.closeTime ? fmtTime(m.closeTime) : '—')));
    if (rows.length === 0) rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 4 }, 'No migration yet.')));
    $('#recent tbody').replaceChildren(...rows);
    setText(status, res.migrations.length === limit ? `The first ${limit}.` : '');
  } catch (e) {
    setText(status, 'Cannot list migrations: ' + e.message);
  }
}

signedIn(() => {
  parallel.addEventListener('change', () => {
    maxConcurrent.disabled = !parallel.checked;
    replanSoon();
  });
  expired.addEventListener('change', () => {
    renewDays.disabled = expired.value !== 'renew';
    replanSoon();
  });
  fileInput.addEventListener('change', plan);
  for (const input of [maxConcurrent, passphraseConcurrency, renewDays, importInactive, namePrefix, nameSuffix, policySet]) {
    input.addEventListener(input.type === 'checkbox' ? 'change' : 'input', replanSoon);
  }
  form.addEventListener('submit', (ev) => ev.preventDefault());
  startButton.addEventListener('click', start);
  $('#refresh').addEventListener('click', loadRecent);
  if (fileInput.files[0]) plan(); // a file kept by the browser across a reload
  loadRecent();
  whenSignedInAgain(() => {
    if (fileInput.files[0]) plan();
    loadRecent();
  });
});
