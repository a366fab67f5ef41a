// The live dashboard at /ui in a real browser (Chromium through puppeteer-core), against a real
// proxy and real servers. Everything is asserted on the page's DOM, waiting for what should
// appear (never for a fixed time):
//   - the page loads without a console error and lists the backends (up) and their tools;
//   - the inspector calls the everything server's echo from a form generated from its schema;
//   - a killed backend turns down in the table, then up again with a new pid;
//   - the live feed shows a call made by another client (an SDK client over /mcp);
//   - 5,000 tools and 1,000 sessions: only a page of rows is in the DOM, the filter finds one tool;
//   - with auth: only the sign-in form; a wrong key and a non-admin key are refused; the admin's
//     key signs in; a call without the CSRF header is refused with 403.
// Screenshots of each state go to $MCPROXY_ARTIFACTS_DIR (default build/artifacts/dashboard/).
//
// Needs Chromium (Debian: apt-get install -y chromium; or $MCPROXY_CHROMIUM).
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/dashboard.test.mjs
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import puppeteer from 'puppeteer-core';

import { connectClient, repoRoot, serverPaths, startProxy } from './support/proxy.mjs';
import { PROTOCOL_VERSION } from './support/faults.mjs';

const CHROMIUM = process.env.MCPROXY_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.MCPROXY_ARTIFACTS_DIR || path.join(repoRoot, 'build/artifacts/dashboard');
const manyToolsPath = fileURLToPath(new URL('./support/many-tools-server.mjs', import.meta.url));
const WAIT = 20_000; // for anything the page should show (generous: a loaded machine)
const TOOLS = 5000;
const SESSIONS = 1000;

let browser;
const tmpDirs = [];

function tempDir(tag) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `mcproxy-dashboard-${tag}-`)));
  tmpDirs.push(dir);
  return dir;
}

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set MCPROXY_CHROMIUM)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  // A browser that did not close is killed with its process group.
  const proc = browser?.process();
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A page in a browser context of its own (no cookie shared with another test), 1400×900,
 * recording console errors and uncaught exceptions. `allow` lists console texts that are
 * expected (e.g. the browser's own line for a 401 the test provokes).
 */
async function openPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()} ${JSON.stringify(msg.location())}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return {
    page,
    problems,
    close: () => context.close().catch(() => {}),
  };
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: false });

/** Text of the first element matching `selector`, or null. */
const textOf = (page, selector) => page.$eval(selector, (el) => el.textContent).catch(() => null);

/** The state of a backend's row in the table. */
const rowState = (page, name) =>
  page.$eval(`tr[data-backend="${name}"] [data-state]`, (el) => el.getAttribute('data-state')).catch(() => null);

async function waitForRowState(page, name, states) {
  await page.waitForFunction(
    (n, wanted) => {
      const cell = document.querySelector(`tr[data-backend="${n}"] [data-state]`);
      return cell && wanted.includes(cell.getAttribute('data-state'));
    },
    { timeout: WAIT, polling: 50 },
    name,
    states,
  ).catch(async (err) => {
    throw new Error(`${name} never showed ${states.join('/')} (it shows ${await rowState(page, name)}): ${err.message}`);
  });
}

/**
 * Clicks a list row. Rows are re-rendered when the list changes (a filter, a catalogue reload),
 * so the row is found and clicked in one step inside the page.
 */
async function clickRow(page, selector) {
  await page.waitForSelector(selector, { timeout: WAIT });
  await page.$eval(selector, (el) => el.click());
}

async function showTab(page, tab) {
  await page.click(`[data-tab="${tab}"]`);
  await page.waitForSelector(`#tab-${tab}:not([hidden])`, { timeout: WAIT });
}

/** The final name the proxy lists for `server`'s tool `tool` (it prefixes with several servers). */
async function listedName(url, server, tool) {
  const client = await connectClient(url, { name: 'dashboard-test-lister' });
  try {
    const names = [];
    let cursor;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor);
    const name = [`${server}__${tool}`, tool].find((n) => names.includes(n)) ?? names.find((n) => n.endsWith(tool));
    assert.ok(name, `${tool} is not in the proxy's listing: ${names.slice(0, 40).join(', ')}`);
    return name;
  } finally {
    await client.close().catch(() => {});
  }
}

describe('dashboard without auth: everything and filesystem', () => {
  let proxy;
  let view;
  let echoName;
  let sumName;
  let dir;
  let slowMarker;

  before(async () => {
    dir = tempDir('fs');
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello');
    // server-everything behind a tiny launcher that waits 4 s before starting while a marker
    // file exists: the restart after the kill below then lasts long enough to be seen in the
    // table (the proxy respawns a dead backend at once, and server-everything starts in ~1 s).
    const work = tempDir('work');
    slowMarker = path.join(work, 'slow');
    const launcher = path.join(work, 'slow-everything.mjs');
    fs.writeFileSync(launcher, [
      "import fs from 'node:fs';",
      `if (fs.existsSync(${JSON.stringify(slowMarker)})) await new Promise((r) => setTimeout(r, 4000));`,
      `await import(${JSON.stringify(pathToFileURL(serverPaths().everything).href)});`,
      '',
    ].join('\n'));
    proxy = await startProxy({
      mcpServers: {
        everything: { command: process.execPath, args: [launcher], reconnect: { initialDelayMs: 200, maxDelayMs: 1000 } },
        filesystem: { command: process.execPath, args: [serverPaths().filesystem, dir] },
      },
    });
    echoName = await listedName(proxy.url, 'everything', 'echo');
    sumName = await listedName(proxy.url, 'everything', 'get-sum');
    view = await openPage();
  });

  after(async () => {
    await view?.close();
    await proxy?.stop();
  });

  test('the page loads with no console error, the backends are up and their tools listed', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    const origin = new URL(proxy.url).origin;
    const res = await page.goto(`${origin}/ui`, { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    await waitForRowState(page, 'everything', ['up']);
    await waitForRowState(page, 'filesystem', ['up']);
    await page.waitForFunction(() => document.querySelector('#live')?.dataset.live === 'true', { timeout: WAIT });
    // The header names the version; the tools column counts each backend's tools.
    await page.waitForFunction(() => /\d/.test(document.querySelector('#version')?.textContent ?? ''), { timeout: WAIT });
    for (const name of ['everything', 'filesystem']) {
      const tools = Number(await textOf(page, `tr[data-backend="${name}"] [data-col="tools"]`));
      assert.ok(tools > 0, `the ${name} row counts ${tools} tools`);
    }
    await shot(page, 'dashboard.png');

    await showTab(page, 'catalogue');
    await page.waitForSelector(`[data-tool="${echoName}"]`, { timeout: WAIT });
    const servers = await page.$$eval('#tools-body tr[data-tool] td:nth-child(2)', (tds) => [...new Set(tds.map((td) => td.textContent))]);
    assert.ok(servers.includes('everything'), `no everything tool on the first page: ${servers}`);
    // A filter that only filesystem tools match shows them.
    await page.type('#tool-search', 'filesystem');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#tools-body tr[data-tool]')];
      return rows.length > 0 && rows.every((r) => r.children[1].textContent === 'filesystem');
    }, { timeout: WAIT });
    await page.$eval('#tool-search', (el) => {
      el.value = '';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    assert.deepEqual(problems, [], 'the page logged errors');
  });

  test('the inspector calls echo from a form made from its inputSchema', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    await showTab(page, 'catalogue');
    await page.waitForSelector(`[data-tool="${echoName}"]`, { timeout: WAIT });
    await clickRow(page, `[data-tool="${echoName}"]`);
    // The details show the schema; the button opens the inspector with the tool picked.
    await page.waitForFunction(() => /"message"/.test(document.querySelector('#tool-schema')?.textContent ?? ''), { timeout: WAIT });
    await page.click('#tool-open-inspector');
    await page.waitForSelector('#tab-inspector:not([hidden]) [name="message"]', { visible: true, timeout: WAIT });
    const required = await page.$eval('[name="message"]', (input) => input.closest('.field').classList.contains('required'));
    assert.ok(required, 'message is required by the schema and should be marked so');
    const message = `hello from the dashboard ${crypto.randomUUID()}`;
    await page.type('[name="message"]', message);
    await page.click('#inspector-call');
    await page.waitForFunction(
      (m) => (document.querySelector('#inspector-result')?.textContent ?? '').includes(`Echo: ${m}`),
      { timeout: WAIT },
      message,
    );
    await page.waitForFunction(() => /\d ?(ms|s)\b/.test(document.querySelector('#inspector-timing')?.textContent ?? ''), { timeout: WAIT });
    const pre = await page.$$eval('#inspector-result pre.text-content', (els) => els.map((e) => e.textContent));
    assert.ok(pre.includes(`Echo: ${message}`), `the echoed text is not shown as text: ${JSON.stringify(pre)}`);
    await shot(page, 'inspector.png');

    // The raw JSON alternative starts from what the form holds.
    await page.click('#inspector-raw-toggle');
    const raw = await page.$eval('#inspector-raw', (el) => JSON.parse(el.value));
    assert.deepEqual(raw, { message }, 'the raw JSON box starts from the form');
    assert.deepEqual(problems, [], 'the page logged errors');
    await page.click('#inspector-raw-toggle');
  });

  test('a killed backend turns down in the table, then up again', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    await showTab(page, 'overview');
    await waitForRowState(page, 'everything', ['up']);
    const pidText = await textOf(page, 'tr[data-backend="everything"] [data-col="pid"]');
    const pid = Number(pidText);
    assert.ok(Number.isInteger(pid) && pid > 1, `no pid in the everything row: ${pidText}`);
    fs.writeFileSync(slowMarker, '');
    process.kill(pid, 'SIGKILL');
    await waitForRowState(page, 'everything', ['down', 'starting', 'failed']);
    await shot(page, 'backend-down.png');
    assert.equal(await rowState(page, 'filesystem'), 'up', 'the other backend should not notice');
    fs.rmSync(slowMarker, { force: true });
    await waitForRowState(page, 'everything', ['up']);
    await page.waitForFunction(
      (old) => {
        const text = document.querySelector('tr[data-backend="everything"] [data-col="pid"]')?.textContent;
        return text && /^\d+$/.test(text) && text !== old;
      },
      { timeout: WAIT },
      pidText,
    );
    const reconnects = Number(await textOf(page, 'tr[data-backend="everything"] [data-col="reconnects"]'));
    const restarts = Number(await textOf(page, 'tr[data-backend="everything"] [data-col="restarts"]'));
    assert.ok(reconnects + restarts >= 1, `neither reconnects (${reconnects}) nor restarts (${restarts}) counted the outage`);
    assert.deepEqual(problems, [], 'the page logged errors');
  });

  test('the live feed shows a call made by another client over /mcp', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    await showTab(page, 'feed');
    const client = await connectClient(proxy.url, { name: 'dashboard-feed-client' });
    try {
      const result = await client.callTool({ name: sumName, arguments: { a: 2, b: 3 } });
      assert.match(JSON.stringify(result.content), /5/);
    } finally {
      await client.close().catch(() => {});
    }
    await page.waitForSelector(`#feed-body .feed-row[data-name="${sumName}"]`, { visible: true, timeout: WAIT });
    const row = await page.$eval(`#feed-body .feed-row[data-name="${sumName}"]`, (tr) => [...tr.children].map((td) => td.textContent));
    assert.ok(row.includes('tools/call'), `the row does not say tools/call: ${row}`);
    assert.ok(row.includes('everything'), `the row does not name the server: ${row}`);
    assert.ok(row.includes('ok'), `the row does not say ok: ${row}`);
    // Newest first: the sum call is above the inspector's echo.
    const names = await page.$$eval('#feed-body .feed-row', (rows) => rows.map((r) => r.dataset.name));
    const echoAt = names.indexOf(echoName);
    assert.ok(echoAt === -1 || names.indexOf(sumName) < echoAt, `not newest first: ${names.join(', ')}`);
    await shot(page, 'feed.png');
    assert.deepEqual(problems, [], 'the page logged errors');
  });
});

describe('dashboard with 5,000 tools and 1,000 sessions', () => {
  let proxy;
  let view;
  let target;

  before(async () => {
    proxy = await startProxy({
      mcpServers: { many: { command: process.execPath, args: [manyToolsPath, String(TOOLS)] } },
      httpServer: { maxSessions: SESSIONS + 500 },
    }, { extraArgs: ['--log-level', 'info'] });
    target = await listedName(proxy.url, 'many', 'tool-4321');
    // 1,000 client sessions: initialize and initialized over plain HTTP, 50 at a time.
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const open = async (i) => {
      const init = await fetch(proxy.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
          params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: `bulk-client-${i}`, version: '1.0.0' } } }),
      });
      assert.equal(init.status, 200, `initialize ${i}: ${await init.clone().text()}`);
      await init.text();
      const id = init.headers.get('mcp-session-id');
      assert.ok(id, `initialize ${i}: no Mcp-Session-Id`);
      const done = await fetch(proxy.url, {
        method: 'POST',
        headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      });
      await done.text();
    };
    for (let i = 0; i < SESSIONS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, SESSIONS - i) }, (_, k) => open(i + k)));
    }
    view = await openPage();
  });

  after(async () => {
    await view?.close();
    await proxy?.stop();
  });

  test('the tools view renders a page of rows, says 5,000, and the filter finds tool-4321', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    const origin = new URL(proxy.url).origin;
    await page.goto(`${origin}/ui/#catalogue`, { waitUntil: 'load' });
    await page.waitForSelector('#tab-catalogue:not([hidden]) [data-tool]', { timeout: WAIT });
    await page.waitForFunction(() => /\b5,?000\b/.test(document.querySelector('#count-tools')?.textContent ?? ''), { timeout: WAIT })
      .catch(async (err) => {
        throw new Error(`the tool count never said 5,000 (it says ${await textOf(page, '#count-tools')}): ${err.message}`);
      });
    const rows = await page.$$eval('[data-tool]', (els) => els.length);
    assert.ok(rows > 0 && rows <= 200, `${rows} tool rows in the DOM (expected one page, at most 200)`);
    assert.match(await textOf(page, '#tools-pager'), /of 5,000/);

    await page.type('#tool-search', 'tool-4321');
    await page.waitForFunction(
      (name) => {
        const rows = [...document.querySelectorAll('[data-tool]')];
        return rows.some((r) => r.dataset.tool === name) && rows.every((r) => r.textContent.includes('tool-4321'));
      },
      { timeout: WAIT },
      target,
    );
    const filtered = await page.$$eval('[data-tool]', (els) => els.map((e) => e.dataset.tool));
    assert.ok(filtered.length >= 1 && filtered.length <= 200, `filtered rows: ${filtered.length}`);
    assert.match(await textOf(page, '#tools-pager'), /5,000/);
    await shot(page, 'big-catalogue.png');

    // Clearing the filter brings back a page (not the 5,000).
    await page.$eval('#tool-search', (el) => {
      el.value = '';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => document.querySelectorAll('[data-tool]').length > 1, { timeout: WAIT });
    assert.ok((await page.$$eval('[data-tool]', (els) => els.length)) <= 200);

    // A description with markup is shown as text: no element made of it, no script run.
    const hostile = await listedName(proxy.url, 'many', 'tool-13');
    await page.type('#tool-search', 'tool-13 onerror');
    // Only that tool matches the whole query (the list is re-rendered as the filter is typed).
    await page.waitForFunction((name) => {
      const rows = [...document.querySelectorAll('[data-tool]')];
      return rows.length === 1 && rows[0].dataset.tool === name;
    }, { timeout: WAIT }, hostile);
    await clickRow(page, `[data-tool="${hostile}"]`);
    await page.waitForFunction(() => (document.querySelector('#detail')?.textContent ?? '').includes('onerror='), { timeout: WAIT });
    const injected = await page.evaluate(() => ({
      elements: document.querySelectorAll('#tab-catalogue img, #tab-catalogue script, #detail img, #detail script').length,
      xss: window.__xss ?? null,
      shown: document.querySelector('#detail .desc-full')?.textContent ?? '',
    }));
    assert.deepEqual({ elements: injected.elements, xss: injected.xss }, { elements: 0, xss: null }, 'markup from a description was interpreted');
    assert.match(injected.shown, /<img src="x" onerror=/);
    assert.deepEqual(problems, [], 'the page logged errors');
  });

  test('the sessions view is bounded and counts 1,000 sessions', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    await showTab(page, 'sessions');
    await page.waitForFunction(() => {
      const m = /([\d,]+) sessions?/.exec(document.querySelector('#sessions-count')?.textContent ?? '');
      return m && Number(m[1].replace(/,/g, '')) >= 1000;
    }, { timeout: WAIT }).catch(async (err) => {
      throw new Error(`the session count never reached 1,000 (it says ${await textOf(page, '#sessions-count')}): ${err.message}`);
    });
    const rows = await page.$$eval('[data-session]', (els) => els.length);
    assert.ok(rows > 0 && rows <= 200, `${rows} session rows in the DOM (expected one page, at most 200)`);
    const clients = await page.$$eval('[data-session] td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
    assert.ok(clients.some((c) => c.startsWith('bulk-client-')), `no bulk client on the page: ${clients.slice(0, 5)}`);
    await shot(page, 'sessions.png');
    assert.deepEqual(problems, [], 'the page logged errors');
  });
});

describe('dashboard with auth', () => {
  const adminKey = crypto.randomBytes(24).toString('hex');
  const bobKey = crypto.randomBytes(24).toString('hex');
  let proxy;
  let view;
  let origin;

  before(async () => {
    proxy = await startProxy({
      mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
      auth: {
        apiKeys: [
          { name: 'admin', key: adminKey, roles: ['admin'] },
          { name: 'bob', key: bobKey },
        ],
      },
    });
    origin = new URL(proxy.url).origin;
    view = await openPage();
  });

  after(async () => {
    await view?.close();
    await proxy?.stop();
  });

  test('sign-in form only; a wrong key and a non-admin are refused; the admin signs in; no CSRF header, 403', { timeout: 60_000 }, async () => {
    const { page, problems } = view;
    await page.goto(`${origin}/ui/`, { waitUntil: 'load' });
    await page.waitForSelector('#login-form', { visible: true, timeout: WAIT });
    assert.equal(await page.$eval('#app', (el) => el.hidden), true, 'the dashboard shows behind the sign-in form');
    assert.equal(await page.$('tr[data-backend]'), null, 'backends listed before signing in');
    assert.equal(await page.$eval('#login-token', (el) => el.type), 'password');
    await shot(page, 'login.png');

    const signIn = async (key) => {
      await page.$eval('#login-token', (el) => {
        el.value = '';
      });
      await page.type('#login-token', key);
      await page.click('#login-submit');
    };
    await signIn('not-a-key-of-anyone-0123456789');
    await page.waitForFunction(() => {
      const e = document.querySelector('#login-error');
      return e && !e.hidden && e.textContent.startsWith('Sign-in refused');
    }, { timeout: WAIT });
    await signIn(bobKey);
    await page.waitForFunction(() => {
      const e = document.querySelector('#login-error');
      return e && !e.hidden && e.textContent.startsWith('Not allowed');
    }, { timeout: WAIT });
    assert.equal(await page.$eval('#app', (el) => el.hidden), true);
    await signIn(adminKey);
    await waitForRowState(page, 'everything', ['up']);
    await page.waitForFunction(() => document.querySelector('#identity')?.textContent === 'admin', { timeout: WAIT });
    assert.equal(await page.$eval('#login', (el) => el.hidden), true);

    // The session cookie (HttpOnly: read through the browser's tooling) without the CSRF header.
    const cookies = await page.browserContext().cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    assert.ok(cookie, 'no session cookie after signing in');
    assert.ok(cookies.every((c) => c.httpOnly), `a cookie the page can read: ${JSON.stringify(cookies)}`);
    const catalogue = await (await fetch(`${origin}/ui/api/catalogue`, { headers: { cookie } })).json();
    const echo = catalogue.tools.find((t) => t.server === 'everything' && /(^|__)echo$/.test(t.name));
    assert.ok(echo, `no echo in the catalogue: ${catalogue.tools.map((t) => t.name)}`);
    const call = (headers) => fetch(`${origin}/ui/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, ...headers },
      body: JSON.stringify({ method: 'tools/call', params: { name: echo.name, arguments: { message: 'csrf' } } }),
    });
    const refused = await call({});
    assert.equal(refused.status, 403, `a call without X-MCProxy-CSRF: ${refused.status} ${await refused.text()}`);
    const wrong = await call({ 'x-mcproxy-csrf': 'not-the-token' });
    assert.equal(wrong.status, 403, `a call with a wrong X-MCProxy-CSRF: ${wrong.status}`);
    // With the token the same call goes through (so the 403 was the CSRF check).
    const who = await (await fetch(`${origin}/ui/api/whoami`, { headers: { cookie } })).json();
    assert.equal(who.identity, 'admin');
    assert.ok(who.csrf);
    const allowed = await call({ 'x-mcproxy-csrf': who.csrf });
    assert.equal(allowed.status, 200, await allowed.clone().text());
    const body = await allowed.json();
    assert.match(JSON.stringify(body.result), /Echo: csrf/);
    // Without the cookie the API is closed.
    assert.equal((await fetch(`${origin}/ui/api/state`)).status, 401);

    // Signing out shows the form again and ends the cookie's session.
    await page.click('#logout');
    await page.waitForSelector('#login-form', { visible: true, timeout: WAIT });
    assert.equal(await page.$eval('#app', (el) => el.hidden), true);
    assert.equal((await fetch(`${origin}/ui/api/state`, { headers: { cookie } })).status, 401, 'the cookie still works after signing out');

    // The only errors are the browser's lines for the two refusals the test provoked.
    const unexpected = problems.filter((p) => !/Failed to load resource: the server responded with a status of (401|403)/.test(p));
    assert.deepEqual(unexpected, [], 'the page logged errors');
  });
});
