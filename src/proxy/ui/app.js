// MCProxy dashboard. Plain ES2020, no framework, no build step. Every string that comes from
// the proxy (names, descriptions, errors, results) is inserted as text, never as HTML.
'use strict';

(() => {
  const API = '/ui/api/';
  const FEED_MAX = 200;
  const PAGE_TOOLS = 50;
  const PAGE_SESSIONS = 50;
  const PAGE_OTHER = 25;
  const SUGGEST_MAX = 30;

  // ---------------------------------------------------------------- small helpers

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /** el('td', {class: 'x', dataset: {a: 'b'}, text: '…', onclick: f}, child, 'text', …) */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = String(value);
        else if (key === 'dataset') Object.assign(node.dataset, value);
        else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
        else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected') node[key] = value;
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const nf = new Intl.NumberFormat('en-US');
  const fmtInt = (n) => (typeof n === 'number' && Number.isFinite(n) ? nf.format(n) : '—');
  const str = (v) => (v === null || v === undefined ? '' : String(v));
  const dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

  function fmtMs(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 100) return `${ms.toFixed(1)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
    return fmtDuration(ms / 1000);
  }

  function fmtDuration(sec) {
    if (typeof sec !== 'number' || !Number.isFinite(sec)) return '—';
    const s = Math.max(0, Math.floor(sec));
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    const r = s % 60;
    if (d) return `${d}d ${h}h`;
    if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
    if (m) return `${m}m ${String(r).padStart(2, '0')}s`;
    return `${r}s`;
  }

  function fmtRate(x) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    if (x < 0.05) return '0';
    if (x < 10) return x.toFixed(1);
    return nf.format(Math.round(x));
  }

  function fmtPct(part, whole) {
    if (typeof whole !== 'number' || whole <= 0 || typeof part !== 'number') return '—';
    if (part <= 0) return '0%';
    const p = (100 * part) / whole;
    return p < 1 ? `${p.toFixed(2)}%` : `${p.toFixed(1)}%`;
  }

  function fmtTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return dash(iso);
    const two = (n) => String(n).padStart(2, '0');
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  }

  function fmtAgo(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return dash(iso);
    const sec = (Date.now() - d.getTime()) / 1000;
    const when = d.toLocaleString();
    return sec >= 0 ? `${fmtDuration(sec)} ago (${when})` : when;
  }

  const pretty = (v) => {
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  };

  /** The fields of `obj` as one lower-case string, for substring filtering. */
  const haystack = (...parts) => parts.map((p) => str(p).toLowerCase()).join('\n');
  /** Every whitespace-separated word of the query occurs in the haystack. */
  function matcher(query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return () => true;
    return (hay) => words.every((w) => hay.includes(w));
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // ---------------------------------------------------------------- application state

  const S = {
    authRequired: false,
    identity: null,
    csrf: null,
    started: false,
    state: null,
    prev: null, // {t, total, byName: Map(name → requests)} of the previous state sample
    rates: new Map(), // backend name → calls per second
    totalRate: null,
    backendSig: new Map(), // name → "state/tools", to notice catalogue changes
    cat: { tools: [], prompts: [], resources: [], templates: [] },
    catLoading: false,
    catDirty: false,
    catLoaded: false,
    catLoadedAt: 0,
    catCalls: false, // tools were called since the catalogue (and its call counts) was loaded
    catTimer: null,
    kind: 'tools',
    selected: null, // {kind, item}
    sessions: [],
    sessionsLoaded: false,
    feed: [], // newest last
    feedQueue: [],
    feedTimer: null,
    feedPaused: false,
    feedSeen: 0,
    feedKeys: new Set(),
    feedKeyOrder: [],
    es: null,
    live: false,
    esRetry: null,
    pollTimer: null,
    sessionsTimer: null,
    tab: 'overview',
  };

  // ---------------------------------------------------------------- the HTTP API

  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }
  class AuthError extends Error {}

  async function api(path, { method = 'GET', body, csrf = false } = {}) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (csrf && S.csrf) headers['X-MCProxy-CSRF'] = S.csrf;
    let res;
    try {
      res = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, `cannot reach the proxy (${e && e.message ? e.message : e})`);
    }
    if (res.status === 401 && path !== 'login') {
      onUnauthorized();
      throw new AuthError('not signed in');
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const message = data && typeof data.error === 'string' ? data.error
        : data && data.error && typeof data.error.message === 'string' ? data.error.message
          : `HTTP ${res.status}${text && !data ? `: ${text.slice(0, 200)}` : ''}`;
      throw new ApiError(res.status, message, data);
    }
    return data;
  }

  /** Runs an async task; failures are shown in the notice bar, never thrown (no unhandled rejections). */
  function run(task, what) {
    Promise.resolve()
      .then(task)
      .catch((e) => {
        if (e instanceof AuthError) return;
        notice(`${what ? `${what}: ` : ''}${e && e.message ? e.message : e}`);
      });
  }

  let noticeTimer = null;
  function notice(text) {
    const box = $('#notice');
    box.textContent = text;
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      box.hidden = true;
    }, 8000);
  }

  // ---------------------------------------------------------------- sign-in

  function showOnly(which) {
    $('#boot').hidden = which !== 'boot';
    $('#login').hidden = which !== 'login';
    $('#app').hidden = which !== 'app';
  }

  function showLogin(message) {
    stopApp();
    showOnly('login');
    const err = $('#login-error');
    err.textContent = message || '';
    err.hidden = !message;
    const input = $('#login-token');
    input.value = '';
    input.focus();
  }

  function onUnauthorized() {
    if ($('#login').hidden) showLogin(S.started ? 'Your dashboard session ended; sign in again.' : '');
  }

  async function login() {
    const token = $('#login-token').value.trim();
    const err = $('#login-error');
    if (!token) {
      err.textContent = 'Enter an API key or a JWT.';
      err.hidden = false;
      return;
    }
    const button = $('#login-submit');
    button.disabled = true;
    err.hidden = true;
    try {
      const who = await api('login', { method: 'POST', body: { token } });
      S.identity = who && who.identity !== undefined ? who.identity : null;
      S.csrf = who ? who.csrf : null;
      $('#login-token').value = '';
      startApp();
    } catch (e) {
      let text = e.message;
      if (e.status === 401) text = `Sign-in refused: ${e.message}`;
      else if (e.status === 403) text = `Not allowed: ${e.message}`;
      err.textContent = text;
      err.hidden = false;
      $('#login-token').value = ''; // a refused secret does not stay in the page
      $('#login-token').focus();
    } finally {
      button.disabled = false;
    }
  }

  async function logout() {
    try {
      await api('logout', { method: 'POST', csrf: true });
    } catch (e) {
      if (!(e instanceof AuthError)) {
        notice(`Sign out: ${e.message}`);
        return;
      }
    }
    S.identity = null;
    S.csrf = null;
    showLogin('Signed out.');
  }

  async function boot() {
    showOnly('boot');
    let who;
    try {
      who = await api('whoami');
    } catch (e) {
      if (e instanceof AuthError) return;
      $('#boot-text').textContent = `Cannot load the dashboard: ${e.message}. Retrying…`;
      setTimeout(boot, 3000);
      return;
    }
    S.authRequired = !!(who && who.authRequired);
    if (S.authRequired && !(who && who.identity)) {
      showLogin('');
      return;
    }
    S.identity = who ? who.identity : null;
    S.csrf = who ? who.csrf : null;
    startApp();
  }

  // ---------------------------------------------------------------- start / stop

  function startApp() {
    stopApp();
    S.started = true;
    showOnly('app');
    $('#identity').textContent = S.identity ? S.identity : S.authRequired ? '—' : 'local (no auth)';
    $('#logout').hidden = !S.authRequired;
    openEvents();
    run(refreshState, 'state');
    run(loadCatalogue, 'catalogue');
    route();
  }

  function stopApp() {
    S.started = false;
    if (S.es) {
      S.es.close();
      S.es = null;
    }
    clearTimeout(S.esRetry);
    clearInterval(S.pollTimer);
    clearInterval(S.sessionsTimer);
    clearInterval(S.catTimer);
    S.pollTimer = S.sessionsTimer = S.esRetry = S.catTimer = null;
    setLive(false);
    // Nothing of a signed-out user stays on the page.
    S.state = null;
    S.prev = null;
    S.rates.clear();
    S.backendSig.clear();
    S.cat = { tools: [], prompts: [], resources: [], templates: [] };
    S.catLoaded = false;
    S.catCalls = false;
    S.sessions = [];
    S.sessionsCount = 0;
    S.sessionsLoaded = false;
    S.feed = [];
    S.feedQueue = [];
    S.feedKeys.clear();
    S.feedKeyOrder = [];
    S.feedSeen = 0;
    S.selected = null;
    $('#backends-body').replaceChildren();
    $('#feed-body').replaceChildren();
    $('#sessions-body').replaceChildren();
    $('#inspector-result').replaceChildren(el('p', { class: 'muted', text: 'Nothing run yet.' }));
    renderCatalogue();
    resetInspector();
    renderFeedStatus();
  }

  // ---------------------------------------------------------------- live events

  function setLive(on) {
    S.live = on;
    const box = $('#live');
    box.dataset.live = on ? 'true' : 'false';
    $('#live-text').textContent = on ? 'live' : 'offline';
    // Without the event stream the state is polled, so the page still moves.
    if (on) {
      clearInterval(S.pollTimer);
      S.pollTimer = null;
    } else if (S.started && !S.pollTimer) {
      S.pollTimer = setInterval(() => run(refreshState), 2000);
    }
  }

  function openEvents() {
    if (!S.started || typeof EventSource === 'undefined') return;
    const es = new EventSource(`${API}events`);
    S.es = es;
    es.addEventListener('open', () => setLive(true));
    es.addEventListener('error', () => {
      setLive(false);
      if (es.readyState === EventSource.CLOSED && S.es === es) {
        // The browser gave up (an HTTP error such as 401): check who we are, then reopen.
        S.es = null;
        clearTimeout(S.esRetry);
        S.esRetry = setTimeout(() => run(async () => {
          const who = await api('whoami');
          if (!S.started) return;
          if (who && who.authRequired && !who.identity) {
            showLogin('Your dashboard session ended; sign in again.');
            return;
          }
          if (who && who.csrf) S.csrf = who.csrf;
          openEvents();
        }), 2000);
      }
    });
    es.addEventListener('state', (ev) => {
      const st = parseEvent(ev);
      if (st) onState(st);
    });
    es.addEventListener('call', (ev) => {
      const call = parseEvent(ev);
      if (call) onCall(call, ev.lastEventId);
    });
    es.addEventListener('catalogue', () => scheduleCatalogue());
  }

  function parseEvent(ev) {
    try {
      return JSON.parse(ev.data);
    } catch {
      return null;
    }
  }

  async function refreshState() {
    const st = await api('state');
    if (S.started && st) onState(st);
  }

  // ---------------------------------------------------------------- state: header, cards, backends

  function onState(st) {
    S.state = st;
    sampleRates(st);
    renderHeader(st);
    renderTotals(st);
    renderBackends(Array.isArray(st.backends) ? st.backends : []);
    // A backend whose state or tool count moved: its part of the catalogue changed.
    let changed = false;
    const seen = new Set();
    for (const b of st.backends || []) {
      const sig = `${b.state}/${b.tools}`;
      seen.add(b.name);
      if (S.backendSig.get(b.name) !== sig) {
        if (S.backendSig.has(b.name)) changed = true;
        S.backendSig.set(b.name, sig);
      }
    }
    for (const name of [...S.backendSig.keys()]) {
      if (!seen.has(name)) {
        S.backendSig.delete(name);
        changed = true;
      }
    }
    if (changed) scheduleCatalogue();
  }

  function sampleRates(st) {
    const now = performance.now();
    const byName = new Map((st.backends || []).map((b) => [b.name, Number(b.requests) || 0]));
    const total = st.totals ? Number(st.totals.requests) || 0 : 0;
    if (!S.prev) {
      S.prev = { t: now, byName, total };
      return;
    }
    const dt = (now - S.prev.t) / 1000;
    if (dt < 0.25) return; // two samples close together (poll and event): wait for a real interval
    for (const [name, req] of byName) {
      const before = S.prev.byName.get(name);
      S.rates.set(name, before === undefined || req < before ? null : (req - before) / dt);
    }
    for (const name of [...S.rates.keys()]) if (!byName.has(name)) S.rates.delete(name);
    S.totalRate = total >= S.prev.total ? (total - S.prev.total) / dt : null;
    S.prev = { t: now, byName, total };
  }

  function renderHeader(st) {
    $('#version').textContent = st.version ? `v${String(st.version).replace(/^v/, '')}` : '—';
    $('#uptime').textContent = fmtDuration(st.uptimeSeconds);
    if (st.identity) $('#identity').textContent = st.identity;
    const cfg = st.config || {};
    $('#config-file').textContent = dash(cfg.file);
    $('#config-generation').textContent = dash(cfg.generation);
    $('#config-loaded').textContent = cfg.loadedAt ? fmtAgo(cfg.loadedAt) : '—';
    $('#config-loaded').title = str(cfg.loadedAt);
    const err = $('#reload-error');
    if (cfg.lastReloadError) {
      err.replaceChildren(el('strong', { text: 'The last config reload failed; still running the previous one. ' }),
        el('span', { text: cfg.lastReloadError }));
      err.hidden = false;
    } else {
      err.hidden = true;
    }
    const sessions = st.sessions || {};
    $('#tab-count-sessions').textContent = typeof sessions.count === 'number' ? fmtInt(sessions.count) : '';
  }

  function renderTotals(st) {
    const sessions = st.sessions || {};
    const totals = st.totals || {};
    $('#total-sessions').textContent = fmtInt(sessions.count);
    const by = sessions.byTransport || {};
    const parts = Object.entries(by).filter(([, n]) => n).map(([t, n]) => `${t} ${fmtInt(n)}`);
    $('#total-sessions-by').textContent = parts.length ? parts.join(' · ') : '\u00a0';
    $('#total-sessions-by').title = parts.join(', ');
    $('#total-requests').textContent = fmtInt(totals.requests);
    $('#total-rate').textContent = fmtRate(S.totalRate);
    $('#total-toolcalls').textContent = fmtInt(totals.toolCalls);
    $('#total-errors').textContent = fmtInt(totals.errors);
    $('#total-error-rate').textContent = totals.requests ? `${fmtPct(totals.errors, totals.requests)} of requests` : '\u00a0';
    const backends = st.backends || [];
    const up = backends.filter((b) => b.state === 'up' || b.state === 'per-client').length;
    $('#total-backends').textContent = `${up} / ${backends.length}`;
    const bad = backends.filter((b) => b.state === 'down' || b.state === 'failed').map((b) => b.name);
    const sub = $('#total-backends-sub');
    sub.textContent = bad.length ? `not up: ${bad.join(', ')}` : '\u00a0';
    sub.classList.toggle('bad', bad.length > 0);
  }

  // The table's columns, also each cell's data-col (for tests and user styles).
  const BACKEND_COLS = ['name', 'state', 'transport', 'pid', 'uptime', 'reconnects', 'restarts', 'rate', 'requests',
    'error-rate', 'p50', 'p99', 'in-flight', 'tools'];
  const BACKEND_COLUMNS = BACKEND_COLS.length;

  function renderBackends(list) {
    const body = $('#backends-body');
    const existing = new Map($$('tr[data-backend]', body).map((tr) => [tr.dataset.backend, tr]));
    for (const b of list) {
      let tr = existing.get(b.name);
      if (tr) existing.delete(b.name);
      else {
        tr = el('tr', { dataset: { backend: b.name } });
        for (const col of BACKEND_COLS) tr.append(el('td', { dataset: { col } }));
      }
      fillBackendRow(tr, b);
      body.append(tr); // moves it into the server's order
      // The last error, if any, on a row of its own under the backend's.
      if (b.lastError) {
        if (!tr.errorRow) {
          tr.errorRow = el('tr', { class: 'backend-error' }, el('td', { colspan: BACKEND_COLUMNS }));
        }
        const td = tr.errorRow.firstElementChild;
        const text = String(b.lastError);
        const bad = b.state === 'down' || b.state === 'failed' || b.state === 'starting';
        td.className = bad ? 'bad' : 'muted';
        if (td.dataset.text !== text || td.dataset.bad !== String(bad)) {
          td.dataset.text = text;
          td.dataset.bad = String(bad);
          td.replaceChildren(el('span', { class: 'label', text: bad ? 'last error' : 'last error (recovered since)' }), el('span', { class: 'mono', text }));
        }
        body.append(tr.errorRow);
      } else if (tr.errorRow) {
        tr.errorRow.remove();
        tr.errorRow = null;
      }
    }
    for (const tr of existing.values()) {
      if (tr.errorRow) tr.errorRow.remove();
      tr.remove();
    }
    $('#backends-empty').hidden = list.length > 0;
  }

  function setCell(td, text, { title, cls } = {}) {
    if (td.textContent !== text) td.textContent = text;
    if (title !== undefined) td.title = title;
    if (cls !== undefined) td.className = cls;
  }

  function fillBackendRow(tr, b) {
    const c = tr.children;
    const info = b.serverInfo && typeof b.serverInfo === 'object' ? b.serverInfo : null;
    const about = [
      info ? `server: ${[info.title || info.name, info.version].filter(Boolean).join(' ')}` : '',
      b.protocolVersion ? `protocol: ${b.protocolVersion}` : '',
      b.command ? `command: ${b.command}` : '',
      b.since ? `since: ${b.since}` : '',
    ].filter(Boolean).join('\n');
    setCell(c[0], str(b.name), { cls: 'mono strong', title: about });
    const state = str(b.state) || 'unknown';
    if (c[1].dataset.state !== state) {
      c[1].dataset.state = state;
      c[1].replaceChildren(el('span', { class: `badge state-${state.replace(/[^a-z-]/g, '')}`, text: state }));
    }
    setCell(c[2], dash(b.transport));
    const where = b.pid !== undefined && b.pid !== null ? String(b.pid) : dash(b.url);
    setCell(c[3], where, { title: where, cls: 'mono clip' });
    setCell(c[4], b.uptimeSeconds !== undefined && b.uptimeSeconds !== null ? fmtDuration(b.uptimeSeconds) : '—', { cls: 'num' });
    setCell(c[5], fmtInt(b.reconnects), { cls: 'num' });
    setCell(c[6], fmtInt(b.restarts), { cls: 'num' });
    setCell(c[7], fmtRate(S.rates.get(b.name)), { cls: 'num' });
    setCell(c[8], fmtInt(b.requests), { cls: 'num' });
    const rate = fmtPct(b.errors, b.requests);
    setCell(c[9], rate, { title: `${fmtInt(b.errors)} errors of ${fmtInt(b.requests)} requests`, cls: `num${b.errors > 0 ? ' warn' : ''}` });
    setCell(c[10], fmtMs(b.p50Ms), { cls: 'num' });
    setCell(c[11], fmtMs(b.p99Ms), { cls: 'num' });
    setCell(c[12], fmtInt(b.inFlight), { cls: 'num' });
    setCell(c[13], fmtInt(b.tools), { cls: 'num' });
  }

  // ---------------------------------------------------------------- catalogue

  let catTimer = null;
  function scheduleCatalogue() {
    clearTimeout(catTimer);
    catTimer = setTimeout(() => run(loadCatalogue, 'catalogue'), 250);
  }

  async function loadCatalogue() {
    if (S.catLoading) {
      S.catDirty = true;
      return;
    }
    S.catLoading = true;
    S.catCalls = false;
    try {
      const c = (await api('catalogue')) || {};
      if (!S.started) return;
      const arr = (v) => (Array.isArray(v) ? v : []);
      S.cat = {
        tools: arr(c.tools).map((t) => ({ ...t, hay: haystack(t.name, t.title, t.description, t.server) })),
        prompts: arr(c.prompts).map((p) => ({ ...p, hay: haystack(p.name, p.description, p.server) })),
        resources: arr(c.resources).map((r) => ({ ...r, hay: haystack(r.name, r.uri, r.server, r.mimeType) })),
        templates: arr(c.templates).map((r) => ({ ...r, hay: haystack(r.name, r.uriTemplate, r.server) })),
      };
      S.catLoaded = true;
      S.catLoadedAt = performance.now();
      renderCatalogue();
      refreshInspectorTarget();
    } finally {
      S.catLoading = false;
      if (S.catDirty) {
        S.catDirty = false;
        scheduleCatalogue();
      }
    }
  }

  /** A list in pages: a body (tbody) and a pager bar with prev/next and "a–b of n". */
  class Pager {
    constructor(body, bar, pageSize, renderRow, noun) {
      this.body = body;
      this.bar = bar;
      this.pageSize = pageSize;
      this.renderRow = renderRow;
      this.noun = noun;
      this.items = [];
      this.total = 0;
      this.page = 0;
      this.prev = el('button', { type: 'button', class: 'ghost', text: '‹ Prev', onclick: () => this.go(this.page - 1) });
      this.next = el('button', { type: 'button', class: 'ghost', text: 'Next ›', onclick: () => this.go(this.page + 1) });
      this.info = el('span', { class: 'pager-info' });
      bar.replaceChildren(this.prev, this.info, this.next);
    }

    pages() {
      return Math.max(1, Math.ceil(this.items.length / this.pageSize));
    }

    set(items, total, { keepPage = true } = {}) {
      this.items = items;
      this.total = total;
      if (!keepPage) this.page = 0;
      this.page = Math.min(this.page, this.pages() - 1);
      this.render();
    }

    go(page) {
      this.page = Math.max(0, Math.min(page, this.pages() - 1));
      this.render();
    }

    render() {
      const start = this.page * this.pageSize;
      const slice = this.items.slice(start, start + this.pageSize);
      this.body.replaceChildren(...slice.map(this.renderRow));
      const n = this.items.length;
      let text;
      if (!this.total) text = `No ${this.noun}`;
      else if (!n) text = `No match among ${fmtInt(this.total)} ${this.noun}`;
      else {
        text = `${fmtInt(start + 1)}–${fmtInt(start + slice.length)} of ${fmtInt(n)}`;
        if (n !== this.total) text += ` matching (${fmtInt(this.total)} ${this.noun} in all)`;
        else text += ` ${this.noun}`;
      }
      this.info.textContent = text;
      this.prev.disabled = this.page <= 0;
      this.next.disabled = this.page >= this.pages() - 1;
      this.bar.dataset.page = String(this.page + 1);
      this.bar.dataset.pages = String(this.pages());
    }
  }

  let pagers = null;
  function initPagers() {
    pagers = {
      tools: new Pager($('#tools-body'), $('#tools-pager'), PAGE_TOOLS, toolRow, 'tools'),
      prompts: new Pager($('#prompts-body'), $('#prompts-pager'), PAGE_OTHER, promptRow, 'prompts'),
      resources: new Pager($('#resources-body'), $('#resources-pager'), PAGE_OTHER, resourceRow, 'resources'),
      templates: new Pager($('#templates-body'), $('#templates-pager'), PAGE_OTHER, templateRow, 'templates'),
      sessions: new Pager($('#sessions-body'), $('#sessions-pager'), PAGE_SESSIONS, sessionRow, 'sessions'),
    };
  }

  function pinBadge(pin) {
    const p = str(pin) || 'none';
    return el('span', { class: `badge pin-${p.replace(/[^a-z-]/g, '')}`, text: p, title: `pin: ${p}` });
  }

  const isSelected = (kind, item) => S.selected && S.selected.kind === kind && S.selected.item === item;

  function toolRow(t) {
    return el('tr', { dataset: { tool: str(t.name) }, class: isSelected('tools', t) ? 'selected' : null, onclick: () => select('tools', t) },
      el('td', { class: 'mono strong', text: str(t.name) }),
      el('td', { text: dash(t.server) }),
      el('td', { class: 'clip desc', text: str(t.title ? `${t.title}: ${t.description || ''}` : t.description), title: str(t.description) }),
      el('td', null, pinBadge(t.pin)),
      el('td', { class: 'num', text: fmtInt(t.calls) }),
      el('td', { class: `num${t.errors > 0 ? ' warn' : ''}`, text: fmtInt(t.errors) }));
  }

  function promptRow(p) {
    const args = Array.isArray(p.arguments) ? p.arguments : [];
    return el('tr', { dataset: { prompt: str(p.name) }, class: isSelected('prompts', p) ? 'selected' : null, onclick: () => select('prompts', p) },
      el('td', { class: 'mono strong', text: str(p.name) }),
      el('td', { text: dash(p.server) }),
      el('td', { class: 'clip desc', text: str(p.description), title: str(p.description) }),
      el('td', { class: 'mono', text: args.map((a) => `${a.name}${a.required ? '*' : ''}`).join(', ') || '—' }));
  }

  function resourceRow(r) {
    return el('tr', { dataset: { resource: str(r.uri) }, class: isSelected('resources', r) ? 'selected' : null, onclick: () => select('resources', r) },
      el('td', { class: 'strong', text: dash(r.name) }),
      el('td', { class: 'mono clip', text: str(r.uri), title: str(r.uri) }),
      el('td', { text: dash(r.server) }),
      el('td', { class: 'mono', text: dash(r.mimeType) }));
  }

  function templateRow(r) {
    return el('tr', { dataset: { template: str(r.uriTemplate) }, class: isSelected('templates', r) ? 'selected' : null, onclick: () => select('templates', r) },
      el('td', { class: 'strong', text: dash(r.name) }),
      el('td', { class: 'mono clip', text: str(r.uriTemplate), title: str(r.uriTemplate) }),
      el('td', { text: dash(r.server) }));
  }

  function renderCatalogue({ keepPage = true } = {}) {
    if (!pagers) return;
    const match = matcher($('#tool-search').value);
    const server = $('#catalogue-server').value;
    const filter = (list) => list.filter((x) => (!server || x.server === server) && match(x.hay));
    const lists = {};
    for (const kind of ['tools', 'prompts', 'resources', 'templates']) {
      const all = S.cat[kind];
      lists[kind] = filter(all);
      pagers[kind].set(lists[kind], all.length, { keepPage });
      const count = $(`#count-${kind}`);
      count.textContent = lists[kind].length === all.length ? fmtInt(all.length) : `${fmtInt(lists[kind].length)} / ${fmtInt(all.length)}`;
    }
    $('#tab-count-catalogue').textContent = S.catLoaded ? fmtInt(S.cat.tools.length) : '';
    $('#catalogue-summary').textContent = S.catLoaded
      ? `${fmtInt(S.cat.tools.length)} tools · ${fmtInt(S.cat.prompts.length)} prompts · ${fmtInt(S.cat.resources.length)} resources · ${fmtInt(S.cat.templates.length)} templates`
      : '';
    // The server filter offers every server of the catalogue.
    const select = $('#catalogue-server');
    const servers = [...new Set(['tools', 'prompts', 'resources', 'templates'].flatMap((k) => S.cat[k].map((x) => x.server)).filter(Boolean))].sort();
    const have = $$('option', select).slice(1).map((o) => o.value);
    if (have.join('\n') !== servers.join('\n')) {
      const current = select.value;
      select.replaceChildren(el('option', { value: '', text: 'All servers' }), ...servers.map((s) => el('option', { value: s, text: s })));
      select.value = servers.includes(current) ? current : '';
    }
    // A selection that left the catalogue is replaced by its new copy (same name), or dropped.
    if (S.selected) {
      const { kind, item } = S.selected;
      const key = kind === 'resources' ? 'uri' : kind === 'templates' ? 'uriTemplate' : 'name';
      const again = S.cat[kind].find((x) => x[key] === item[key] && x.server === item.server);
      if (again && JSON.stringify(again) === JSON.stringify(item)) {
        S.selected = { kind, item: again }; // unchanged: the details stay as they are (scroll, open parts)
        pagers[kind].render();
      } else if (again !== item) {
        S.selected = again ? { kind, item: again } : null;
        renderDetail();
        pagers[kind].render();
      }
    } else renderDetail();
  }

  function setKind(kind) {
    S.kind = kind;
    for (const b of $$('.subtabs button')) b.classList.toggle('active', b.dataset.kind === kind);
    for (const l of $$('.cat-list')) l.hidden = l.dataset.list !== kind;
  }

  function select(kind, item) {
    S.selected = { kind, item };
    pagers[kind].render();
    renderDetail();
    if (kind === 'tools') inspectTool(item, { switchTab: false });
  }

  function kv(label, value, cls) {
    return el('div', { class: 'kv' }, el('span', { class: 'k', text: label }), el('span', { class: `v ${cls || ''}`, text: dash(value) }));
  }

  function renderDetail() {
    const box = $('#detail');
    if (!S.selected) {
      box.replaceChildren(el('p', { class: 'muted', text: 'Select an item to see its details.' }));
      return;
    }
    const { kind, item } = S.selected;
    const parts = [];
    if (kind === 'tools') {
      parts.push(el('h2', { class: 'mono', text: str(item.name) }));
      if (item.title) parts.push(el('p', { class: 'strong', text: item.title }));
      parts.push(kv('server', item.server));
      if (item.originalName && item.originalName !== item.name) parts.push(kv('upstream name', item.originalName, 'mono'));
      parts.push(el('div', { class: 'kv' }, el('span', { class: 'k', text: 'pin' }), el('span', { class: 'v' }, pinBadge(item.pin))),
        kv('calls', `${fmtInt(item.calls)} (${fmtInt(item.errors)} errors)`));
      const ann = item.annotations && typeof item.annotations === 'object' ? item.annotations : null;
      if (ann) {
        const hints = [];
        if (ann.readOnlyHint === true) hints.push('read-only');
        if (ann.destructiveHint === true && ann.readOnlyHint !== true) hints.push('destructive');
        if (ann.idempotentHint === true) hints.push('idempotent');
        if (ann.openWorldHint === true) hints.push('open world');
        if (hints.length) parts.push(el('div', { class: 'kv' }, el('span', { class: 'k', text: 'hints' }),
          el('span', { class: 'v' }, ...hints.map((h) => el('span', { class: `badge hint-${h.replace(/\W/g, '')}`, text: h })))));
      }
      if (item.description) parts.push(el('p', { class: 'desc-full', text: item.description }));
      parts.push(el('h3', { text: 'Input schema' }), el('pre', { class: 'json', id: 'tool-schema', text: pretty(item.inputSchema || {}) }));
      parts.push(el('button', { type: 'button', class: 'primary', id: 'tool-open-inspector', text: 'Open in the inspector', onclick: () => inspectTool(item, { switchTab: true }) }));
      if ((item.pin === 'changed' || item.pin === 'blocked') && item.server) {
        // The server changed this tool's definition since it was pinned: an admin may approve it
        // (like `mcproxy pins approve`); the proxy relists the server and clients hear list_changed.
        const outcome = el('p', { class: 'muted', id: 'pin-approve-result' });
        const approve = el('button', {
          type: 'button', id: 'pin-approve', text: 'Approve the new definition',
          onclick: async () => {
            approve.disabled = true;
            try {
              await api('pins/approve', { method: 'POST', body: { server: item.server, tool: item.originalName || item.name }, csrf: true });
              outcome.textContent = 'Approved: the server\'s tools are listed again.';
              scheduleCatalogue();
            } catch (e) {
              outcome.textContent = `Not approved: ${e && e.message ? e.message : e}`;
              approve.disabled = false;
            }
          },
        });
        parts.push(approve, outcome);
      }
    } else if (kind === 'prompts') {
      parts.push(el('h2', { class: 'mono', text: str(item.name) }), kv('server', item.server));
      if (item.description) parts.push(el('p', { class: 'desc-full', text: item.description }));
      const args = Array.isArray(item.arguments) ? item.arguments : [];
      parts.push(el('h3', { text: 'Arguments' }));
      if (!args.length) parts.push(el('p', { class: 'muted', text: 'none' }));
      for (const a of args) parts.push(kv(`${a.name}${a.required ? ' *' : ''}`, a.description || ''));
      parts.push(el('button', { type: 'button', class: 'primary', text: 'Open in the inspector', onclick: () => inspectPrompt(item) }));
    } else if (kind === 'resources') {
      parts.push(el('h2', { text: dash(item.name) }), kv('uri', item.uri, 'mono'), kv('server', item.server), kv('MIME type', item.mimeType));
      if (item.description) parts.push(el('p', { class: 'desc-full', text: item.description }));
      parts.push(el('button', { type: 'button', class: 'primary', text: 'Read it in the inspector', onclick: () => inspectResource(item.uri) }));
    } else {
      parts.push(el('h2', { text: dash(item.name) }), kv('template', item.uriTemplate, 'mono'), kv('server', item.server));
      if (item.description) parts.push(el('p', { class: 'desc-full', text: item.description }));
      parts.push(el('button', { type: 'button', class: 'primary', text: 'Fill it in the inspector', onclick: () => inspectTemplate(item) }));
    }
    box.replaceChildren(...parts);
  }

  // ---------------------------------------------------------------- sessions

  async function loadSessions() {
    const r = await api('sessions');
    if (!S.started) return;
    S.sessions = (r && Array.isArray(r.sessions) ? r.sessions : []).map((s) => ({
      ...s,
      hay: haystack(s.id, s.client && s.client.name, s.client && s.client.version, s.identity, s.profile, s.transport, s.protocolVersion),
    }));
    // Newest first; the order of equal ages stays stable from one refresh to the next.
    const clientName = (s) => str(s.client && s.client.name);
    S.sessions.sort((a, b) => (Number(a.ageSeconds) || 0) - (Number(b.ageSeconds) || 0) ||
      clientName(a).localeCompare(clientName(b)) || str(a.id).localeCompare(str(b.id)));
    S.sessionsCount = r && typeof r.count === 'number' ? r.count : S.sessions.length;
    S.sessionsLoaded = true;
    renderSessions();
  }

  function renderSessions(opts) {
    if (!pagers) return;
    const match = matcher($('#session-search').value);
    const list = S.sessions.filter((s) => match(s.hay));
    pagers.sessions.set(list, S.sessions.length, opts);
    const listed = S.sessions.length;
    const n = Math.max(listed, S.sessionsCount || 0);
    let text = `${fmtInt(n)} session${n === 1 ? '' : 's'}`;
    if (listed < n) text += ` (${fmtInt(listed)} listed)`;
    if (list.length !== listed) text += ` · ${fmtInt(list.length)} match the filter`;
    $('#sessions-count').textContent = S.sessionsLoaded ? text : 'loading…';
  }

  function sessionRow(s) {
    const client = s.client || {};
    return el('tr', { dataset: { session: str(s.id) } },
      el('td', { class: 'mono', text: dash(s.id) }),
      el('td', null, el('span', { class: 'strong', text: dash(client.name) }), client.version ? el('span', { class: 'muted', text: ` ${client.version}` }) : null),
      el('td', { text: dash(s.identity) }),
      el('td', { text: dash(s.profile) }),
      el('td', null, el('span', { class: 'badge transport', text: dash(s.transport) })),
      el('td', { class: 'mono', text: dash(s.protocolVersion) }),
      el('td', { class: 'num', text: fmtDuration(s.ageSeconds) }),
      el('td', { class: 'num', text: fmtInt(s.inFlight) }));
  }

  // ---------------------------------------------------------------- live feed

  /**
   * The stream starts with the recent past (again after a reconnection): a call already shown
   * (same event id and trace id) is skipped. After a proxy restart ids start over, but the
   * trace ids differ.
   */
  function seenBefore(call, eventId) {
    const key = `${eventId || ''}|${call.traceId || ''}|${call.time || ''}`;
    if (S.feedKeys.has(key)) return true;
    S.feedKeys.add(key);
    S.feedKeyOrder.push(key);
    if (S.feedKeyOrder.length > 4 * FEED_MAX) S.feedKeys.delete(S.feedKeyOrder.shift());
    return false;
  }

  function onCall(call, eventId) {
    if (seenBefore(call, eventId)) return;
    if (call.method === 'tools/call') S.catCalls = true;
    S.feedSeen++;
    S.feedQueue.push(call);
    if (S.feedQueue.length > FEED_MAX) S.feedQueue.splice(0, S.feedQueue.length - FEED_MAX);
    if (!S.feedPaused && !S.feedTimer) S.feedTimer = setTimeout(flushFeed, 100);
    else renderFeedStatus();
  }

  function flushFeed() {
    S.feedTimer = null;
    if (S.feedPaused || !S.feedQueue.length) {
      renderFeedStatus();
      return;
    }
    const batch = S.feedQueue;
    S.feedQueue = [];
    S.feed.push(...batch);
    if (S.feed.length > FEED_MAX) S.feed.splice(0, S.feed.length - FEED_MAX);
    const body = $('#feed-body');
    const match = matcher($('#feed-search').value);
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) {
      const row = feedRow(batch[i]);
      if (!match(batch[i].hay)) row.hidden = true;
      frag.append(row);
    }
    body.prepend(frag);
    while (body.children.length > FEED_MAX) body.lastElementChild.remove();
    renderFeedStatus();
  }

  function feedRow(c) {
    if (c.hay === undefined) c.hay = haystack(c.method, c.name, c.server, c.identity, c.session, c.outcome, c.traceId);
    const outcome = str(c.outcome) || 'unknown';
    return el('tr', { class: `feed-row row-${outcome.replace(/[^a-z-]/g, '')}`, dataset: { name: str(c.name), outcome } },
      el('td', { class: 'mono', text: fmtTime(c.time), title: str(c.time) }),
      el('td', { class: 'mono', text: dash(c.method) }),
      el('td', { class: 'mono strong', text: dash(c.name) }),
      el('td', { text: dash(c.server) }),
      el('td', { text: dash(c.identity) }),
      el('td', { class: 'mono', text: dash(c.session) }),
      el('td', { class: 'num', text: fmtMs(c.durationMs) }),
      el('td', null, el('span', { class: `badge outcome-${outcome.replace(/[^a-z-]/g, '')}`, text: outcome })),
      el('td', { class: 'mono muted', text: c.traceId ? `${String(c.traceId).slice(0, 8)}…` : '—', title: str(c.traceId) }));
  }

  function renderFeedStatus() {
    const shown = $('#feed-body').children.length;
    $('#feed-empty').hidden = shown > 0;
    const pending = S.feedPaused && S.feedQueue.length ? ` · ${fmtInt(S.feedQueue.length)} waiting` : '';
    $('#feed-status').textContent = `${fmtInt(shown)} shown (last ${FEED_MAX} kept) · ${fmtInt(S.feedSeen)} seen${pending}`;
    $('#feed-pause').textContent = S.feedPaused ? 'Resume' : 'Pause';
    $('#tab-count-feed').textContent = S.feedSeen ? fmtInt(S.feedSeen) : '';
  }

  function filterFeed() {
    const match = matcher($('#feed-search').value);
    const rows = $$('#feed-body tr');
    const data = S.feed.slice().reverse();
    rows.forEach((row, i) => {
      const c = data[i];
      row.hidden = c ? !match(c.hay) : false;
    });
  }

  // ---------------------------------------------------------------- inspector: forms from JSON Schema

  let fieldSeq = 0;
  const nextId = () => `f${++fieldSeq}`;

  /** The schema's single type, or null (several, none, or a combinator). */
  function schemaType(schema) {
    let t = schema.type;
    if (Array.isArray(t)) {
      const real = t.filter((x) => x !== 'null');
      t = real.length === 1 ? real[0] : null;
    }
    if (!t && schema.properties && typeof schema.properties === 'object') t = 'object';
    return typeof t === 'string' ? t : null;
  }

  function typeHint(schema) {
    if (Array.isArray(schema.enum)) return 'choice';
    const t = schemaType(schema);
    if (t === 'array') {
      const it = schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items) ? schemaType(schema.items) : null;
      return it ? `${it}[]` : 'array';
    }
    if (t) return schema.format ? `${t}, ${schema.format}` : t;
    return 'JSON';
  }

  /** The label and description block around one input. */
  function wrapField(inputEl, id, label, schema, required, extra, path) {
    const errorEl = el('div', { class: 'field-error' });
    const head = el('label', { for: id, class: 'field-label' },
      el('span', { class: 'mono', text: label }),
      required ? el('span', { class: 'req', text: '*', title: 'required' }) : null,
      el('span', { class: 'hint', text: typeHint(schema) }));
    const desc = schema.description ? el('div', { class: 'field-desc', text: String(schema.description) }) : null;
    const box = el('div', { class: 'field' }, head, desc, inputEl, extra || null, errorEl);
    if (required) box.classList.add('required');
    return {
      box,
      /** Clears the field's message unless collecting quietly (errors === null). */
      reset(errors) {
        if (!errors) return;
        errorEl.textContent = '';
        box.classList.remove('invalid');
      },
      /** Shows `message` on the field and adds it to `errors` (nothing when quiet). */
      fail(errors, message) {
        if (!errors) return;
        errorEl.textContent = message;
        box.classList.add('invalid');
        errors.push(`${path || label}: ${message}`);
      },
    };
  }

  const defaultHint = (schema) => (schema.default !== undefined ? `default: ${typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default)}` : '');

  /**
   * A field for `schema` at `path` (the inputs' name attribute). Returns
   * {el, collect(errors) → {present, value}, set(value)}.
   */
  function buildField(rawSchema, path, label, required) {
    const schema = rawSchema && typeof rawSchema === 'object' ? rawSchema : {};
    if (Array.isArray(schema.enum) && schema.enum.length) return enumField(schema, path, label, required);
    if (schema.oneOf || schema.anyOf || schema.allOf || schema.$ref || schema.not || schema.const !== undefined) {
      return jsonField(schema, path, label, required);
    }
    const t = schemaType(schema);
    if (t === 'string') return stringField(schema, path, label, required);
    if (t === 'number' || t === 'integer') return numberField(schema, path, label, required, t === 'integer');
    if (t === 'boolean') return boolField(schema, path, label, required);
    if (t === 'array' && schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
      return arrayField(schema, path, label, required);
    }
    if (t === 'array' && !schema.items) return arrayField({ ...schema, items: {} }, path, label, required);
    if (t === 'object' && schema.properties && typeof schema.properties === 'object' && Object.keys(schema.properties).length) {
      return objectField(schema, path, label, required, false);
    }
    return jsonField(schema, path, label, required);
  }

  const LONG_TEXT = /^(content|text|body|code|script|source|query|prompt|markdown|html|json|yaml|patch|diff|sql|template)$/i;

  function stringField(schema, path, label, required) {
    const id = nextId();
    const long = schema.maxLength > 200 || ['textarea', 'markdown', 'multiline'].includes(schema.format) || LONG_TEXT.test(label) ||
      (schema.contentMediaType && !/^text\/plain/.test(schema.contentMediaType));
    const input = long
      ? el('textarea', { id, name: path, rows: 4, spellcheck: 'false' })
      : el('input', { id, name: path, type: 'text', spellcheck: 'false' });
    const hint = defaultHint(schema) || (schema.format ? schema.format : '') || (schema.pattern ? `pattern: ${schema.pattern}` : '');
    if (hint) input.placeholder = hint;
    const w = wrapField(input, id, label, schema, required, null, path);
    return {
      el: w.box,
      collect(errors) {
        w.reset(errors);
        if (input.value === '') {
          if (required) {
            w.fail(errors, 'required');
          }
          return { present: false };
        }
        return { present: true, value: input.value };
      },
      set(v) {
        input.value = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      },
    };
  }

  function numberField(schema, path, label, required, integer) {
    const id = nextId();
    const input = el('input', { id, name: path, type: 'number', step: integer ? '1' : 'any' });
    if (typeof schema.minimum === 'number') input.min = String(schema.minimum);
    if (typeof schema.maximum === 'number') input.max = String(schema.maximum);
    const hint = defaultHint(schema);
    if (hint) input.placeholder = hint;
    const w = wrapField(input, id, label, schema, required, null, path);
    return {
      el: w.box,
      collect(errors) {
        w.reset(errors);
        const text = input.value.trim();
        if (text === '') {
          if (input.validity && input.validity.badInput) {
            w.fail(errors, 'not a number');
          } else if (required) {
            w.fail(errors, 'required');
          }
          return { present: false };
        }
        const n = Number(text);
        if (!Number.isFinite(n)) {
          w.fail(errors, 'not a number');
          return { present: false };
        }
        if (integer && !Number.isInteger(n)) {
          w.fail(errors, 'must be an integer');
          return { present: false };
        }
        return { present: true, value: n };
      },
      set(v) {
        input.value = typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
      },
    };
  }

  function boolField(schema, path, label, required) {
    const id = nextId();
    const input = el('input', { id, name: path, type: 'checkbox' });
    input.checked = schema.default === true;
    let touched = false;
    input.addEventListener('change', () => {
      touched = true;
    });
    const state = el('span', { class: 'muted bool-state' });
    const sync = () => {
      state.textContent = touched || required ? String(input.checked) : schema.default !== undefined ? `default (${schema.default})` : 'not set';
    };
    input.addEventListener('change', sync);
    sync();
    const w = wrapField(el('span', { class: 'bool' }, input, state), id, label, schema, required, null, path);
    return {
      el: w.box,
      collect(errors) {
        w.reset(errors);
        return touched || required ? { present: true, value: input.checked } : { present: false };
      },
      set(v) {
        touched = v !== undefined;
        input.checked = v === true || (v === undefined && schema.default === true);
        sync();
      },
    };
  }

  function enumField(schema, path, label, required) {
    const id = nextId();
    const values = schema.enum;
    const input = el('select', { id, name: path });
    input.append(el('option', { value: '', text: required ? '— choose —' : '— not set —' }));
    values.forEach((v, i) => input.append(el('option', { value: String(i), text: typeof v === 'string' ? v : JSON.stringify(v) })));
    const indexOf = (v) => values.findIndex((x) => JSON.stringify(x) === JSON.stringify(v));
    if (schema.default !== undefined && indexOf(schema.default) >= 0 && required) input.value = String(indexOf(schema.default));
    const w = wrapField(input, id, label, schema, required, null, path);
    return {
      el: w.box,
      collect(errors) {
        w.reset(errors);
        if (input.value === '') {
          if (required) {
            w.fail(errors, 'required');
          }
          return { present: false };
        }
        return { present: true, value: values[Number(input.value)] };
      },
      set(v) {
        const i = v === undefined ? -1 : indexOf(v);
        input.value = i >= 0 ? String(i) : '';
      },
    };
  }

  function jsonField(schema, path, label, required) {
    const id = nextId();
    const input = el('textarea', { id, name: path, rows: 3, spellcheck: 'false', class: 'mono' });
    const kinds = ['oneOf', 'anyOf', 'allOf'].filter((k) => Array.isArray(schema[k]));
    input.placeholder = `JSON value${kinds.length ? ` (${kinds.join(', ')} in the schema)` : ''}${defaultHint(schema) ? `; ${defaultHint(schema)}` : ''}`;
    const schemaView = el('details', { class: 'inline-schema' }, el('summary', { text: 'schema' }), el('pre', { class: 'json', text: pretty(schema) }));
    const w = wrapField(input, id, label, schema, required, schemaView, path);
    return {
      el: w.box,
      collect(errors) {
        w.reset(errors);
        const text = input.value.trim();
        if (!text) {
          if (required) {
            w.fail(errors, 'required');
          }
          return { present: false };
        }
        try {
          return { present: true, value: JSON.parse(text) };
        } catch (e) {
          w.fail(errors, `not valid JSON: ${e.message}`);
          return { present: false };
        }
      },
      set(v) {
        input.value = v === undefined ? '' : pretty(v);
      },
    };
  }

  function arrayField(schema, path, label, required) {
    const id = nextId();
    const list = el('div', { class: 'array-items' });
    const items = [];
    const addButton = el('button', { type: 'button', class: 'ghost small', id, text: '+ Add item' });
    const w = wrapField(el('div', { class: 'array' }, list, addButton), id, label, schema, required, null, path);

    const add = (value) => {
      const index = items.length;
      const field = buildField(schema.items, `${path}.${index}`, `${label}[${index}]`, true);
      const remove = el('button', { type: 'button', class: 'ghost small remove', text: '×', title: 'remove this item' });
      const row = el('div', { class: 'array-item' }, field.el, remove);
      const item = { field, row };
      remove.addEventListener('click', () => {
        const values = items.map((it) => it.field.collect(null));
        values.splice(items.indexOf(item), 1);
        rebuild(values.map((v) => (v.present ? v.value : undefined)));
      });
      items.push(item);
      list.append(row);
      if (value !== undefined) field.set(value);
    };
    const rebuild = (values) => {
      items.length = 0;
      list.replaceChildren();
      for (const v of values) add(v);
    };
    addButton.addEventListener('click', () => add(undefined));
    const min = Number.isInteger(schema.minItems) ? Math.min(schema.minItems, 20) : 0;
    for (let i = 0; i < min; i++) add(undefined);
    return {
      el: w.box,
      collect(errors) {
        w.reset(errors);
        const out = [];
        for (const it of items) {
          const v = it.field.collect(errors);
          if (v.present) out.push(v.value);
        }
        if (!out.length && !required) return { present: false };
        return { present: true, value: out };
      },
      set(v) {
        rebuild(Array.isArray(v) ? v : []);
      },
    };
  }

  function objectField(schema, path, label, required, root) {
    const props = schema.properties || {};
    const req = new Set(Array.isArray(schema.required) ? schema.required : []);
    const children = Object.entries(props).map(([key, sub]) => [key, buildField(sub, path ? `${path}.${key}` : key, key, req.has(key))]);
    const box = root
      ? el('div', { class: 'object root' })
      : el('fieldset', { class: 'object' },
        el('legend', null, el('span', { class: 'mono', text: label }), required ? el('span', { class: 'req', text: '*' }) : null,
          el('span', { class: 'hint', text: 'object' })));
    if (!root && schema.description) box.append(el('div', { class: 'field-desc', text: String(schema.description) }));
    for (const [, f] of children) box.append(f.el);
    return {
      el: box,
      collect(errors) {
        const value = {};
        for (const [key, f] of children) {
          const v = f.collect(errors);
          if (v.present) value[key] = v.value;
        }
        return root || required || Object.keys(value).length ? { present: true, value } : { present: false };
      },
      set(v) {
        const obj = v && typeof v === 'object' && !Array.isArray(v) ? v : {};
        for (const [key, f] of children) f.set(obj[key]);
      },
    };
  }

  /** The form of a tool's arguments (an object schema), or a JSON box when it is something else. */
  function buildRootForm(schema) {
    const s = schema && typeof schema === 'object' ? schema : {};
    const t = schemaType(s);
    if ((t === 'object' || !t) && !s.oneOf && !s.anyOf && !s.allOf && !s.$ref) {
      const props = s.properties && typeof s.properties === 'object' ? s.properties : {};
      if (!Object.keys(props).length) {
        const box = el('p', { class: 'muted', text: 'No arguments.' });
        return { el: box, collect: () => ({ present: true, value: {} }), set() {}, empty: true };
      }
      return objectField({ ...s, properties: props }, '', '', true, true);
    }
    const f = jsonField(s, 'arguments', 'arguments', true);
    return {
      el: f.el,
      collect(errors) {
        const v = f.collect(errors);
        if (v.present && (typeof v.value !== 'object' || v.value === null || Array.isArray(v.value))) {
          if (errors) errors.push('arguments must be a JSON object');
          return { present: false };
        }
        return v;
      },
      set: f.set,
    };
  }

  // ---------------------------------------------------------------- inspector: picking and calling

  const I = {
    mode: 'tool',
    tool: null,
    prompt: null,
    template: null, // {item, vars: [names]}
    form: null,
    raw: false,
  };

  /** A search box with a bounded list of matches under it. */
  function suggest(input, listEl, { items, label, onPick }) {
    let shown = [];
    let active = -1;
    const close = () => {
      listEl.hidden = true;
      active = -1;
    };
    const paint = () => {
      $$('li', listEl).forEach((li, i) => li.classList.toggle('active', i === active));
    };
    const open = () => {
      const match = matcher(input.value);
      const all = items();
      // An exact name first, then every match in catalogue order, bounded.
      const q = input.value.trim();
      const exact = q ? all.find((x) => label(x)[0] === q) : undefined;
      shown = exact ? [exact] : [];
      for (const x of all) {
        if (shown.length >= SUGGEST_MAX) break;
        if (x !== exact && match(x.hay)) shown.push(x);
      }
      active = -1;
      listEl.replaceChildren(...shown.map((x, i) => {
        const [main, sub] = label(x);
        const li = el('li', { role: 'option', dataset: { index: String(i) } }, el('span', { class: 'mono', text: main }), sub ? el('span', { class: 'muted', text: sub }) : null);
        li.addEventListener('mousedown', (e) => {
          e.preventDefault(); // keep the focus: pick before blur hides the list
          pick(i);
        });
        return li;
      }));
      if (!shown.length) listEl.replaceChildren(el('li', { class: 'muted none', text: all.length ? 'no match' : 'nothing listed' }));
      listEl.hidden = false;
    };
    const pick = (i) => {
      const x = shown[i];
      if (!x) return;
      close();
      onPick(x);
    };
    input.addEventListener('input', open);
    input.addEventListener('focus', () => {
      input.select(); // typing replaces the current pick
      open();
    });
    input.addEventListener('blur', () => setTimeout(close, 100));
    input.addEventListener('keydown', (e) => {
      if (listEl.hidden && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) open();
      if (e.key === 'ArrowDown') {
        active = Math.min(active + 1, shown.length - 1);
        paint();
        e.preventDefault();
      } else if (e.key === 'ArrowUp') {
        active = Math.max(active - 1, 0);
        paint();
        e.preventDefault();
      } else if (e.key === 'Enter') {
        e.preventDefault();
        if (!listEl.hidden && shown.length) pick(active >= 0 ? active : 0);
        else onEnter(input);
      } else if (e.key === 'Escape') close();
    });
    return { close };
  }

  function onEnter(input) {
    if (input.id === 'inspector-uri') run(doCall, 'call');
  }

  function setMode(mode) {
    I.mode = mode;
    for (const b of $$('.segmented button')) b.classList.toggle('active', b.dataset.mode === mode);
    for (const p of $$('[data-mode-panel]')) p.hidden = p.dataset.modePanel !== mode;
    const label = { tool: 'Call', resource: 'Read', prompt: 'Get' }[mode];
    $('#inspector-call').textContent = label;
    renderTarget();
  }

  function resetInspector() {
    I.tool = I.prompt = I.template = I.form = null;
    setRaw(false);
    const t = $('#inspector-tool');
    if (t) t.value = '';
    const p = $('#inspector-prompt');
    if (p) p.value = '';
    const u = $('#inspector-uri');
    if (u) u.value = '';
    renderTarget();
  }

  function inspectTool(tool, { switchTab }) {
    I.tool = tool;
    $('#inspector-tool').value = str(tool.name);
    setMode('tool');
    if (switchTab) showTab('inspector');
  }

  function inspectPrompt(prompt) {
    I.prompt = prompt;
    $('#inspector-prompt').value = str(prompt.name);
    setMode('prompt');
    showTab('inspector');
  }

  function inspectResource(uri) {
    I.template = null;
    $('#inspector-uri').value = str(uri);
    setMode('resource');
    showTab('inspector');
  }

  function templateVars(uriTemplate) {
    const names = [];
    const re = /\{([^}]+)\}/g;
    let m;
    while ((m = re.exec(uriTemplate))) {
      for (const raw of m[1].replace(/^[+#./;?&]/, '').split(',')) {
        const name = raw.replace(/[*]$/, '').replace(/:\d+$/, '');
        if (name && !names.includes(name)) names.push(name);
      }
    }
    return names;
  }

  /** RFC 6570 level 1-2 expansion, enough for the templates servers list. */
  function expandTemplate(uriTemplate, values) {
    return uriTemplate.replace(/\{([^}]+)\}/g, (_, expr) => {
      const op = /^[+#./;?&]/.test(expr) ? expr[0] : '';
      const names = (op ? expr.slice(1) : expr).split(',').map((n) => n.replace(/[*]$/, '').replace(/:\d+$/, ''));
      const enc = op === '+' || op === '#' ? encodeURI : encodeURIComponent;
      const parts = names.filter((n) => values[n] !== undefined && values[n] !== '').map((n) => enc(values[n]));
      if (!parts.length) return '';
      if (op === '?' || op === '&') {
        const pairs = names.filter((n) => values[n] !== undefined && values[n] !== '').map((n) => `${n}=${encodeURIComponent(values[n])}`);
        return `${op}${pairs.join('&')}`;
      }
      const sep = op === '.' ? '.' : op === '/' ? '/' : ',';
      const prefix = op === '#' ? '#' : op === '.' ? '.' : op === '/' ? '/' : '';
      return prefix + parts.join(sep);
    });
  }

  function updateTemplateUri() {
    if (!I.template || !I.form) return;
    const values = I.form.collect(null).value || {};
    $('#inspector-uri').value = expandTemplate(str(I.template.uriTemplate), values);
  }

  function inspectTemplate(tmpl) {
    I.template = tmpl;
    $('#inspector-uri').value = str(tmpl.uriTemplate);
    setMode('resource');
    showTab('inspector');
  }

  /**
   * After a catalogue reload the picked tool or prompt takes its new definition; the form is
   * rebuilt (losing what was typed) only when its schema changed or it left the catalogue.
   */
  function refreshInspectorTarget() {
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    let rebuild = false;
    if (I.tool) {
      const again = S.cat.tools.find((t) => t.name === I.tool.name && t.server === I.tool.server) ||
        S.cat.tools.find((t) => t.name === I.tool.name);
      if (again) {
        if (!same(again.inputSchema, I.tool.inputSchema) || I.gone) rebuild = I.mode === 'tool';
        I.tool = again;
      } else if (!I.gone) rebuild = I.mode === 'tool';
      I.gone = I.mode === 'tool' && !again;
    }
    if (I.prompt) {
      const again = S.cat.prompts.find((p) => p.name === I.prompt.name);
      if (again) {
        if (!same(again.arguments, I.prompt.arguments)) rebuild = rebuild || I.mode === 'prompt';
        I.prompt = again;
      }
    }
    if (rebuild) renderTarget();
  }

  function renderTarget() {
    const target = $('#inspector-target');
    const formEl = $('#inspector-form');
    const call = $('#inspector-call');
    $('#inspector-problem').textContent = '';
    I.form = null;
    formEl.replaceChildren();
    target.replaceChildren();
    const rawLabel = $('#inspector-raw-label');
    if (I.mode === 'tool') {
      rawLabel.hidden = false;
      if (!I.tool) {
        target.append(el('p', { class: 'muted', text: 'Pick a tool: type its name above, or click one in the catalogue.' }));
        call.disabled = true;
        setRaw(false);
        return;
      }
      const t = I.tool;
      const listed = S.cat.tools.includes(t);
      target.append(el('div', { class: 'target-head' }, el('span', { class: 'mono strong', text: str(t.name) }),
        el('span', { class: 'muted', text: t.server ? ` on ${t.server}` : '' }), ' ', pinBadge(t.pin)));
      if (!listed && S.catLoaded) target.append(el('p', { class: 'bad', text: 'This tool is no longer listed.' }));
      if (t.description) target.append(el('p', { class: 'desc-full', text: t.description }));
      I.form = buildRootForm(t.inputSchema);
      formEl.append(I.form.el);
      call.disabled = false;
    } else if (I.mode === 'prompt') {
      rawLabel.hidden = false;
      if (!I.prompt) {
        target.append(el('p', { class: 'muted', text: 'Pick a prompt: type its name above, or click one in the catalogue.' }));
        call.disabled = true;
        setRaw(false);
        return;
      }
      const p = I.prompt;
      target.append(el('div', { class: 'target-head' }, el('span', { class: 'mono strong', text: str(p.name) }),
        el('span', { class: 'muted', text: p.server ? ` on ${p.server}` : '' })));
      if (p.description) target.append(el('p', { class: 'desc-full', text: p.description }));
      const args = Array.isArray(p.arguments) ? p.arguments : [];
      const schema = {
        type: 'object',
        properties: Object.fromEntries(args.map((a) => [a.name, { type: 'string', description: a.description }])),
        required: args.filter((a) => a.required).map((a) => a.name),
      };
      I.form = buildRootForm(schema);
      formEl.append(I.form.el);
      call.disabled = false;
    } else {
      rawLabel.hidden = true;
      setRaw(false);
      call.disabled = false;
      if (I.template) {
        const tmpl = I.template;
        target.append(el('div', { class: 'target-head' }, el('span', { class: 'strong', text: dash(tmpl.name) }),
          el('span', { class: 'muted', text: tmpl.server ? ` on ${tmpl.server}` : '' })),
        el('p', { class: 'mono muted', text: str(tmpl.uriTemplate) }));
        const vars = templateVars(str(tmpl.uriTemplate));
        const schema = { type: 'object', properties: Object.fromEntries(vars.map((v) => [v, { type: 'string', description: `{${v}} in the template` }])) };
        I.form = buildRootForm(schema);
        I.templateVars = vars;
        formEl.append(I.form.el);
      } else {
        target.append(el('p', { class: 'muted', text: 'Type a resource URI, or pick a resource or a template from the list.' }));
      }
    }
    if (I.raw) setRaw(true);
  }

  function setRaw(on) {
    const toggle = $('#inspector-raw-toggle');
    const wrap = $('#inspector-raw-wrap');
    const formEl = $('#inspector-form');
    const area = $('#inspector-raw');
    if (on && I.form) {
      area.value = pretty(I.form.collect(null).value || {});
    } else if (!on && I.raw && I.form && area.value.trim()) {
      try {
        I.form.set(JSON.parse(area.value));
      } catch (e) {
        $('#inspector-problem').textContent = `Raw JSON is not valid: ${e.message}`;
        toggle.checked = true;
        return;
      }
    }
    I.raw = on;
    toggle.checked = on;
    wrap.hidden = !on;
    formEl.hidden = on;
  }

  /** {method, params} for what the inspector shows, or null with the problem displayed. */
  function buildRequest() {
    const problem = $('#inspector-problem');
    problem.textContent = '';
    const errors = [];
    let args;
    if (I.mode !== 'resource') {
      if (I.raw) {
        try {
          args = JSON.parse($('#inspector-raw').value || '{}');
        } catch (e) {
          problem.textContent = `Raw JSON is not valid: ${e.message}`;
          return null;
        }
        if (!args || typeof args !== 'object' || Array.isArray(args)) {
          problem.textContent = 'The arguments must be a JSON object.';
          return null;
        }
      } else if (I.form) {
        const v = I.form.collect(errors);
        args = v.present ? v.value : {};
      }
      if (errors.length) {
        problem.textContent = `Check the highlighted fields (${errors.join('; ')}).`;
        return null;
      }
    }
    if (I.mode === 'tool') {
      if (!I.tool) return null;
      return { method: 'tools/call', params: { name: I.tool.name, arguments: args || {} } };
    }
    if (I.mode === 'prompt') {
      if (!I.prompt) return null;
      return { method: 'prompts/get', params: { name: I.prompt.name, arguments: args || {} } };
    }
    if (I.template && I.form) {
      const values = I.form.collect(null).value || {};
      const missing = (I.templateVars || []).filter((v) => !values[v]);
      if (missing.length) {
        problem.textContent = `Fill in the template: ${missing.join(', ')}.`;
        return null;
      }
      updateTemplateUri();
    }
    const uri = $('#inspector-uri').value.trim();
    if (!uri) {
      problem.textContent = 'Enter a resource URI.';
      return null;
    }
    return { method: 'resources/read', params: { uri } };
  }

  let calling = false;
  async function doCall() {
    if (calling) return;
    const request = buildRequest();
    if (!request) return;
    calling = true;
    const button = $('#inspector-call');
    button.disabled = true;
    const panel = $('#inspector-result');
    panel.replaceChildren(el('p', { class: 'muted pending', text: `Running ${request.method} ${request.params.name || request.params.uri}…` }));
    try {
      let reply;
      try {
        reply = await api('call', { method: 'POST', body: request, csrf: true });
      } catch (e) {
        // An expired CSRF token: take the current one and try once more.
        if (!(e instanceof ApiError) || e.status !== 403) throw e;
        const who = await api('whoami');
        if (!who || !who.csrf || who.csrf === S.csrf) throw e;
        S.csrf = who.csrf;
        reply = await api('call', { method: 'POST', body: request, csrf: true });
      }
      renderReply(request, reply || {});
    } catch (e) {
      if (e instanceof AuthError) return;
      panel.replaceChildren(resultHead(request, null, 'failed'),
        el('div', { class: 'error-box' }, el('strong', { text: e.status ? `HTTP ${e.status}` : 'Failed' }), el('span', { text: ` ${e.message}` })));
    } finally {
      calling = false;
      button.disabled = false;
    }
  }

  function resultHead(request, durationMs, status) {
    const what = request.params.name || request.params.uri || '';
    return el('div', { class: 'result-head' },
      el('span', { class: `badge result-${status}`, text: status }),
      el('span', { class: 'mono', text: ` ${request.method} ` }),
      el('span', { class: 'mono strong', text: what }),
      el('span', { class: 'spacer' }),
      durationMs === null ? null : el('span', { id: 'inspector-timing', class: 'timing', text: fmtMs(durationMs) }));
  }

  function renderReply(request, reply) {
    const panel = $('#inspector-result');
    const parts = [];
    const duration = typeof reply.durationMs === 'number' ? reply.durationMs : NaN;
    if (reply.error) {
      const err = reply.error;
      parts.push(resultHead(request, duration, 'error'));
      parts.push(el('div', { class: 'error-box rpc-error' },
        el('strong', { text: `JSON-RPC error ${err.code !== undefined ? err.code : ''}` }),
        el('div', { class: 'error-message', text: str(err.message) }),
        err.data !== undefined ? el('pre', { class: 'json', text: pretty(err.data) }) : null));
    } else {
      const result = reply.result || {};
      const isError = request.method === 'tools/call' && result.isError === true;
      parts.push(resultHead(request, duration, isError ? 'tool-error' : 'ok'));
      if (isError) parts.push(el('div', { class: 'error-box is-error', text: 'The tool reported an error (isError: true).' }));
      if (request.method === 'tools/call') {
        const content = Array.isArray(result.content) ? result.content : [];
        const box = el('div', { class: `content${isError ? ' is-error' : ''}` });
        for (const item of content) box.append(renderContent(item, request));
        if (!content.length) box.append(el('p', { class: 'muted', text: 'No content.' }));
        parts.push(box);
        if (result.structuredContent !== undefined) {
          parts.push(el('h3', { text: 'Structured content' }), el('pre', { class: 'json structured', text: pretty(result.structuredContent) }));
        }
      } else if (request.method === 'resources/read') {
        const contents = Array.isArray(result.contents) ? result.contents : [];
        for (const c of contents) parts.push(renderResource(c));
        if (!contents.length) parts.push(el('p', { class: 'muted', text: 'No contents.' }));
      } else {
        if (result.description) parts.push(el('p', { class: 'desc-full', text: str(result.description) }));
        const messages = Array.isArray(result.messages) ? result.messages : [];
        for (const m of messages) {
          parts.push(el('div', { class: 'message' }, el('div', { class: 'role', text: dash(m.role) }), renderContent(m.content || {}, request)));
        }
        if (!messages.length) parts.push(el('p', { class: 'muted', text: 'No messages.' }));
      }
    }
    parts.push(el('details', { class: 'raw' }, el('summary', { text: 'Request and raw response' }),
      el('h3', { text: 'request' }), el('pre', { class: 'json', text: pretty(request) }),
      el('h3', { text: 'response' }), el('pre', { class: 'json', text: pretty(reply) })));
    panel.replaceChildren(...parts);
  }

  const MIME = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;
  const safeMime = (m, fallback) => (typeof m === 'string' && MIME.test(m) ? m : fallback);
  const base64Bytes = (b64) => Math.floor((str(b64).replace(/=+$/, '').length * 3) / 4);

  /** A content item, with its annotations (audience, priority) under it when it has any. */
  function renderContent(item, request) {
    const node = renderContentItem(item, request);
    const ann = item && item.annotations && typeof item.annotations === 'object' ? item.annotations : null;
    if (!ann) return node;
    const parts = [];
    if (Array.isArray(ann.audience)) parts.push(`audience: ${ann.audience.join(', ')}`);
    if (typeof ann.priority === 'number') parts.push(`priority: ${ann.priority}`);
    if (ann.lastModified) parts.push(`modified: ${ann.lastModified}`);
    if (!parts.length) return node;
    return el('div', { class: 'annotated' }, node, el('div', { class: 'muted small', text: parts.join(' · ') }));
  }

  function renderContentItem(item, request) {
    const type = item && item.type;
    if (type === 'text') return el('pre', { class: 'text-content', text: str(item.text) });
    if (type === 'image') {
      const mime = safeMime(item.mimeType, 'image/png');
      return el('figure', { class: 'media' }, el('img', { src: `data:${mime};base64,${str(item.data)}`, alt: `image (${mime})` }),
        el('figcaption', { class: 'muted', text: `${mime}, ${fmtInt(base64Bytes(item.data))} bytes` }));
    }
    if (type === 'audio') {
      const mime = safeMime(item.mimeType, 'audio/wav');
      return el('figure', { class: 'media' }, el('audio', { controls: true, src: `data:${mime};base64,${str(item.data)}` }),
        el('figcaption', { class: 'muted', text: `${mime}, ${fmtInt(base64Bytes(item.data))} bytes` }));
    }
    if (type === 'resource_link') {
      const uri = str(item.uri);
      const link = /^https?:\/\//i.test(uri)
        ? el('a', { href: uri, target: '_blank', rel: 'noopener noreferrer', class: 'mono', text: uri })
        : el('span', { class: 'mono', text: uri });
      return el('div', { class: 'resource-link' },
        el('span', { class: 'badge', text: 'resource link' }), ' ',
        el('span', { class: 'strong', text: str(item.title || item.name) }), ' ', link,
        item.mimeType ? el('span', { class: 'muted', text: ` (${item.mimeType})` }) : null,
        item.description ? el('div', { class: 'muted', text: str(item.description) }) : null,
        el('button', { type: 'button', class: 'ghost small', text: 'Read', onclick: () => { inspectResource(uri); run(doCall, 'read'); } }));
    }
    if (type === 'resource') return renderResource(item.resource || {});
    return el('pre', { class: 'json', text: pretty(item) });
  }

  /** UTF-8 text of base64 data, or null when it is not valid UTF-8. */
  function decodeText(b64) {
    try {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return null;
    }
  }

  function renderResource(c) {
    const mime = str(c.mimeType);
    const head = el('div', { class: 'resource-head' }, el('span', { class: 'badge', text: 'resource' }), ' ',
      el('span', { class: 'mono', text: str(c.uri) }), mime ? el('span', { class: 'muted', text: ` (${mime})` }) : null);
    const box = el('div', { class: 'resource' }, head);
    if (typeof c.text === 'string') box.append(el('pre', { class: 'text-content', text: c.text }));
    else if (typeof c.blob === 'string') {
      const m = safeMime(mime, 'application/octet-stream');
      const decoded = /^text\/|[/+]json$|[/+]xml$/.test(m) && c.blob.length < 4 * 1024 * 1024 ? decodeText(c.blob) : null;
      if (decoded !== null) box.append(el('pre', { class: 'text-content', text: decoded }));
      const src = `data:${m};base64,${c.blob}`;
      if (/^image\//.test(m)) box.append(el('img', { src, alt: `image (${m})` }));
      else if (/^audio\//.test(m)) box.append(el('audio', { controls: true, src }));
      const name = str(c.uri).split('/').pop() || 'resource';
      box.append(el('div', { class: 'muted' }, `binary, ${fmtInt(base64Bytes(c.blob))} bytes `,
        el('a', { href: src, download: name, text: 'download' })));
    } else box.append(el('pre', { class: 'json', text: pretty(c) }));
    return box;
  }

  // ---------------------------------------------------------------- tabs

  const TABS = ['overview', 'catalogue', 'inspector', 'sessions', 'feed'];

  function showTab(name) {
    if (!TABS.includes(name)) name = 'overview';
    S.tab = name;
    for (const b of $$('.tabs [data-tab]')) b.setAttribute('aria-selected', b.dataset.tab === name ? 'true' : 'false');
    for (const t of TABS) $(`#tab-${t}`).hidden = t !== name;
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    clearInterval(S.sessionsTimer);
    S.sessionsTimer = null;
    clearInterval(S.catTimer);
    S.catTimer = null;
    if (name === 'catalogue' && S.started) {
      // The call counts move with the traffic: refresh them while the catalogue is looked at.
      const refresh = () => {
        if (!document.hidden && S.catCalls && performance.now() - S.catLoadedAt > 3000) run(loadCatalogue, 'catalogue');
      };
      refresh();
      S.catTimer = setInterval(refresh, 10000);
    }
    if (name === 'sessions' && S.started) {
      run(loadSessions, 'sessions');
      S.sessionsTimer = setInterval(() => {
        if (!document.hidden) run(loadSessions, 'sessions');
      }, 3000);
    }
  }

  function route() {
    showTab(location.hash.replace(/^#/, '') || 'overview');
  }

  // ---------------------------------------------------------------- wiring

  function bind() {
    $('#login-form').addEventListener('submit', (e) => {
      e.preventDefault(); // at once: the key must never be submitted natively
      run(login);
    });
    $('#logout').addEventListener('click', () => run(logout));
    for (const b of $$('.tabs [data-tab]')) b.addEventListener('click', () => showTab(b.dataset.tab));
    window.addEventListener('hashchange', route);

    initPagers();
    const filterCatalogue = debounce(() => renderCatalogue({ keepPage: false }), 60);
    $('#tool-search').addEventListener('input', filterCatalogue);
    $('#catalogue-server').addEventListener('change', () => renderCatalogue({ keepPage: false }));
    for (const b of $$('.subtabs button')) b.addEventListener('click', () => setKind(b.dataset.kind));

    $('#session-search').addEventListener('input', debounce(() => renderSessions({ keepPage: false }), 60));
    $('#sessions-refresh').addEventListener('click', () => run(loadSessions, 'sessions'));

    $('#feed-search').addEventListener('input', debounce(filterFeed, 60));
    $('#feed-pause').addEventListener('click', () => {
      S.feedPaused = !S.feedPaused;
      if (!S.feedPaused) flushFeed();
      renderFeedStatus();
    });
    $('#feed-clear').addEventListener('click', () => {
      S.feed = [];
      S.feedQueue = [];
      $('#feed-body').replaceChildren();
      renderFeedStatus();
    });

    for (const b of $$('.segmented button')) b.addEventListener('click', () => setMode(b.dataset.mode));
    suggest($('#inspector-tool'), $('#inspector-tool-suggest'), {
      items: () => S.cat.tools,
      label: (t) => [str(t.name), t.server ? ` ${t.server}` : ''],
      onPick: (t) => inspectTool(t, { switchTab: false }),
    });
    suggest($('#inspector-prompt'), $('#inspector-prompt-suggest'), {
      items: () => S.cat.prompts,
      label: (p) => [str(p.name), p.server ? ` ${p.server}` : ''],
      onPick: (p) => inspectPrompt(p),
    });
    suggest($('#inspector-uri'), $('#inspector-uri-suggest'), {
      items: () => [...S.cat.resources.map((r) => ({ ...r, kind: 'resource' })), ...S.cat.templates.map((r) => ({ ...r, kind: 'template' }))],
      label: (r) => (r.kind === 'template' ? [str(r.uriTemplate), ` template · ${dash(r.name)}`] : [str(r.uri), ` ${dash(r.name)}`]),
      onPick: (r) => (r.kind === 'template' ? inspectTemplate(r) : inspectResource(r.uri)),
    });
    $('#inspector-uri').addEventListener('input', () => {
      if (I.template) {
        I.template = null;
        renderTarget();
      }
    });
    $('#inspector-form').addEventListener('input', () => {
      if (I.mode === 'resource') updateTemplateUri();
    });
    $('#inspector-raw-toggle').addEventListener('change', (e) => setRaw(e.target.checked));
    $('#inspector-call').addEventListener('click', () => run(doCall, 'call'));
    $('#inspector-form').addEventListener('submit', (e) => {
      e.preventDefault();
      run(doCall, 'call');
    });
    // Enter in a single-line input of the form calls (as in any form); Ctrl+Enter anywhere.
    $('#tab-inspector').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run(doCall, 'call');
      }
    });
    setMode('tool');
    setKind('tools');
  }

  document.addEventListener('DOMContentLoaded', () => {
    bind();
    boot();
  });
})();
