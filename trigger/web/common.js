// Shared by the pages: the token, calls to /v1, and DOM helpers.
//
// Every value from an export or from Temporal (pool names, usernames, reasons,
// IDs) reaches the page as text: el() makes text nodes and attributes, never
// HTML, and the Content-Security-Policy's Trusted Types make any assignment
// of an HTML string throw.

const TOKEN_KEY = 'dpskmigrate.token';

export const settings = {
  authRequired: document.body.dataset.auth !== 'none',
  uiWorkflowBase: document.body.dataset.uiWorkflowBase || '',
  callsPerMinute: Number(document.body.dataset.callsPerMinute) || 0,
  migrationId: document.body.dataset.migrationId || '',
};

export const $ = (sel, root = document) => root.querySelector(sel);

// The token lives in this tab's sessionStorage only: never in storage that
// outlives the tab, a cookie or a URL.
function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage off: nothing kept */
  }
}

// ApiError is a refused /v1 call, with the problem+json document when there is one.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `the trigger answered HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let onUnauthorized = () => {};
let onSignedInAgain = () => {};

// whenSignedInAgain runs fn each time a person signs in again after the
// trigger refused the token: a page resumes what the refusal stopped.
export function whenSignedInAgain(fn) {
  onSignedInAgain = fn;
}

// api calls a /v1 endpoint with the tab's token, as automation does. A
// plain object body is sent as JSON.
export async function api(method, path, body, tokenOverride) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined && Object.getPrototypeOf(body) === Object.prototype) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const t = tokenOverride ?? token();
  if (t) headers.Authorization = 'Bearer ' + t;
  let res;
  try {
    res = await fetch(path, {
      method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, { detail: 'the trigger cannot be reached: is it running, and is this its address?' });
  }
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && tokenOverride === undefined) {
    forgetToken();
    onUnauthorized();
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// download fetches a /v1 file with the tab's token (a link cannot carry it)
// and hands it to the browser as a download named by the trigger's
// Content-Disposition, else fallbackName. It returns the name.
export async function download(path, accept, fallbackName) {
  const headers = { Accept: accept };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  let res;
  try {
    res = await fetch(path, {
      method: 'GET', headers, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, { detail: 'the trigger cannot be reached: is it running, and is this its address?' });
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.status === 401) {
      forgetToken();
      onUnauthorized();
    }
    throw new ApiError(res.status, data);
  }
  const blob = await res.blob();
  const m = /filename="?([A-Za-z0-9._-]+)"?/.exec(res.headers.get('Content-Disposition') || '');
  const name = m ? m[1] : fallbackName;
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60000);
  return name;
}

// signedIn runs start once /v1 may be called: at once with a token in this
// tab (or when the trigger needs none), else after the sign-in form.
export function signedIn(start) {
  const signin = $('#signin');
  const app = $('#app');
  const signOut = $('#sign-out');
  const form = $('#signin-form');
  const input = $('#token');
  const error = $('#signin-error');
  let started = false;

  const showApp = () => {
    signin.hidden = true;
    app.hidden = false;
    signOut.hidden = !settings.authRequired;
    if (!started) {
      started = true;
      start();
    } else {
      onSignedInAgain();
    }
  };
  const showSignIn = (message) => {
    app.hidden = true;
    signOut.hidden = true;
    signin.hidden = false;
    error.textContent = message || '';
    input.focus();
  };
  onUnauthorized = () => showSignIn('The trigger refused the token: sign in again.');

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) {
      error.textContent = 'Paste the token first.';
      return;
    }
    error.textContent = '';
    try {
      await api('GET', '/v1/migrations?limit=1', undefined, t);
    } catch (e) {
      error.textContent = e.status === 401 ? 'The trigger refused this token.' : 'Cannot sign in: ' + e.message;
      return;
    }
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
    } catch {
      error.textContent = 'This browser does not let the page keep the token for the tab (sessionStorage is off).';
      return;
    }
    input.value = '';
    showApp();
  });
  signOut.addEventListener('click', () => {
    forgetToken();
    location.assign('/');
  });

  if (!settings.authRequired || token()) showApp();
  else showSignIn('');
}

// el makes an element: attrs become attributes (href only for http(s) URLs
// and paths), children become text nodes or are appended as elements.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'href' && !safeHref(String(v))) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function safeHref(v) {
  if (v.startsWith('/') && !v.startsWith('//')) return true;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

// cell is a table cell labelled for the narrow layout, its content in one span.
export function cell(label, content, cls) {
  return el('td', { 'data-label': label, class: cls }, el('span', {}, content));
}

// setText changes a node's text only when it differs (no needless repaint).
export function setText(node, text) {
  const s = String(text);
  if (node.textContent !== s) node.textContent = s;
}

export const fmtInt = (n) => Number(n || 0).toLocaleString('en-US');

// fmtDuration writes whole seconds as 45s, 3m05s or 2h07m.
export function fmtDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

// workflowLink is the Temporal UI's page of a workflow, or '' without a UI.
// It escapes the ID as the trigger's own links do (migrations.Service.UIURL).
export function workflowLink(workflowId) {
  if (!settings.uiWorkflowBase || !workflowId) return '';
  const escaped = workflowId.replace(/[/ ?#]/g, (c) => ({ '/': '%2F', ' ': '%20', '?': '%3F', '#': '%23' })[c]);
  return settings.uiWorkflowBase + escaped;
}

export const migrationPath = (id) => '/migrations/' + encodeURIComponent(id);

// The plan's pools, kept for the watch page of the migration this tab
// started: names and sizes of the pools not started yet. No passphrase is
// ever in a plan.
const PLAN_KEY = 'dpskmigrate.plan.';

export function rememberPlan(id, plan) {
  try {
    const pools = plan.pools.map((p) => ({ key: p.key, displayName: p.displayName, create: p.create }));
    sessionStorage.setItem(PLAN_KEY + id, JSON.stringify(pools));
  } catch {
    /* too large or storage off: the watch page counts pending pools instead */
  }
}

export function recalledPlan(id) {
  try {
    const pools = JSON.parse(sessionStorage.getItem(PLAN_KEY + id) || 'null');
    return Array.isArray(pools) ? pools : null;
  } catch {
    return null;
  }
}

// stateClass maps a Temporal or pool status to a badge class.
export const stateClass = (s) => String(s || '').toLowerCase().replace(/[^a-z_]/g, '');
