// Fault injection on the processes the proxy starts (issue 10, defects 4 and 10), counted
// from /proc:
// - D4: a second `initialize` on a session (legacy HTTP+SSE, stdio) gets -32600 and starts
//   no second per-client server; a session that ends while its per-client server is still
//   starting leaves no process behind;
// - D10: after SIGKILL of the proxy no descendant survives, even a grandchild that ignores
//   stdin EOF (`sh -c 'sleep 600 & exec node server'`); a SIGKILLed stdio backend comes back
//   and leaves neither zombie nor grandchild; `envPassthrough` (new setting: a list of names
//   or "none", per server and top level) limits what a child inherits; children get SIGPIPE
//   at its default disposition.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/faults-processes.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, describe, test } from 'node:test';

import { cmdlineOf, connectRecordingClient, everythingConfig, isAlive, textOf, waitFor, waitForTools } from './support/forwarding.mjs';
import { faultServerPath, killAll, rawConnect, requestText, running } from './support/faults.mjs';
import { serverPaths, startProxy } from './support/proxy.mjs';
import { descendantPids, waitForBackend } from './support/remote.mjs';

const node = process.execPath;
const { everything } = serverPaths();
const FAST_RECONNECT = { initialDelayMs: 200, maxDelayMs: 1000 };

let proxy;
const leftovers = new Set(); // pids to SIGKILL after each test (anything a failing test left)
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await sleep(200);
  killAll([...leftovers].filter(isAlive));
  leftovers.clear();
});

const remember = (pids) => {
  for (const p of pids) leftovers.add(p);
  return pids;
};
/** Live descendants of `pid` whose command line contains `needle`. */
// Each stdio server runs under `mcproxy __reap` (its command line names the server too): count
// the servers themselves.
const descendantsRunning = (pid, needle) =>
  remember(descendantPids(pid)).filter((p) => cmdlineOf(p).includes(needle) && !cmdlineOf(p).includes(' __reap '));
const describePids = (pids) => pids.map((p) => `${p} ${cmdlineOf(p) || '(gone)'}`).join('; ') || 'none';

/** The events of an SSE response as an async iterator of {event, data}. */
async function* sseEvents(res) {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

/** Opens GET /sse on the proxy; resolves {endpoint, post(message), next(ms), close()}. */
async function legacySession(proxyUrl) {
  const base = new URL(proxyUrl).origin;
  const controller = new AbortController();
  const res = await fetch(new URL('/sse', base), { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  assert.equal(res.status, 200);
  const events = sseEvents(res);
  const first = await events.next();
  assert.equal(first.value?.event, 'endpoint');
  const endpoint = new URL(first.value.data, base);
  const post = (message) =>
    fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  /** The next `message` event, parsed; rejects after `ms`. */
  const next = async (ms = 20_000) => {
    const got = await Promise.race([events.next(), sleep(ms).then(() => ({ timeout: true }))]);
    if (got.timeout) throw new Error(`no message on the SSE stream within ${ms} ms`);
    if (got.done) throw new Error('the SSE stream ended');
    return JSON.parse(got.value.data);
  };
  const close = () => controller.abort();
  return { endpoint, post, next, close };
}

const initialize = (id, protocolVersion = '2024-11-05') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'faults-processes', version: '0' } },
});

describe('D4: per-client servers are neither duplicated nor left behind', () => {
  test('(a) legacy SSE: ten initialize on one session → one server, nine -32600; none left 5 s after the stream closed', { timeout: 90_000 }, async (t) => {
    proxy = await startProxy(everythingConfig({ sessionMode: 'per-client' }));
    const pid = proxy.proc.pid;
    const session = await legacySession(proxy.url);
    const answers = new Map();
    for (let id = 1; id <= 10; id++) {
      const res = await session.post(initialize(id));
      assert.equal(res.status, 202, `initialize ${id}: HTTP ${res.status}`);
      await res.text();
    }
    try {
      while (answers.size < 10) {
        const m = await session.next(30_000);
        if (m.id !== undefined) answers.set(m.id, m);
      }
    } catch (err) {
      t.diagnostic(`only ${answers.size} answers: ${err.message}`);
    }
    const servers = descendantsRunning(pid, 'server-everything');
    t.diagnostic(`server-everything processes while the session is open: ${servers.length}`);
    session.close();
    let left = [];
    try {
      await waitFor(() => (left = descendantsRunning(pid, 'server-everything')).length === 0, {
        timeoutMs: 5000,
        what: 'every per-client server-everything to stop',
      });
    } catch {
      // reported below, with the answers
    }
    assert.ok(answers.get(1)?.result?.protocolVersion, `the first initialize failed: ${JSON.stringify(answers.get(1))}`);
    const codes = [...Array(9)].map((_, i) => answers.get(i + 2)?.error?.code ?? (answers.get(i + 2) ? 'result' : 'none'));
    // Every problem at once.
    const problems = [];
    if (servers.length !== 1) problems.push(`${servers.length} server-everything processes for one session`);
    if (left.length) problems.push(`${left.length} still running 5 s after the session closed: ${describePids(left)}`);
    if (codes.some((c) => c !== -32600)) problems.push(`answers to initialize 2..10 (expected -32600 each): ${codes.join(', ')}`);
    assert.deepEqual(problems, []);
  });

  test('(b) stdio downstream: a second initialize → -32600, still exactly one server-everything', { timeout: 60_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-faults-stdio-'));
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(everythingConfig({ sessionMode: 'per-client' })));
    const child = spawn(process.env.MCPROXY_BIN, ['stdio', '--config', configFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    leftovers.add(child.pid);
    child.stderr.on('data', () => {});
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const lines = readline.createInterface({ input: child.stdout });
    const answers = new Map();
    lines.on('line', (line) => {
      try {
        const m = JSON.parse(line);
        if (m.id !== undefined) answers.set(m.id, m);
      } catch {
        // not for us
      }
    });
    try {
      child.stdin.write(`${JSON.stringify(initialize(1, '2025-11-25'))}\n`);
      await waitFor(() => answers.get(1), { timeoutMs: 20_000, what: 'the answer to the first initialize' });
      assert.ok(answers.get(1).result, JSON.stringify(answers.get(1)));
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      child.stdin.write(`${JSON.stringify(initialize(2, '2025-11-25'))}\n`);
      await waitFor(() => answers.get(2), { timeoutMs: 20_000, what: 'the answer to the second initialize' });
      await sleep(500);
      const servers = descendantsRunning(child.pid, 'server-everything');
      assert.equal(servers.length, 1, `${servers.length} server-everything processes after two initialize: ${describePids(servers)}`);
      assert.equal(answers.get(2).error?.code, -32600, `second initialize answered ${JSON.stringify(answers.get(2)).slice(0, 300)}`);
    } finally {
      const all = remember(descendantPids(child.pid));
      child.stdin.end();
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await sleep(300);
      const survivors = all.filter(isAlive);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(survivors, [], `alive after mcproxy stdio exited: ${describePids(survivors)}`);
    }
  });

  const slowConfig = () => ({
    mcpServers: {
      slow: { command: node, args: [faultServerPath, '--startup-delay-ms', '2000'], sessionMode: 'per-client' },
    },
  });

  test('(c) legacy SSE: the stream closes while the per-client server is still starting → no process left', { timeout: 60_000 }, async () => {
    proxy = await startProxy(slowConfig());
    const pid = proxy.proc.pid;
    const session = await legacySession(proxy.url);
    const res = await session.post(initialize(1));
    assert.equal(res.status, 202);
    await waitFor(() => descendantsRunning(pid, 'fault-server').length > 0, { timeoutMs: 5000, what: 'the per-client server to be spawned' });
    session.close(); // the session ends; its server is still in its 2 s start
    await sleep(3000); // past the end of the start
    let left = [];
    try {
      await waitFor(() => (left = descendantsRunning(pid, 'fault-server')).length === 0, { timeoutMs: 5000, what: 'no fault-server' });
    } catch {
      // reported below
    }
    assert.deepEqual(left, [], `a per-client server outlived its session (ended during its start): ${describePids(left)}`);
    assert.ok(running(proxy));
  });

  test('(c) Streamable HTTP: the client drops the connection of its initialize while the server starts → no process left', { timeout: 60_000 }, async () => {
    proxy = await startProxy(slowConfig());
    const pid = proxy.proc.pid;
    const conn = await rawConnect(proxy.url);
    conn.socket.write(
      requestText('POST', proxy.url, { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, JSON.stringify(initialize(1, '2025-11-25'))),
    );
    await waitFor(() => descendantsRunning(pid, 'fault-server').length > 0, { timeoutMs: 5000, what: 'the per-client server to be spawned' });
    conn.socket.destroy(); // nobody will ever learn this session's id
    await sleep(3000);
    let left = [];
    try {
      await waitFor(() => (left = descendantsRunning(pid, 'fault-server')).length === 0, { timeoutMs: 5000, what: 'no fault-server' });
    } catch {
      // reported below
    }
    const health = await (await fetch(new URL('/health', proxy.url))).json();
    assert.deepEqual(left, [], `a per-client server outlived an initialize whose client left (sessions: ${health.sessions}): ${describePids(left)}`);
  });
});

describe('D10: children die with the proxy, come back without residue, get a chosen environment and default SIGPIPE', () => {
  // A server whose `sh -c` wrapper leaves a grandchild that ignores stdin EOF.
  const wrapped = { command: 'sh', args: ['-c', `sleep 600 & exec ${node} ${everything}`], reconnect: FAST_RECONNECT };

  test('(a) SIGKILL of the proxy: within 5 s none of its former descendants is alive', { timeout: 60_000 }, async (t) => {
    proxy = await startProxy({ mcpServers: { everything: { command: node, args: [everything] }, wrapped } });
    await waitForBackend(proxy, 'wrapped', (b) => b.state === 'up', { timeoutMs: 20_000 });
    await waitForBackend(proxy, 'everything', (b) => b.state === 'up', { timeoutMs: 20_000 });
    const pid = proxy.proc.pid;
    const before = remember(descendantPids(pid));
    t.diagnostic(`descendants: ${describePids(before)}`);
    assert.ok(before.some((p) => cmdlineOf(p).startsWith('sleep 600')), `no sleep grandchild: ${describePids(before)}`);
    assert.ok(before.filter((p) => cmdlineOf(p).includes('server-everything')).length >= 2, describePids(before));
    const exited = new Promise((resolve) => proxy.proc.once('exit', resolve));
    proxy.proc.kill('SIGKILL');
    await exited;
    let alive = [];
    try {
      await waitFor(() => (alive = before.filter(isAlive)).length === 0, { timeoutMs: 5000, what: 'every former descendant to die' });
    } catch {
      // reported below
    }
    assert.deepEqual(alive.map((p) => `${p} ${cmdlineOf(p)}`), [], 'alive 5 s after the proxy was SIGKILLed');
  });

  test('(b) SIGKILL of a stdio backend: it comes back and answers; no zombie, no grandchild of the old one', { timeout: 60_000 }, async () => {
    // `steady` keeps /health at 200 while `wrapped` is down.
    proxy = await startProxy({ mcpServers: { wrapped, steady: { command: node, args: [faultServerPath] } } });
    const rc = await connectRecordingClient(proxy.url, { tag: 'faults-kill-backend' });
    try {
      await waitForTools(rc.client, ['wrapped__echo'], { timeoutMs: 20_000 });
      const first = await waitForBackend(proxy, 'wrapped', (b) => b.state === 'up' && b.pid > 0);
      const oldTree = remember([first.pid, ...descendantPids(first.pid)]);
      assert.ok(oldTree.some((p) => cmdlineOf(p).startsWith('sleep 600')), describePids(oldTree));
      process.kill(first.pid, 'SIGKILL');
      const back = await waitForBackend(proxy, 'wrapped', (b) => b.state === 'up' && b.pid > 0 && b.pid !== first.pid, {
        timeoutMs: 20_000,
        what: 'wrapped up again with a new pid',
      });
      remember(descendantPids(back.pid));
      await waitForTools(rc.client, ['wrapped__echo'], { timeoutMs: 10_000 });
      const r = await rc.client.callTool({ name: 'wrapped__echo', arguments: { message: 'after SIGKILL' } });
      assert.equal(textOf(r), 'Echo: after SIGKILL');
      // The killed process was reaped, and its grandchild went with it.
      let zombies = [];
      let residue = [];
      try {
        await waitFor(
          () => {
            zombies = zombieChildren(proxy.proc.pid);
            residue = oldTree.filter(isAlive);
            return zombies.length === 0 && residue.length === 0;
          },
          { timeoutMs: 5000, what: 'no zombie and no residue' },
        );
      } catch {
        // reported below
      }
      assert.deepEqual(zombies, [], `zombie children of the proxy: ${zombies.join(', ')}`);
      assert.deepEqual(residue.map((p) => `${p} ${cmdlineOf(p)}`), [], 'processes of the killed backend still alive');
    } finally {
      await rc.client.close().catch(() => {});
    }
  });

  test('(c) envPassthrough: a list, "none" (top level), and the default (the whole environment)', { timeout: 60_000 }, async () => {
    const env = { ...process.env, MCPROXY_FAULTS_MARKER: 'marker-from-the-proxy-env' };
    const envOf = async (client, tool) => JSON.parse(textOf(await client.callTool({ name: tool, arguments: {} })));

    proxy = await startProxy(
      {
        envPassthrough: 'none',
        mcpServers: {
          listed: { command: node, args: [everything], envPassthrough: ['PATH'], env: { LISTED_OWN: 'listed' } },
          bare: { command: node, args: [everything], env: { BARE_OWN: 'bare' } },
        },
      },
      { env },
    );
    let rc = await connectRecordingClient(proxy.url, { tag: 'faults-env' });
    try {
      await waitForTools(rc.client, ['listed__get-env', 'bare__get-env'], { timeoutMs: 20_000 });
      const listed = await envOf(rc.client, 'listed__get-env');
      const bare = await envOf(rc.client, 'bare__get-env');
      assert.deepEqual(Object.keys(listed).sort(), ['LISTED_OWN', 'PATH'], `envPassthrough ["PATH"]: ${Object.keys(listed).join(', ')}`);
      assert.equal(listed.PATH, process.env.PATH);
      assert.deepEqual(Object.keys(bare).sort(), ['BARE_OWN'], `top-level envPassthrough "none": ${Object.keys(bare).join(', ')}`);
    } finally {
      await rc.client.close().catch(() => {});
      await proxy.stop();
    }

    proxy = await startProxy({ mcpServers: { all: { command: node, args: [everything], env: { ALL_OWN: 'all' } } } }, { env });
    rc = await connectRecordingClient(proxy.url, { tag: 'faults-env-default' });
    try {
      await waitForTools(rc.client, ['all__get-env'], { timeoutMs: 20_000 });
      const all = await envOf(rc.client, 'all__get-env');
      assert.equal(all.MCPROXY_FAULTS_MARKER, 'marker-from-the-proxy-env', 'by default a child gets the proxy environment');
      assert.equal(all.ALL_OWN, 'all');
      assert.equal(all.PATH, process.env.PATH);
    } finally {
      await rc.client.close().catch(() => {});
    }
  });

  test('(d) a child starts with SIGPIPE at its default disposition (not ignored)', { timeout: 60_000 }, async () => {
    // sh records the mask it was exec'ed with (an ignored signal stays ignored across exec;
    // Node.js would ignore SIGPIPE itself), then execs the SDK fixture that reports it.
    // (`$$$$`: the proxy's config substitution turns `$$` into `$`, so sh sees `$$`.)
    const script = `export FAULT_SIGIGN="$(grep SigIgn /proc/$$$$/status)"; exec ${node} ${faultServerPath}`;
    proxy = await startProxy({ mcpServers: { sig: { command: 'sh', args: ['-c', script] } } });
    const rc = await connectRecordingClient(proxy.url, { tag: 'faults-sigpipe' });
    try {
      await waitForTools(rc.client, ['sig__sigign-at-exec'], { timeoutMs: 20_000 });
      const line = textOf(await rc.client.callTool({ name: 'sig__sigign-at-exec', arguments: {} }));
      const m = /^SigIgn:\s*([0-9a-f]+)$/.exec(line.trim());
      assert.ok(m, `not a SigIgn line: ${line}`);
      const mask = BigInt(`0x${m[1]}`);
      const SIGPIPE = 13n;
      assert.equal((mask >> (SIGPIPE - 1n)) & 1n, 0n, `SIGPIPE is ignored in the child (SigIgn ${m[1]})`);
    } finally {
      await rc.client.close().catch(() => {});
    }
  });
});

/** Children of `pid` in state Z. */
function zombieChildren(pid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] === 'Z') out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

after(() => killAll([...leftovers].filter(isAlive)));
