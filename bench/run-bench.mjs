// Runs every benchmark pair "direct" vs "through MCProxy" against the same backend, in one
// invocation, and prints a table with the ratios (plus peak memory of the proxy). Used by
// scripts/bench.sh; expects the built programs in $BUILD_DIR (default build/).
//
// Nothing here is a test: the numbers depend on the machine and are never asserted.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import * as support from './support.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const build = process.env.BUILD_DIR ?? path.join(repo, 'build');
const bin = (name) => path.join(build, name);
const proxyBin = bin('mcproxy');
const echo = bin('bench/echo_server');
const load = bin('bench/mcp_load');
const calls = Number(process.env.BENCH_CALLS ?? 20000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-bench-'));
const everything = path.join(repo, 'tests/node_modules/@modelcontextprotocol/server-everything/dist/index.js');

const runLoad = (args, label, options) => support.runLoad(load, args, label, options);
const startProxy = (name, config, options) => support.startProxy(proxyBin, tmp, name, config, options);
const { cpuMs, descendants, peakRssMb, rssMb, stopProxy } = support;
const cores = os.cpus().length;

async function startEchoHttp(extra = [], wrapper = []) {
  const argv = ['--http', '0', ...extra];
  const p = wrapper.length
    ? spawn(wrapper[0], [...wrapper.slice(1), echo, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(echo, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => p.stdout.once('data', (d) => resolve(d.toString().trim())));
  return { url, proc: p };
}

const rows = [];
const add = (scenario, direct, proxied, extra = {}) => rows.push({ scenario, direct, proxied, ...extra });

const stdioEcho = { mcpServers: { echo: { command: echo } } };
const common = ['--calls', String(calls), '--warmup', '1000'];

// 1. HTTP client -> MCProxy -> stdio echo  vs  stdio client -> stdio echo
for (const c of [1, 32]) {
  const direct = runLoad(['--stdio', echo, ...common, '--concurrency', String(c)], `stdio direct C=${c}`);
  const p = await startProxy(`stdio-${c}`, stdioEcho);
  const backend = descendants(p.proc.pid).at(-1);  // the echo (under its reaper)
  const proxied = runLoad(['--url', p.url, '--tool', 'echo__echo', ...common, '--concurrency', String(c)], `proxy->stdio C=${c}`,
    { pids: { proxy: p.proc.pid, backend } });
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  add(`HTTP→MCProxy→stdio echo vs stdio→echo, C=${c}`, direct, proxied, { proxy_peak_rss_mb: rss });
}

// 2. HTTP client -> MCProxy -> HTTP echo  vs  HTTP client -> HTTP echo; C=256 spreads its
// workers over 64 sessions. `threads` rows: the proxy on one thread against one per core;
// `pinned`: the proxy on a core of its own (taskset), the load generator and the echo server
// on the others, so the proxy does not compete with them.
async function httpPair({ c, sessions = 1, threads, pinned = false, label }) {
  const proxyCpus = pinned ? ['taskset', '-c', String(cores - 1)] : [];
  const otherCpus = pinned ? ['taskset', '-c', cores > 2 ? `0-${cores - 2}` : '0'] : [];
  const e = await startEchoHttp([], otherCpus);
  const loadArgs = [...common, '--concurrency', String(c), '--sessions', String(sessions)];
  const direct = runLoad(['--url', e.url, ...loadArgs], `http direct ${label}`, { pids: { backend: e.proc.pid }, wrapper: otherCpus });
  const args = threads ? ['--threads', String(threads)] : [];
  const p = await startProxy(`http-${label}`, { mcpServers: { echo: { url: e.url, type: 'streamable-http' } } }, { args, wrapper: proxyCpus });
  const proxied = runLoad(['--url', p.url, '--tool', 'echo__echo', ...loadArgs], `proxy->http ${label}`,
    { pids: { proxy: p.proc.pid, backend: e.proc.pid }, wrapper: otherCpus });
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  e.proc.kill();
  return { direct, proxied, rss };
}
for (const c of [1, 32]) {
  const { direct, proxied, rss } = await httpPair({ c, label: `C=${c}` });
  add(`HTTP→MCProxy→HTTP echo vs HTTP→HTTP echo, C=${c}`, direct, proxied, { proxy_peak_rss_mb: rss });
}
{
  const { direct, proxied, rss } = await httpPair({ c: 256, sessions: 64, label: 'C=256/64' });
  add('HTTP→MCProxy→HTTP echo, C=256 over 64 sessions', direct, proxied, { proxy_peak_rss_mb: rss });
}
for (const threads of [1, cores]) {
  const { direct, proxied } = await httpPair({ c: 32, threads, label: `threads=${threads}` });
  add(`HTTP→HTTP echo, C=32, threads=${threads}`, direct, proxied);
}
if (cores >= 2 && spawnSync('taskset', ['-V']).status === 0) {
  for (const threads of [1, cores]) {
    const { direct, proxied } = await httpPair({ c: 32, threads, pinned: true, label: `pinned threads=${threads}` });
    add(`HTTP→HTTP echo, C=32, proxy pinned to CPU ${cores - 1}, threads=${threads}`, direct, proxied, { note: 'load and echo on the other CPUs' });
  }
}

// 2d. Allocators (the trial of issue [3 of 9]): the same proxy with glibc's malloc, and with
// Debian's mimalloc and jemalloc preloaded; HTTP→HTTP echo at C=32, three rounds each,
// interleaved, the median proxy CPU per call kept. Not linked in: see docs/PERFORMANCE.md.
{
  const libs = { glibc: null, mimalloc: '/usr/lib/x86_64-linux-gnu/libmimalloc.so.2', jemalloc: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' };
  const runs = Object.fromEntries(Object.keys(libs).map((k) => [k, []]));
  const e = await startEchoHttp();
  for (let round = 0; round < 3; round++) {
    for (const [name, lib] of Object.entries(libs)) {
      if (lib && !fs.existsSync(lib)) continue;
      const p = await startProxy(`alloc-${name}-${round}`, { mcpServers: { echo: { url: e.url, type: 'streamable-http' } } },
        { env: lib ? { LD_PRELOAD: lib } : {} });
      runs[name].push(runLoad(['--url', p.url, '--tool', 'echo__echo', ...common, '--concurrency', '32'], `alloc ${name}`,
        { pids: { proxy: p.proc.pid, backend: e.proc.pid } }));
      runs[name].at(-1).rss = peakRssMb(p.proc.pid);
      await stopProxy(p);
    }
  }
  e.proc.kill();
  const median = (list) => [...list].sort((a, b) => a.cpu_us.proxy - b.cpu_us.proxy)[Math.floor(list.length / 2)];
  const base = runs.glibc.length ? median(runs.glibc) : null;
  for (const [name, list] of Object.entries(runs)) {
    if (!list.length) continue;
    const m = median(list);
    add(`allocator ${name}: HTTP→MCProxy→HTTP echo, C=32 (median of ${list.length} by proxy CPU)`, name === 'glibc' ? null : base, m,
      { proxy_peak_rss_mb: m.rss, note: name === 'glibc' ? 'baseline of the allocator rows' : 'direct = glibc' });
  }
}

// 3. Full middleware stack (as in example-config.json) vs the bare proxy, stdio echo.
const stack = support.fullStackConfig(echo, tmp);
for (const c of [1, 32]) {
  const bare = await startProxy(`bare-${c}`, stdioEcho);
  const bareRun = runLoad(['--url', bare.url, '--tool', 'echo__echo', ...common, '--concurrency', String(c)], `bare proxy C=${c}`);
  await stopProxy(bare);
  const full = await startProxy(`stack-${c}`, stack);
  const fullRun = runLoad(['--url', full.url, '--tool', 'echo__echo', ...common, '--concurrency', String(c)], `full stack C=${c}`);
  const rss = peakRssMb(full.proc.pid);
  await stopProxy(full);
  add(`full middleware stack vs bare proxy (stdio echo), C=${c}`, bareRun, fullRun, { proxy_peak_rss_mb: rss });
}

// 4. 1,000 sessions: 100 active, 900 idle.
{
  const p = await startProxy('sessions', stdioEcho);
  const idleRss = rssMb(p.proc.pid);
  const run = runLoad(['--url', p.url, '--tool', 'echo__echo', ...common, '--concurrency', '100', '--sessions', '100', '--idle-sessions', '900'], '1000 sessions (100 active)');
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  add('1,000 sessions (100 active, C=100)', null, run, { proxy_idle_rss_mb: idleRss, proxy_peak_rss_mb: rss });
}

// 5. tools/list with 50 backends x 100 tools (5,000 tools).
{
  const servers = {};
  for (let i = 0; i < 50; i++) servers[`s${String(i).padStart(2, '0')}`] = { command: echo, args: ['--tools', '99'] };
  const listArgs = ['--method', 'tools/list', '--calls', '500', '--warmup', '20', '--concurrency', '1'];
  const p = await startProxy('catalogue', { mcpServers: servers });
  const run = runLoad(['--url', p.url, ...listArgs], 'tools/list 5,000 tools', { pids: { proxy: p.proc.pid } });
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  add('tools/list, 50 backends × 100 tools', null, run, { proxy_peak_rss_mb: rss });
  // The same behind example-config.json's proxy middleware (tool_search, description_enricher).
  const stacked = { ...support.fullStackConfig(echo, tmp), mcpServers: servers };
  const q = await startProxy('catalogue-stack', stacked);
  const stackRun = runLoad(['--url', q.url, ...listArgs], 'tools/list 5,000 tools, full stack', { pids: { proxy: q.proc.pid } });
  await stopProxy(q);
  add('tools/list, 5,000 tools, full middleware stack', null, stackRun);
}

// 6. The real server-everything: direct (stdio) vs through MCProxy.
if (fs.existsSync(everything)) {
  const ecalls = ['--calls', '3000', '--warmup', '200'];
  const direct = runLoad(['--stdio', `${process.execPath} ${everything}`, ...ecalls, '--concurrency', '1'], 'everything direct');
  const p = await startProxy('everything', { mcpServers: { everything: { command: process.execPath, args: [everything] } } });
  const proxied = runLoad(['--url', p.url, '--tool', 'everything__echo', ...ecalls, '--concurrency', '1'], 'everything via proxy');
  await stopProxy(p);
  add('server-everything echo, C=1', direct, proxied);
}

// 7. Idle memory with the three example backends (local copies, not npx).
{
  const nm = path.join(repo, 'tests/node_modules/@modelcontextprotocol');
  const data = fs.mkdtempSync(path.join(tmp, 'data-'));
  const p = await startProxy('idle', {
    mcpServers: {
      everything: { command: process.execPath, args: [path.join(nm, 'server-everything/dist/index.js')] },
      filesystem: { command: process.execPath, args: [path.join(nm, 'server-filesystem/dist/index.js'), data] },
      memory: { command: process.execPath, args: [path.join(nm, 'server-memory/dist/index.js')], env: { MEMORY_FILE_PATH: path.join(data, 'm.jsonl') } },
    },
  });
  await sleep(1000);
  // Idle CPU: nothing is polled, so an idle proxy should use (next to) none.
  const cpu0 = cpuMs(p.proc.pid);
  await sleep(5000);
  const idleCpuPercent = Math.round(((cpuMs(p.proc.pid) - cpu0) / 5000) * 1000) / 10;
  add('idle, three example backends', null, null,
    { proxy_rss_mb: rssMb(p.proc.pid), proxy_peak_rss_mb: peakRssMb(p.proc.pid), note: `idle CPU ${idleCpuPercent} % over 5 s` });
  await stopProxy(p);
}

// 7b. Start-up: exec to the first tools/list answered, with three C++ echo backends; the
// backends' part (from the proxy's "starting" line to its last "[n/3]" line) separately.
{
  const times = [];
  for (let round = 0; round < 5; round++) times.push(await startupOnce(round));
  times.sort((a, b) => a.total_ms - b.total_ms);
  const median = times[Math.floor(times.length / 2)];
  add('start-up: exec → first tools/list, three echo backends (median of 5)', null, null, {
    note: `${median.total_ms} ms in all, of which backends ${median.backends_ms} ms; proxy alone ${Math.round((median.total_ms - median.backends_ms) * 10) / 10} ms`,
    startup: median,
  });
}

async function startupOnce(round) {
  const config = { mcpServers: { a: { command: echo }, b: { command: echo }, c: { command: echo } } };
  const file = path.join(tmp, `startup-${round}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  const logFile = path.join(tmp, `startup-${round}.log`);
  const log = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const p = spawn(proxyBin, ['--config', file, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'ignore', log] });
  let url;
  while (!url) {
    const m = /MCProxy listening on (http:\/\/\S+)/.exec(fs.readFileSync(logFile, 'utf8'));
    if (m) url = m[1];
    else if (p.exitCode !== null) throw new Error(`start-up run exited: ${fs.readFileSync(logFile, 'utf8')}`);
    else await sleep(1);
  }
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } }) });
  const session = { ...headers, 'mcp-session-id': init.headers.get('mcp-session-id') };
  await init.text();
  await (await fetch(url, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  const list = await (await fetch(url, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) })).json();
  const total = performance.now() - t0;
  if (!list.result?.tools?.length) throw new Error(`start-up: no tools listed: ${JSON.stringify(list)}`);
  await stopProxy({ proc: p });
  // "2026-12-02 03:41:47.123 info  starting 3 backends" ... "[3/3] c is up"
  const stamp = (re) => {
    const line = fs.readFileSync(logFile, 'utf8').split('\n').find((l) => re.test(l));
    return line ? Date.parse(line.slice(0, 23).replace(' ', 'T')) : NaN;
  };
  const backends = stamp(/\[3\/3\]/) - stamp(/starting 3 backends/);
  return { total_ms: Math.round(total * 10) / 10, backends_ms: backends };
}

// 8. Public gateways side by side: the same load generator and the same stdio echo backend
// behind supergateway and mcp-proxy (pinned in bench/package-lock.json), and behind MCProxy.
// Their ratios are to MCProxy's own run in this invocation (proxied / MCProxy).
const peers = path.join(repo, 'bench/node_modules/.bin');
if (fs.existsSync(path.join(peers, 'supergateway')) && fs.existsSync(path.join(peers, 'mcp-proxy'))) {
  const gateways = [
    { name: 'supergateway 4.0.0', tool: 'echo', args: (port) => [path.join(peers, 'supergateway'), '--stdio', echo, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'] },
    { name: 'mcp-proxy 6.7.19', tool: 'echo', args: (port) => [path.join(peers, 'mcp-proxy'), '--port', String(port), '--host', '127.0.0.1', '--', echo] },
  ];
  // A port the kernel just handed out on loopback (a random one can be in use already).
  const freePort = () => new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  // supergateway has no host option and would listen on every interface: the preload makes a
  // listen() given only a port bind 127.0.0.1 (the interop tests use it for the same reason).
  const loopback = path.join(repo, 'tests/interop/support/loopback-listen.cjs');
  async function startGateway(g) {
    const port = await freePort();
    const p = spawn(process.execPath, ['--require', loopback, ...g.args(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    const url = `http://127.0.0.1:${port}/mcp`;
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      const up = await fetch(url, { method: 'GET' }).then(() => true, () => false);
      if (up) return { url, proc: p };
      if (p.exitCode !== null) throw new Error(`${g.name} exited (${p.exitCode}): ${stderr.slice(-2000)}`);
    }
    throw new Error(`${g.name} did not start`);
  }
  const peerCalls = ['--calls', String(Math.min(calls, 2000)), '--warmup', '200'];
  for (const c of [1, 32]) {
    const mine = await startProxy(`peer-base-${c}`, stdioEcho);
    const base = runLoad(['--url', mine.url, '--tool', 'echo__echo', ...peerCalls, '--concurrency', String(c)], `MCProxy C=${c}`,
      { pids: { proxy: mine.proc.pid } });
    await stopProxy(mine);
    for (const g of gateways) {
      const gw = await startGateway(g);
      let run;
      try {
        run = runLoad(['--url', gw.url, '--tool', g.tool, ...peerCalls, '--concurrency', String(c)], `${g.name} C=${c}`,
          { pids: { proxy: gw.proc.pid } });
      } finally {
        gw.proc.kill('SIGTERM');
      }
      add(`${g.name} vs MCProxy (HTTP→gateway→stdio echo), C=${c}`, base, run, { note: 'direct = MCProxy' });
    }
  }
} else {
  console.error('bench/node_modules is missing (scripts/bench.sh runs npm ci there): public gateways skipped');
}

// Report
const fmt = (x) => (x == null ? '—' : String(x));
const ratio = (a, b) => (a && b ? Math.round((b / a) * 100) / 100 : null);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nMCProxy benchmark — ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.release()}, ${calls} calls per run\n`);
// CPU per call, µs: "load + backend" direct, "load + proxy + backend" proxied, each part shown.
const cpuText = (run) => {
  const c = run?.cpu_us;
  if (!c) return '—';
  const parts = [['load', c.load], ['proxy', c.proxy], ['backend', c.backend]].filter(([, v]) => v != null);
  return parts.map(([k, v]) => `${k} ${v}`).join(' + ');
};
console.log('| scenario | direct p50 µs | proxied p50 µs | p50 ratio | direct p99 | proxied p99 | direct calls/s | proxied calls/s | throughput ratio | CPU µs/call direct | CPU µs/call proxied | errors (direct / proxied) | proxy memory, notes |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const d = r.direct, p = r.proxied;
  const mem = [r.proxy_idle_rss_mb != null ? `idle ${r.proxy_idle_rss_mb} MB` : null, r.proxy_rss_mb != null ? `RSS ${r.proxy_rss_mb} MB` : null,
    r.proxy_peak_rss_mb != null ? `peak ${r.proxy_peak_rss_mb} MB` : null, r.note ?? null].filter(Boolean).join(', ');
  console.log(`| ${r.scenario} | ${fmt(d?.p50_us)} | ${fmt(p?.p50_us)} | ${fmt(ratio(d?.p50_us, p?.p50_us))} | ${fmt(d?.p99_us)} | ${fmt(p?.p99_us)} | ${fmt(d?.calls_per_s)} | ${fmt(p?.calls_per_s)} | ${fmt(ratio(d?.calls_per_s, p?.calls_per_s))} | ${cpuText(d)} | ${cpuText(p)} | ${fmt(d?.errors)} / ${fmt(p?.errors)} | ${mem || '—'} |`);
}
const json = { machine: { cpus: os.cpus().length, cpu, memory_gib: Math.round(os.totalmem() / 2 ** 30) }, calls, rows };
const out = path.join(build, 'bench-results.json');
fs.writeFileSync(out, JSON.stringify(json, null, 2));
console.log(`\nJSON: ${out}`);
fs.rmSync(tmp, { recursive: true, force: true });
