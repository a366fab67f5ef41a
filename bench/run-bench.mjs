// Runs every benchmark pair "direct" vs "through MCProxy" against the same backend, in one
// invocation, and prints a table with the ratios (plus peak memory of the proxy). Used by
// scripts/bench.sh; expects the built programs in $BUILD_DIR (default build/).
//
// Nothing here is a test: the numbers depend on the machine and are never asserted.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
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

const runLoad = (args, label) => support.runLoad(load, args, label);
const startProxy = (name, config) => support.startProxy(proxyBin, tmp, name, config);
const { peakRssMb, rssMb, stopProxy } = support;

async function startEchoHttp(extra = []) {
  const p = spawn(echo, ['--http', '0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  const proxied = runLoad(['--url', p.url, '--tool', 'echo__echo', ...common, '--concurrency', String(c)], `proxy->stdio C=${c}`);
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  add(`HTTP→MCProxy→stdio echo vs stdio→echo, C=${c}`, direct, proxied, { proxy_peak_rss_mb: rss });
}

// 2. HTTP client -> MCProxy -> HTTP echo  vs  HTTP client -> HTTP echo
for (const c of [1, 32]) {
  const e = await startEchoHttp();
  const direct = runLoad(['--url', e.url, ...common, '--concurrency', String(c)], `http direct C=${c}`);
  const p = await startProxy(`http-${c}`, { mcpServers: { echo: { url: e.url, type: 'streamable-http' } } });
  const proxied = runLoad(['--url', p.url, '--tool', 'echo__echo', ...common, '--concurrency', String(c)], `proxy->http C=${c}`);
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  e.proc.kill();
  add(`HTTP→MCProxy→HTTP echo vs HTTP→HTTP echo, C=${c}`, direct, proxied, { proxy_peak_rss_mb: rss });
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
  const p = await startProxy('catalogue', { mcpServers: servers });
  const run = runLoad(['--url', p.url, '--method', 'tools/list', '--calls', '500', '--warmup', '20', '--concurrency', '1'], 'tools/list 5,000 tools');
  const rss = peakRssMb(p.proc.pid);
  await stopProxy(p);
  add('tools/list, 50 backends × 100 tools', null, run, { proxy_peak_rss_mb: rss });
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
  add('idle, three example backends', null, null, { proxy_rss_mb: rssMb(p.proc.pid), proxy_peak_rss_mb: peakRssMb(p.proc.pid) });
  await stopProxy(p);
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
  const freePort = () => 20000 + Math.floor(Math.random() * 20000);
  async function startGateway(g) {
    const port = freePort();
    const p = spawn(process.execPath, g.args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
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
    const base = runLoad(['--url', mine.url, '--tool', 'echo__echo', ...peerCalls, '--concurrency', String(c)], `MCProxy C=${c}`);
    await stopProxy(mine);
    for (const g of gateways) {
      const gw = await startGateway(g);
      let run;
      try {
        run = runLoad(['--url', gw.url, '--tool', g.tool, ...peerCalls, '--concurrency', String(c)], `${g.name} C=${c}`);
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
console.log('| scenario | direct p50 µs | proxied p50 µs | p50 ratio | direct p99 | proxied p99 | direct calls/s | proxied calls/s | throughput ratio | errors (direct / proxied) | proxy memory |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const d = r.direct, p = r.proxied;
  const mem = [r.proxy_idle_rss_mb != null ? `idle ${r.proxy_idle_rss_mb} MB` : null, r.proxy_rss_mb != null ? `RSS ${r.proxy_rss_mb} MB` : null,
    r.proxy_peak_rss_mb != null ? `peak ${r.proxy_peak_rss_mb} MB` : null].filter(Boolean).join(', ');
  console.log(`| ${r.scenario} | ${fmt(d?.p50_us)} | ${fmt(p?.p50_us)} | ${fmt(ratio(d?.p50_us, p?.p50_us))} | ${fmt(d?.p99_us)} | ${fmt(p?.p99_us)} | ${fmt(d?.calls_per_s)} | ${fmt(p?.calls_per_s)} | ${fmt(ratio(d?.calls_per_s, p?.calls_per_s))} | ${fmt(d?.errors)} / ${fmt(p?.errors)} | ${mem || '—'}${r.note ? ` (${r.note})` : ''} |`);
}
const json = { machine: { cpus: os.cpus().length, cpu, memory_gib: Math.round(os.totalmem() / 2 ** 30) }, calls, rows };
const out = path.join(build, 'bench-results.json');
fs.writeFileSync(out, JSON.stringify(json, null, 2));
console.log(`\nJSON: ${out}`);
fs.rmSync(tmp, { recursive: true, force: true });
