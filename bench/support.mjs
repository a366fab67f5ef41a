// Shared by run-bench.mjs and compare.mjs: running the load generator, reading a process's
// memory, starting and stopping an MCProxy binary on a config, and the full middleware stack
// (as in example-config.json) the two benches measure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs mcp_load (at `load`) with `args`; its one-line JSON report. */
/**
 * Runs mcp_load (at `load`) with `args`; its one-line JSON report, plus `cpu_us`: CPU time per
 * call (warm-up included in both) of the load generator, of a stdio backend it spawned, and of
 * each live process named in `pids` (e.g. {proxy, backend}), measured around the run.
 * `wrapper` is a command that execs mcp_load (e.g. taskset).
 */
export function runLoad(load, args, label, { pids = {}, wrapper = [] } = {}) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const argv = [...args, '--label', label];
  const r = wrapper.length
    ? spawnSync(wrapper[0], [...wrapper.slice(1), load, ...argv], { encoding: 'utf8', timeout: 600_000 })
    : spawnSync(load, argv, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`mcp_load ${label} failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout.trim());
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const total = option('--calls', 10000) + option('--warmup', 500);
  const perCall = (ms) => Math.round(((ms * 1000) / total) * 10) / 10;
  report.cpu_us = { load: perCall(report.cpu_ms) };
  if (report.children_cpu_ms > 0) report.cpu_us.backend = perCall(report.children_cpu_ms);
  for (const [k, pid] of Object.entries(pids)) report.cpu_us[k] = perCall(cpuMs(pid) - before[k]);
  return report;
}

function statusMb(pid, field) {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
}
export const peakRssMb = (pid) => statusMb(pid, 'VmHWM');
export const rssMb = (pid) => statusMb(pid, 'VmRSS');

/** CPU time (user + system, every thread) a live process has used so far, in ms. */
export function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is the 3rd field; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
/** pids of every live descendant of `pid`, parents before children (from /proc). */
export function descendants(pid) {
  const parent = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // it ended meanwhile
    }
  }
  const out = [];
  const visit = (p) => {
    for (const [child, pp] of parent) if (pp === p) { out.push(child); visit(child); }
  };
  visit(pid);
  return out;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Starts `bin` on `config` (written under `dir`), port 0; resolves {url, proc} once it listens. */
/**
 * `args` are extra arguments (e.g. ['--threads', '1']); `wrapper` a command that execs it
 * (taskset); `env` extra environment variables (LD_PRELOAD for the allocator trial).
 */
export async function startProxy(bin, dir, name, config, { args = [], wrapper = [], env = {} } = {}) {
  const base = name.replace(/[^A-Za-z0-9_.-]+/g, '_');  // a label ("C=256/64") as a file name
  const file = path.join(dir, `${base}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  // Logs go to a file (info level only prints start-up and errors on this path).
  const logFile = path.join(dir, `${base}.log`);
  const log = fs.openSync(logFile, 'w');
  const argv = ['--config', file, '--port', '0', '--log-level', 'info', ...args];
  const command = wrapper.length ? wrapper[0] : bin;
  const commandArgs = wrapper.length ? [...wrapper.slice(1), bin, ...argv] : argv;
  const p = spawn(command, commandArgs, { stdio: ['ignore', 'ignore', log], env: { ...process.env, ...env } });
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    const text = fs.readFileSync(logFile, 'utf8');
    const m = /MCProxy listening on (http:\/\/\S+)/.exec(text);
    if (m) return { url: m[1], proc: p };
    if (p.exitCode !== null) throw new Error(`${bin} (${name}) exited:\n${text}`);
  }
  throw new Error(`${bin} (${name}) did not start`);
}

export async function stopProxy(p) {
  p.proc.kill('SIGTERM');
  await new Promise((r) => p.proc.once('exit', r));
}

/** One stdio echo backend behind the middleware stack of example-config.json. */
export function fullStackConfig(echo, dir) {
  return {
    mcpServers: { echo: { command: echo } },
    httpServer: {
      middleware: {
        proxy: [{ type: 'tool_search' }, { type: 'description_enricher', config: { prefix: '[{server}] ' } }],
        client: {
          default: [
            { type: 'logging', config: { file: path.join(dir, 'traffic.log'), payloads: true, maxPayloadBytes: 1024 } },
            { type: 'tool_filter', config: { block: ['write_*', 'delete_*'] } },
            { type: 'security', config: { preset: 'default', scanResults: { action: 'redact' } } },
          ],
        },
      },
    },
  };
}
