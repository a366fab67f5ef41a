// Shared by run-bench.mjs and compare.mjs: running the load generator, reading a process's
// memory, starting and stopping an MCProxy binary on a config, and the full middleware stack
// (as in example-config.json) the two benches measure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs mcp_load (at `load`) with `args`; its one-line JSON report. */
export function runLoad(load, args, label) {
  const r = spawnSync(load, [...args, '--label', label], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`mcp_load ${label} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

function statusMb(pid, field) {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
}
export const peakRssMb = (pid) => statusMb(pid, 'VmHWM');
export const rssMb = (pid) => statusMb(pid, 'VmRSS');

/** Starts `bin` on `config` (written under `dir`), port 0; resolves {url, proc} once it listens. */
export async function startProxy(bin, dir, name, config) {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  // Logs go to a file (info level only prints start-up and errors on this path).
  const logFile = path.join(dir, `${name}.log`);
  const log = fs.openSync(logFile, 'w');
  const p = spawn(bin, ['--config', file, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'ignore', log] });
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
