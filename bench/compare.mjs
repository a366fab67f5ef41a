// Two MCProxy binaries side by side, in one invocation, on the same machine and load: the
// scenarios of run-bench.mjs that matter for a refactor (HTTP → proxy → stdio echo at C=1 and
// C=32, the full middleware stack, tools/list of 5,000 tools, 1,000 sessions searching with
// tool_search). Each scenario runs old, new, old, new... (--rounds) and keeps the better of
// each (a shared 2-core machine is noisy). Prints a table and JSON; asserts nothing.
//
//   node bench/compare.mjs --old /path/to/old/mcproxy --new build/mcproxy [--calls 20000]
//                          [--rounds 2] [--only SUBSTRING]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as support from './support.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const opt = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const oldBin = opt('old');
const newBin = opt('new', path.join(repo, 'build/mcproxy'));
if (!oldBin) {
  console.error('usage: node bench/compare.mjs --old OLD_MCPROXY [--new NEW_MCPROXY] [--calls N]');
  process.exit(2);
}
const build = process.env.BUILD_DIR ?? path.join(repo, 'build');
const echo = path.join(build, 'bench/echo_server');
const load = path.join(build, 'bench/mcp_load');
const calls = Number(opt('calls', 20000));
const rounds = Number(opt('rounds', 2));
const only = opt('only', '');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-compare-'));

const runLoad = (args, label) => support.runLoad(load, args, label);
const startProxy = (bin, name, config) => support.startProxy(bin, tmp, name, config);
const { peakRssMb, stopProxy } = support;

const stdioEcho = { mcpServers: { echo: { command: echo } } };
const stack = support.fullStackConfig(echo, tmp);
const catalogue = { mcpServers: {} };
for (let i = 0; i < 50; i++) catalogue.mcpServers[`s${String(i).padStart(2, '0')}`] = { command: echo, args: ['--tools', '99'] };
// Every session searches, so tool_search keeps state for each of the 1,000 (maxTools: 1, the
// search finds tools not listed yet).
const searching = {
  mcpServers: { echo: { command: echo, args: ['--tools', '49'] } },
  httpServer: { middleware: { proxy: [{ type: 'tool_search', config: { maxTools: 1 } }] } },
};
const common = ['--calls', String(calls), '--warmup', '1000'];

const scenarios = [
  { name: 'HTTP→MCProxy→stdio echo, C=1', config: stdioEcho, args: ['--tool', 'echo__echo', ...common, '--concurrency', '1'] },
  { name: 'HTTP→MCProxy→stdio echo, C=32', config: stdioEcho, args: ['--tool', 'echo__echo', ...common, '--concurrency', '32'] },
  { name: 'full middleware stack, C=32', config: stack, args: ['--tool', 'echo__echo', ...common, '--concurrency', '32'] },
  { name: 'tools/list, 5,000 tools, C=1', config: catalogue, args: ['--method', 'tools/list', '--calls', '300', '--warmup', '20', '--concurrency', '1'] },
  {
    name: '1,000 sessions searching (tool_search), C=100',
    config: searching,
    args: ['--tool', 'search_tools', '--arguments', '{"query":"echo tool","limit":3}', '--calls', '5000', '--warmup', '1000',
      '--concurrency', '100', '--sessions', '1000'],
  },
];

const better = (a, b) => (!a ? b : a.p50_us <= b.p50_us ? a : b);
const rows = [];
for (const s of scenarios.filter((x) => x.name.includes(only))) {
  const best = { old: null, new: null };
  const rss = { old: null, new: null };
  for (let round = 0; round < rounds; ++round) {
    for (const [which, bin] of [['old', oldBin], ['new', newBin]]) {
      const p = await startProxy(bin, `${which}-${rows.length}-${round}`, s.config);
      const r = runLoad(['--url', p.url, ...s.args], `${which} ${s.name}`);
      const peak = peakRssMb(p.proc.pid);
      await stopProxy(p);
      best[which] = better(best[which], r);
      rss[which] = Math.max(rss[which] ?? 0, peak ?? 0);
    }
  }
  rows.push({ scenario: s.name, old: best.old, new: best.new, old_peak_rss_mb: rss.old, new_peak_rss_mb: rss.new });
}

const ratio = (a, b) => (a && b ? Math.round((b / a) * 100) / 100 : null);
console.log(`\nold: ${oldBin}\nnew: ${newBin}\n${os.cpus().length} × ${os.cpus()[0]?.model}, ${calls} calls per run, best of ${rounds} rounds\n`);
console.log('| scenario | old p50 µs | new p50 µs | new/old p50 | old p99 | new p99 | old calls/s | new calls/s | new/old throughput | old peak RSS MB | new peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.scenario} | ${r.old.p50_us} | ${r.new.p50_us} | ${ratio(r.old.p50_us, r.new.p50_us)} | ${r.old.p99_us} | ${r.new.p99_us} | ${r.old.calls_per_s} | ${r.new.calls_per_s} | ${ratio(r.old.calls_per_s, r.new.calls_per_s)} | ${r.old_peak_rss_mb} | ${r.new_peak_rss_mb} |`);
const out = path.join(build, 'bench-compare.json');
fs.writeFileSync(out, JSON.stringify({ old: oldBin, new: newBin, calls, rows }, null, 2));
console.log(`\nJSON: ${out}`);
fs.rmSync(tmp, { recursive: true, force: true });
