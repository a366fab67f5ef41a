// Soak: runs MCProxy for a while under random abuse and prints what happened as one JSON object.
//
//   node bench/soak.mjs [--sessions 20] [--minutes 5] [--bin build/mcproxy] [--seed S] [--out FILE]
//                       [--idle-timeout 60] [--log FILE] [--no-drain]
//
// The proxy serves four real servers from tests/node_modules (server-everything shared and
// per-client, server-filesystem on a temp dir, server-memory with its file there). N sessions of
// the official SDK client call them at random for M minutes (tools/list, echo, get-sum, files,
// memory, long-running operations with progress, some cancelled mid-way, resources read and
// subscribed), disconnect abruptly now and then (the transport closed without DELETE, or the TCP
// connections reset) or close cleanly, and are replaced by new ones. A chaos loop SIGKILLs a
// random stdio backend every 20-40 s. Every 10 s the proxy's RSS, open fds, threads and
// descendant processes are sampled. At the end the proxy gets SIGTERM; it must exit within 15 s
// and leave no process behind. See docs/PERFORMANCE.md ("Soak") for the fields.
//
// Nothing here is a test (never registered in ctest): the numbers depend on the machine. The
// exit code is 1 only when the proxy crashed, did not exit, exited with an error, or left
// processes behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = fileURLToPath(new URL('..', import.meta.url));
const nodeModules = path.join(repo, 'tests/node_modules');
const sdkModule = (rel) => import(pathToFileURL(path.join(nodeModules, '@modelcontextprotocol/sdk/dist/esm', rel)).href);
const { Client } = await sdkModule('client/index.js');
const { StreamableHTTPClientTransport } = await sdkModule('client/streamableHttp.js');
const { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } = await sdkModule('types.js');

// ---------------------------------------------------------------------------------- options

const { values: opt } = parseArgs({
  options: {
    sessions: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '5' },
    bin: { type: 'string', default: process.env.MCPROXY_BIN ?? path.join(repo, 'build/mcproxy') },
    seed: { type: 'string' },
    out: { type: 'string' },
    'idle-timeout': { type: 'string', default: '60' },
    log: { type: 'string' },
    'no-drain': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(2, 4).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}
const SESSIONS = Math.max(1, Number.parseInt(opt.sessions, 10) || 20);
const MINUTES = Math.max(0.1, Number(opt.minutes) || 5);
const SEED = opt.seed !== undefined ? Number.parseInt(opt.seed, 10) >>> 0 : (Date.now() ^ process.pid) >>> 0;
const IDLE_TIMEOUT_S = Math.max(1, Number.parseInt(opt['idle-timeout'], 10) || 60);
const BIN = path.resolve(opt.bin);
if (!fs.existsSync(BIN)) {
  console.error(`soak: no proxy binary at ${BIN} (use --bin or MCPROXY_BIN)`);
  process.exit(2);
}

const CALL_TIMEOUT_MS = 30_000; // SDK-side limit of every request (the proxy's is 60 s)
const SAMPLE_EVERY_MS = 10_000;
const PIDS_EVERY_MS = 2_000;
const PROGRESS_EVERY_MS = 30_000;
const STOP_GRACE_MS = 15_000;
const WORKER_STOP_MS = 45_000;

// -------------------------------------------------------------- deterministic pseudo-random

/** xorshift32 in [0, 1); each session slot and the chaos loop get their own stream. */
function randomStream(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  for (let i = 0; i < 8; i++) next(); // spread nearby seeds apart
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    weighted(table) {
      const total = table.reduce((n, [w]) => n + w, 0);
      let x = next() * total;
      for (const [w, v] of table) if ((x -= w) < 0) return v;
      return table[table.length - 1][1];
    },
  };
}
const streamFor = (n) => randomStream((SEED ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0);

// ------------------------------------------------------------------------------ /proc helpers

function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ... starttime(22) ...": comm may contain spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), start: f[19] };
  } catch {
    return null;
  }
}
function allProcesses() {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(e);
    if (st && st.state !== 'Z') out.push({ pid: Number(e), ...st });
  }
  return out;
}
function descendantsOf(root) {
  const byParent = new Map();
  for (const p of allProcesses()) {
    if (!byParent.has(p.ppid)) byParent.set(p.ppid, []);
    byParent.get(p.ppid).push(p);
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    for (const c of byParent.get(queue.shift()) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}
const cmdlineOf = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
};
const statusField = (pid, name) => {
  try {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
};
const fdCount = (pid) => {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
};

// ------------------------------------------------------------------------------ the proxy

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-soak-'));
const filesDir = path.join(tmp, 'files');
fs.mkdirSync(filesDir);
const logFile = path.join(tmp, 'proxy.log');
const server = (pkg) => path.join(nodeModules, '@modelcontextprotocol', pkg, 'dist/index.js');
const proxyConfig = {
  mcpServers: {
    everything: { command: process.execPath, args: [server('server-everything')] },
    // Its resources carry the same URIs as the shared one's: namespaced (`perclient+demo://...`).
    perclient: {
      command: process.execPath,
      args: [server('server-everything')],
      sessionMode: 'per-client',
      namespaceResources: true,
    },
    filesystem: { command: process.execPath, args: [server('server-filesystem'), filesDir] },
    memory: {
      command: process.execPath,
      args: [server('server-memory')],
      env: { MEMORY_FILE_PATH: path.join(tmp, 'memory.jsonl') },
    },
  },
  // Sessions dropped without DELETE end after this (the default is an hour), so that their
  // per-client children are stopped within the run and RSS can be flat.
  httpServer: { sessionIdleTimeoutSeconds: IDLE_TIMEOUT_S },
};
fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(proxyConfig, null, 2));

const t0 = Date.now();
const elapsedS = () => Math.round((Date.now() - t0) / 100) / 10;
const stopAll = new AbortController(); // aborts every loop's sleep
let stopping = false; // set when the clients must stop (deadline, or the proxy died)
let terminating = false; // set just before our own SIGTERM
let crashed = null; // {code, signal, atS} when the proxy exited on its own
let exitInfo = null;

const logFd = fs.openSync(logFile, 'w');
const proxy = spawn(BIN, ['--config', path.join(tmp, 'config.json'), '--port', '0', '--log-level', 'info'], {
  stdio: ['ignore', logFd, logFd],
});
fs.closeSync(logFd);
const proxyExited = new Promise((resolve) => {
  proxy.once('exit', (code, signal) => {
    exitInfo = { code, signal, at: Date.now() };
    if (!terminating) {
      crashed = { code, signal, atS: elapsedS() };
      console.error(`[soak ${clock()}] the proxy exited on its own (code ${code}, signal ${signal})`);
      stopping = true;
      stopAll.abort();
    }
    resolve();
  });
});
proxy.once('error', (err) => {
  console.error(`soak: cannot start ${BIN}: ${err.message}`);
  process.exit(2);
});

let url;
for (let i = 0; i < 600 && !url; i++) {
  await sleep(100);
  const m = /MCProxy listening on (http:\/\/\S+)/.exec(fs.readFileSync(logFile, 'utf8'));
  if (m) url = m[1];
  else if (exitInfo) break;
}
if (!url) {
  console.error(`soak: the proxy did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
  proxy.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
const healthUrl = new URL('/health', url);

// ------------------------------------------------------------------------------ statistics

const stats = {
  calls: { total: 0, ok: 0, byMethod: {} },
  failed: { total: 0, byCause: {} },
  failedExamples: {}, // cause -> up to 3 full messages
  sessions: { started: 0, abandoned: 0, closed: 0, abandonedBy: { abort: 0, reset: 0 }, connectFailed: 0 },
  backendKills: [],
  notifications: { progress: 0, logging: 0, resourceUpdated: 0 },
  checks: { memorySearchMisses: 0 },
  clientErrors: { total: 0, byKind: {} }, // errors the SDK reported outside any call (e.g. its GET stream)
  unhandled: [],
};
const latencies = {}; // method -> [ms]

class WrongAnswer extends Error {}
const CANCEL = new Error('cancelled by the soak');

/** A short normalized category for an error the SDK client reported outside a call. */
function clientErrorKind(err) {
  const msg = String(err?.message ?? err).replace(/\s+/g, ' ');
  const unknown = /unknown message ID: .*"message":"([^"]{0,60})/.exec(msg);
  if (unknown) return `response for an unknown id: ${unknown[1]}`;
  if (/Failed to open SSE stream: (\w+)/.test(msg)) return `${/^Failed to reconnect/.test(msg) ? 'reconnecting' : 'opening'} an SSE stream: ${/Failed to open SSE stream: ([\w ]+)/.exec(msg)[1]}`;
  if (/Maximum reconnection attempts/.test(msg)) return 'SSE stream: reconnection attempts exhausted';
  if (/SSE stream disconnected/.test(msg)) return 'SSE stream disconnected';
  return `other: ${msg.slice(0, 60)}`;
}

/** A short normalized category for a failed call. */
function causeOf(err, session) {
  const msg = String(err?.message ?? err).replace(/\s+/g, ' ');
  // The SDK rejects an aborted request with an McpError that carries the abort reason's text.
  if (err === CANCEL || err?.cause === CANCEL || msg.includes(CANCEL.message)) return 'cancelled';
  if (session?.abandoned) return 'disconnected on purpose';
  if (err instanceof WrongAnswer) return `wrong answer: ${msg.slice(0, 60)}`;
  if (/did not answer .* within/.test(msg)) return 'timeout (proxy)';
  if (err?.code === -32001 && /timed out/i.test(msg)) return 'timeout (client)';
  if (/backend '[^']+' is (down|starting|failed)/.test(msg)) return 'backend restarting';
  if (/backend '[^']+' (is unavailable|became unavailable|exited|lost)/.test(msg)) return 'backend died mid-call';
  if (/Unknown tool/.test(msg)) return 'tool absent (backend restarting)';
  if (/HTTP 404|Session not found/i.test(msg)) return 'session gone';
  if (/shutting down/i.test(msg)) return 'proxy shutting down';
  if (/ECONNRESET|ECONNREFUSED|EPIPE|fetch failed|socket hang up|terminated|other side closed/i.test(msg))
    return 'connection error';
  return `other: ${msg.slice(0, 60)}`;
}

function recordOk(method, ms) {
  stats.calls.total++;
  stats.calls.ok++;
  const m = (stats.calls.byMethod[method] ??= { ok: 0, failed: 0 });
  m.ok++;
  (latencies[method] ??= []).push(ms);
}
function recordFailure(method, err, session) {
  const cause = causeOf(err, session);
  stats.calls.total++;
  stats.failed.total++;
  stats.failed.byCause[cause] = (stats.failed.byCause[cause] ?? 0) + 1;
  const ex = (stats.failedExamples[cause] ??= []);
  const text = `${method}: ${String(err?.message ?? err).slice(0, 300)}`;
  if (ex.length < 3 && !ex.includes(text)) ex.push(text);
  const m = (stats.calls.byMethod[method] ??= { ok: 0, failed: 0 });
  m.failed++;
}

/** Runs one call, records it, never throws. Resolves the result or undefined. */
async function measured(session, method, fn) {
  const started = performance.now();
  try {
    const result = await fn();
    recordOk(method, performance.now() - started);
    return result;
  } catch (err) {
    recordFailure(method, err, session);
    return undefined;
  }
}

process.on('unhandledRejection', (err) => {
  if (stats.unhandled.length < 10) stats.unhandled.push(String(err?.message ?? err).slice(0, 200));
});

// ------------------------------------------------------------------------------ sessions

/**
 * fetch() over node:http with the session's own keep-alive Agent, so that an abrupt disconnect
 * can reset the session's TCP connections (RST) rather than only abort its requests.
 */
function nodeHttpFetch(agent) {
  return (input, init = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const signal = init.signal;
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const req = http.request({
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: init.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init.headers ?? {})),
        agent,
      });
      const onAbort = () => req.destroy(signal.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      });
      req.once('response', (res) => {
        res.once('close', () => signal?.removeEventListener('abort', onAbort));
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const x of [].concat(v)) headers.append(k, x);
        const empty = [204, 205, 304].includes(res.statusCode);
        if (empty) res.resume();
        resolve(new Response(empty ? null : Readable.toWeb(res), { status: res.statusCode, statusText: res.statusMessage, headers }));
      });
      req.end(init.body ?? undefined);
    });
}

let sessionSerial = 0;
const liveSessions = new Set();

class Session {
  constructor(slot, rnd) {
    this.slot = slot;
    this.id = ++sessionSerial;
    this.rnd = rnd;
    this.abandoned = false;
    this.closing = false;
    // Half the sessions speak through node:http (their connections can be reset), half through
    // the SDK's default fetch (undici).
    this.agent = rnd.chance(0.5) ? new http.Agent({ keepAlive: true }) : null;
    this.transport = new StreamableHTTPClientTransport(new URL(url), this.agent ? { fetch: nodeHttpFetch(this.agent) } : {});
    this.client = new Client({ name: `soak-${slot}-${this.id}`, version: '0.0.0' }, { capabilities: {} });
    this.client.onerror = (err) => {
      if (this.abandoned || this.closing || stopping) return;
      stats.clientErrors.total++;
      const kind = clientErrorKind(err);
      stats.clientErrors.byKind[kind] = (stats.clientErrors.byKind[kind] ?? 0) + 1;
    };
    this.client.setNotificationHandler(LoggingMessageNotificationSchema, () => stats.notifications.logging++);
    this.client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => stats.notifications.resourceUpdated++);
    this.files = new Map(); // path -> content written (null: unknown after a failed write)
    this.entities = [];
  }
  async open() {
    await this.client.connect(this.transport, { timeout: CALL_TIMEOUT_MS });
    liveSessions.add(this);
  }
  /** DELETE, then close the transport. */
  async closeCleanly() {
    liveSessions.delete(this);
    this.closing = true;
    try {
      await this.transport.terminateSession();
    } catch {
      // counted nowhere: the session may be gone already
    }
    await this.client.close().catch(() => {});
    this.agent?.destroy();
  }
  /** Drop the session without DELETE: reset its TCP connections, or abort its requests. */
  async abandon() {
    liveSessions.delete(this);
    this.abandoned = true;
    let how = 'abort';
    if (this.agent) {
      how = 'reset';
      for (const list of [...Object.values(this.agent.sockets), ...Object.values(this.agent.freeSockets)])
        for (const socket of list) socket.resetAndDestroy();
    }
    await this.transport.close().catch(() => {}); // aborts what is left; sends no DELETE
    this.agent?.destroy();
    return how;
  }
}

// Resource URIs and tool names, learned once from a probe session.
let staticUris = [];
{
  const probe = new Client({ name: 'soak-probe', version: '0.0.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await probe.connect(transport, { timeout: 60_000 });
  const tools = (await probe.listTools()).tools.map((t) => t.name);
  const needed = ['everything__echo', 'perclient__echo', 'everything__get-sum', 'everything__trigger-long-running-operation',
    'filesystem__write_file', 'filesystem__read_text_file', 'memory__create_entities', 'memory__search_nodes'];
  const missing = needed.filter((n) => !tools.includes(n));
  if (missing.length) console.error(`soak: warning: tools missing at start: ${missing.join(', ')}`);
  // Both the shared server's and (namespaced) the per-client one's: each session reaches its own.
  staticUris = (await probe.listResources()).resources.map((r) => r.uri).filter((u) => /^(perclient\+)?demo:\/\/resource\/static\//.test(u));
  await transport.terminateSession().catch(() => {});
  await probe.close();
}
if (!staticUris.length) staticUris = ['demo://resource/static/document/architecture.md'];

const textOf = (r) => (r?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
/** tools/call; a result with `isError` counts as a failure. */
async function callTool(s, name, args, extra = {}) {
  const result = await s.client.callTool({ name, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS, ...extra });
  if (result.isError) throw new Error(`${name} isError: ${textOf(result).slice(0, 100)}`);
  return result;
}

async function echo(s, server) {
  const message = `soak ${s.id} ${s.rnd.int(0, 1e9)}`;
  await measured(s, `echo (${server === 'everything' ? 'shared' : 'per-client'})`, async () => {
    const r = await callTool(s, `${server}__echo`, { message });
    if (!textOf(r).includes(message)) throw new WrongAnswer(`echo answered ${JSON.stringify(textOf(r)).slice(0, 80)}`);
  });
}
async function getSum(s) {
  const a = s.rnd.int(-1000, 1000), b = s.rnd.int(-1000, 1000);
  const server = s.rnd.chance(0.5) ? 'everything' : 'perclient';
  await measured(s, 'get-sum', async () => {
    const r = await callTool(s, `${server}__get-sum`, { a, b });
    if (!textOf(r).includes(String(a + b))) throw new WrongAnswer(`get-sum ${a}+${b} answered ${textOf(r).slice(0, 60)}`);
  });
}
async function writeFile(s) {
  const file = path.join(filesDir, `s${s.slot}-${s.rnd.int(0, 4)}.txt`);
  const content = `written by session ${s.id}: ${s.rnd.int(0, 1e9)}\n`.repeat(s.rnd.int(1, 20));
  s.files.set(file, null);
  const r = await measured(s, 'fs write_file', async () => {
    return callTool(s, 'filesystem__write_file', { path: file, content });
  });
  if (r) s.files.set(file, content);
}
async function readFile(s) {
  const known = [...s.files.entries()];
  if (!known.length) return writeFile(s);
  const [file, content] = s.rnd.pick(known);
  await measured(s, 'fs read_text_file', async () => {
    const res = await callTool(s, 'filesystem__read_text_file', { path: file });
    if (content !== null && textOf(res) !== content) throw new WrongAnswer(`read_text_file: other content in ${path.basename(file)}`);
  });
}
async function memoryCreate(s) {
  const name = `soak-entity-${s.slot}-${s.rnd.int(0, 19)}`; // a bounded pool: the graph stays small
  const r = await measured(s, 'memory create_entities', () =>
    callTool(s, 'memory__create_entities', { entities: [{ name, entityType: 'soak', observations: [`seen by ${s.id}`] }] }));
  if (r && !s.entities.includes(name)) s.entities.push(name);
}
async function memorySearch(s) {
  const name = s.entities.length ? s.rnd.pick(s.entities) : `soak-entity-${s.slot}-0`;
  const r = await measured(s, 'memory search_nodes', () => callTool(s, 'memory__search_nodes', { query: name }));
  // A killed memory server can lose its file; that is the server's state, not a proxy fault.
  if (r && s.entities.includes(name) && !textOf(r).includes(name)) stats.checks.memorySearchMisses++;
}
async function longRunning(s, { cancel = s.rnd.chance(0.35) } = {}) {
  const duration = s.rnd.int(1, 3);
  const steps = s.rnd.int(3, 10);
  const controller = new AbortController();
  let timer;
  if (cancel) timer = setTimeout(() => controller.abort(CANCEL), s.rnd.int(200, duration * 1000));
  await measured(s, cancel ? 'long-running (cancel)' : 'long-running', () =>
    callTool(s, `${s.rnd.chance(0.5) ? 'everything' : 'perclient'}__trigger-long-running-operation`, { duration, steps }, {
      signal: controller.signal,
      onprogress: () => stats.notifications.progress++,
      resetTimeoutOnProgress: true,
    }));
  clearTimeout(timer);
}
async function readResource(s) {
  const uri = s.rnd.chance(0.7)
    ? s.rnd.pick(staticUris)
    : `${s.rnd.chance(0.5) ? 'perclient+' : ''}demo://resource/dynamic/text/${s.rnd.int(1, 50)}`;
  await measured(s, 'resources/read', async () => {
    const r = await s.client.readResource({ uri }, { timeout: CALL_TIMEOUT_MS });
    if (!r.contents?.length) throw new WrongAnswer(`resources/read ${uri}: no contents`);
  });
}
async function subscribe(s) {
  const uri = s.rnd.pick(staticUris);
  const ok = await measured(s, 'resources/subscribe', () => s.client.subscribeResource({ uri }, { timeout: CALL_TIMEOUT_MS }));
  if (!ok) return;
  await sleep(s.rnd.int(0, 2000), undefined, { signal: stopAll.signal }).catch(() => {});
  await measured(s, 'resources/unsubscribe', () => s.client.unsubscribeResource({ uri }, { timeout: CALL_TIMEOUT_MS }));
}
async function listTools(s) {
  await measured(s, 'tools/list', () => s.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS }));
}
async function burst(s) {
  const n = s.rnd.int(2, 5);
  await Promise.all(Array.from({ length: n }, () => (s.rnd.chance(0.5) ? echo(s, s.rnd.pick(['everything', 'perclient'])) : getSum(s))));
}
async function pause(s) {
  await sleep(s.rnd.int(200, 2000), undefined, { signal: stopAll.signal }).catch(() => {});
}

const ACTIONS = [
  [8, listTools],
  [12, (s) => echo(s, 'everything')],
  [12, (s) => echo(s, 'perclient')],
  [8, getSum],
  [6, writeFile],
  [6, readFile],
  [4, memoryCreate],
  [4, memorySearch],
  [6, longRunning],
  [6, readResource],
  [4, subscribe],
  [4, burst],
  [8, pause],
];

const workerStats = { inAction: 0 };

async function worker(slot) {
  const rnd = streamFor(slot);
  while (!stopping) {
    const s = new Session(slot, rnd);
    const opened = await measured(s, 'connect', () => s.open().then(() => true));
    if (!opened) {
      stats.sessions.connectFailed++;
      await s.abandon().catch(() => {});
      await sleep(1000, undefined, { signal: stopAll.signal }).catch(() => {});
      continue;
    }
    stats.sessions.started++;
    // Some per-client servers send notifications of their own: logging every 5 s, and
    // resources/updated for what the session subscribed to.
    if (rnd.chance(0.3)) await measured(s, 'toggle-simulated-logging', () => callTool(s, 'perclient__toggle-simulated-logging', {}));
    if (rnd.chance(0.3)) await measured(s, 'toggle-subscriber-updates', () => callTool(s, 'perclient__toggle-subscriber-updates', {}));
    const lifetimeEnd = Date.now() + rnd.int(20_000, 90_000);
    while (!stopping && Date.now() < lifetimeEnd) {
      workerStats.inAction++;
      await rnd.weighted(ACTIONS)(s);
      workerStats.inAction--;
      await sleep(rnd.int(20, 200), undefined, { signal: stopAll.signal }).catch(() => {});
    }
    if (stopping) {
      await s.closeCleanly();
      stats.sessions.closed++;
      break;
    }
    if (rnd.chance(0.5)) {
      // Abrupt: leave a call in flight, then drop the session.
      const inFlight = rnd.chance(0.5) ? longRunning(s, { cancel: false }) : echo(s, 'perclient');
      await sleep(rnd.int(0, 400));
      const how = await s.abandon();
      await inFlight;
      stats.sessions.abandoned++;
      stats.sessions.abandonedBy[how]++;
    } else {
      await s.closeCleanly();
      stats.sessions.closed++;
    }
  }
}

// ------------------------------------------------------------------------------ chaos

async function health() {
  const res = await fetch(healthUrl, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/health answered ${res.status}`);
  return res.json();
}

async function chaos() {
  const rnd = streamFor(1_000_003);
  while (!stopping) {
    await sleep(rnd.int(20_000, 40_000), undefined, { signal: stopAll.signal }).catch(() => {});
    if (stopping) break;
    let h;
    try {
      h = await health();
    } catch (err) {
      stats.backendKills.push({ atS: elapsedS(), error: `no /health: ${err.message}` });
      continue;
    }
    const shared = h.backends.filter((b) => b.state === 'up' && b.pid > 0).map((b) => ({ backend: b.name, pid: b.pid }));
    // Per-client instances are not in /health: they are the proxy's other direct children.
    const known = new Set(shared.map((b) => b.pid));
    const perClient = descendantsOf(proxy.pid)
      .filter((p) => p.ppid === proxy.pid && !known.has(p.pid) && cmdlineOf(p.pid).includes('__reap'))
      .map((p) => ({ backend: 'perclient (instance)', pid: p.pid }));
    const candidates = perClient.length && rnd.chance(0.25) ? perClient : shared;
    if (!candidates.length) continue;
    const victim = rnd.pick(candidates);
    // The /health pid is the server's reaper (`mcproxy __reap`); now and then kill the server
    // under it instead, as a crashing server would.
    let pid = victim.pid;
    let target = 'reaper';
    const under = descendantsOf(victim.pid).filter((p) => p.ppid === victim.pid);
    if (under.length && rnd.chance(0.5)) {
      pid = under[0].pid;
      target = 'server';
    }
    try {
      process.kill(pid, 'SIGKILL');
      stats.backendKills.push({ atS: elapsedS(), backend: victim.backend, target, pid });
    } catch (err) {
      stats.backendKills.push({ atS: elapsedS(), backend: victim.backend, target, pid, error: err.code });
    }
  }
}

// ------------------------------------------------------------------------------ sampling

const samples = []; // {t, rssKb, fds, threads, descendants}
const seenPids = new Map(); // pid -> {start, cmd}: every descendant seen during the run
let descendantsMax = 0;

function collectPids() {
  if (exitInfo) return [];
  const list = descendantsOf(proxy.pid);
  for (const p of list) if (!seenPids.has(p.pid)) seenPids.set(p.pid, { start: p.start, cmd: cmdlineOf(p.pid).slice(0, 160) });
  descendantsMax = Math.max(descendantsMax, list.length);
  return list;
}
function sample() {
  if (exitInfo) return null;
  const list = collectPids();
  const s = {
    t: elapsedS(),
    rssKb: statusField(proxy.pid, 'VmRSS'),
    fds: fdCount(proxy.pid),
    threads: statusField(proxy.pid, 'Threads'),
    descendants: list.length,
  };
  if (s.rssKb !== null) samples.push(s);
  return s;
}
const clock = () => {
  const s = Math.floor((Date.now() - t0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
function progress() {
  const last = samples[samples.length - 1] ?? {};
  console.error(
    `[soak ${clock()}] calls ${stats.calls.total} (ok ${stats.calls.ok}, failed ${stats.failed.total}) | ` +
      `sessions ${stats.sessions.started} (abandoned ${stats.sessions.abandoned}, closed ${stats.sessions.closed}, live ${liveSessions.size}) | ` +
      `kills ${stats.backendKills.length} | rss ${last.rssKb ?? '?'} kB, fds ${last.fds ?? '?'}, threads ${last.threads ?? '?'}, descendants ${last.descendants ?? '?'}`,
  );
}

// ------------------------------------------------------------------------------ the run

console.error(`[soak 0:00] proxy ${BIN} at ${url}; ${SESSIONS} sessions for ${MINUTES} min, seed ${SEED}`);
sample();
const timers = [setInterval(sample, SAMPLE_EVERY_MS), setInterval(collectPids, PIDS_EVERY_MS), setInterval(progress, PROGRESS_EVERY_MS)];
const runStart = Date.now();
const deadlineTimer = setTimeout(() => {
  stopping = true;
  stopAll.abort();
}, MINUTES * 60_000);

const workers = Array.from({ length: SESSIONS }, (_, i) => worker(i));
const chaosDone = chaos();
await new Promise((resolve) => {
  const check = setInterval(() => {
    if (stopping) {
      clearInterval(check);
      resolve();
    }
  }, 200);
});
clearTimeout(deadlineTimer);
const durationS = Math.round((Date.now() - runStart) / 100) / 10;
const endSample = sample() ?? samples[samples.length - 1];
console.error(`[soak ${clock()}] stopping the clients`);

// Workers finish their current action (bounded by the call timeout) and close cleanly.
const workersDone = await Promise.race([Promise.all(workers).then(() => true), sleep(WORKER_STOP_MS).then(() => false)]);
if (!workersDone) for (const s of [...liveSessions]) await s.abandon().catch(() => {});
await chaosDone;
await sleep(2000);
const afterClients = sample();

// Sessions dropped without DELETE end after the idle timeout (checked at most every 60 s): wait
// for that, so that RSS and fds can be compared with no session left.
let drained = null;
if (!opt['no-drain'] && !exitInfo) {
  const baseline = samples[0]?.descendants ?? 0;
  const waitS = IDLE_TIMEOUT_S + 65;
  const began = Date.now();
  console.error(`[soak ${clock()}] waiting up to ${waitS} s for the dropped sessions to expire (--no-drain skips this)`);
  while (Date.now() - began < waitS * 1000 && !exitInfo && descendantsOf(proxy.pid).length > baseline) await sleep(1000);
  await sleep(1000);
  drained = sample();
  if (drained) drained.waitedS = Math.round((Date.now() - began) / 100) / 10;
}

// SIGTERM; it must exit within 15 s.
collectPids();
for (const t of timers) clearInterval(t);
let withinS = null;
let forced = false;
if (!exitInfo) {
  terminating = true;
  const sent = Date.now();
  proxy.kill('SIGTERM');
  const exited = await Promise.race([proxyExited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (exited) withinS = Math.round((exitInfo.at - sent) / 100) / 10;
  else {
    forced = true;
    proxy.kill('SIGKILL');
    await proxyExited;
  }
}

// No descendant may be left (same pid and same start time as when seen). Give dying ones 5 s.
const stillThere = () => [...seenPids].filter(([pid, p]) => procStat(pid)?.start === p.start && procStat(pid)?.state !== 'Z');
for (let i = 0; i < 50 && stillThere().length; i++) await sleep(100);
const left = stillThere().map(([pid, p]) => ({ pid, cmd: p.cmd }));
for (const { pid } of left) {
  try {
    process.kill(pid, 'SIGKILL'); // clean the machine; they are reported below
  } catch {
    // gone meanwhile
  }
}

// ------------------------------------------------------------------------------ the report

function logSummary() {
  const text = fs.readFileSync(logFile, 'utf8');
  const lines = text.split('\n').filter(Boolean);
  const byLevel = {};
  const notable = new Map(); // normalized warn/error line -> {count, first}
  for (const line of lines) {
    // "2026-12-01 22:17:57.829 warning [memory] ...": anything else (e.g. a libc abort message)
    // is counted as "unformatted" and always shown.
    const m = /^\d{4}-\d\d-\d\d \S+ (\w+)\s+(.*)$/.exec(line);
    const level = m?.[1] ?? 'unformatted';
    byLevel[level] = (byLevel[level] ?? 0) + 1;
    if (!['trace', 'debug', 'info'].includes(level)) {
      const body = m ? m[2] : line;
      const key = `${level} ${body.replace(/[0-9a-f]{8,}/g, '…').replace(/\d+/g, '#')}`.slice(0, 140);
      const e = notable.get(key) ?? { count: 0, first: line.slice(0, 300) };
      e.count++;
      notable.set(key, e);
    }
  }
  const top = [...notable.values()].sort((a, b) => b.count - a.count).slice(0, 15);
  const abnormal = crashed || forced || exitInfo?.code !== 0;
  return { lines: lines.length, byLevel, warningsAndErrors: top, ...(abnormal ? { tail: lines.slice(-20) } : {}) };
}
const proxyLog = logSummary();
if (opt.log) fs.copyFileSync(logFile, opt.log);
fs.rmSync(tmp, { recursive: true, force: true });

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};
for (const [method, m] of Object.entries(stats.calls.byMethod)) {
  const xs = latencies[method] ?? [];
  Object.assign(m, { p50Ms: pct(xs, 50), p99Ms: pct(xs, 99), maxMs: pct(xs, 100) });
}
const rssOf = (s) => s?.rssKb ?? null;
const runSamples = samples.filter((s) => s.t <= (endSample?.t ?? Infinity));
const midT = (runStart - t0) / 1000 + durationS / 2;
const middle = runSamples.reduce((best, s) => (!best || Math.abs(s.t - midT) < Math.abs(best.t - midT) ? s : best), null);
const report = {
  config: {
    sessions: SESSIONS,
    minutes: MINUTES,
    seed: SEED,
    bin: BIN,
    sessionIdleTimeoutSeconds: IDLE_TIMEOUT_S,
    callTimeoutMs: CALL_TIMEOUT_MS,
    servers: Object.fromEntries(Object.entries(proxyConfig.mcpServers).map(([n, s]) => [n, `${path.basename(path.dirname(path.dirname(s.args[0])))} (${s.sessionMode ?? 'shared'})`])),
    node: process.version,
    cpus: os.cpus().length,
  },
  durationS,
  calls: stats.calls,
  failed: { ...stats.failed, examples: stats.failedExamples },
  sessions: stats.sessions,
  backendKills: stats.backendKills.filter((k) => !k.error).length,
  backendKillLog: stats.backendKills,
  notifications: stats.notifications,
  checks: stats.checks,
  clientErrors: stats.clientErrors,
  unhandledRejections: stats.unhandled,
  rss: {
    startKb: rssOf(samples[0]),
    middleKb: rssOf(middle),
    endKb: rssOf(endSample),
    afterClientsKb: rssOf(afterClients),
    drainedKb: rssOf(drained),
    maxKb: samples.length ? Math.max(...samples.map((s) => s.rssKb)) : null,
    samples: samples.map((s) => [s.t, s.rssKb]),
  },
  fds: {
    start: samples[0]?.fds ?? null,
    end: endSample?.fds ?? null,
    afterClients: afterClients?.fds ?? null,
    drained: drained?.fds ?? null,
    max: samples.length ? Math.max(...samples.map((s) => s.fds ?? 0)) : null,
  },
  threads: { start: samples[0]?.threads ?? null, max: samples.length ? Math.max(...samples.map((s) => s.threads ?? 0)) : null },
  descendants: {
    max: descendantsMax,
    afterClients: afterClients?.descendants ?? null,
    drained: drained?.descendants ?? null,
    drainWaitS: drained?.waitedS ?? null,
    seen: seenPids.size,
    leftAfterExit: left.length,
    left,
  },
  proxyExit: {
    code: exitInfo?.code ?? null,
    signal: exitInfo?.signal ?? null,
    withinS,
    crashed,
    killedAfterGrace: forced,
  },
  proxyLog,
};
const problems = [];
if (crashed) problems.push(`the proxy exited on its own at ${crashed.atS} s (code ${crashed.code}, signal ${crashed.signal})`);
if (forced) problems.push(`the proxy did not exit within ${STOP_GRACE_MS / 1000} s of SIGTERM`);
if (!crashed && !forced && exitInfo?.code !== 0)
  problems.push(exitInfo?.signal ? `the proxy died of ${exitInfo.signal} after SIGTERM` : `the proxy exited with code ${exitInfo?.code} after SIGTERM`);
if (left.length) problems.push(`${left.length} descendant process(es) left after the proxy exited`);
report.problems = problems;

const json = JSON.stringify(report, null, 2);
console.log(json);
if (opt.out) fs.writeFileSync(opt.out, json + '\n');
console.error(`[soak ${clock()}] done: ${problems.length ? problems.join('; ') : 'no problem'}`);
process.exitCode = problems.length ? 1 : 0;
// Nothing should keep the event loop alive now; if something does (a socket the SDK kept), leave.
setTimeout(() => process.exit(), 5000).unref();
