// Shared helpers for the interop tests: locate the reference MCP servers installed from npm
// (tests/package-lock.json), start the MCProxy binary named by $MCPROXY_BIN on a free port,
// and connect an official TypeScript SDK client to it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** tests/interop/support/ → repository root. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** tests/node_modules (populated by `npm ci` in tests/). */
export const nodeModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));

const LISTENING_RE = /MCProxy listening on (http:\/\/\S+)/;
// How a crashed proxy ends: by one of these signals, or with the shell's 128 + signal codes
// that sanitizer runtimes and abort handlers leave.
const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP']);
const CRASH_CODES = new Set([66, 134, 135, 136, 139]);  // 66: ThreadSanitizer found a race
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** Entry script of an npm package, taken from its package.json `bin` (or `main`). */
function packageEntry(pkgName) {
  const dir = path.join(nodeModules, ...pkgName.split('/'));
  const manifestPath = path.join(dir, 'package.json');
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`${pkgName} is not installed: run \`npm ci\` in ${path.dirname(nodeModules)}`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  let rel = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin ?? {})[0];
  rel ??= manifest.main;
  if (!rel) throw new Error(`${pkgName}: no bin/main entry in package.json`);
  return path.resolve(dir, rel);
}

/** Absolute paths of the three reference servers' entry scripts. */
export function serverPaths() {
  return {
    everything: packageEntry('@modelcontextprotocol/server-everything'), // dist/index.js
    filesystem: packageEntry('@modelcontextprotocol/server-filesystem'), // dist/index.js
    memory: packageEntry('@modelcontextprotocol/server-memory'), // dist/index.js
  };
}

/** The SDK-built stdio echo fixture (support/echo-server.mjs), with a 64 MiB line limit. */
export const echoFixturePath = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));

/** Proxy config with everything, filesystem (rooted at `dir`) and memory (file in `dir`). */
export function threeServerConfig(dir) {
  const p = serverPaths();
  return {
    mcpServers: {
      everything: { command: process.execPath, args: [p.everything] },
      filesystem: { command: process.execPath, args: [p.filesystem, dir] },
      memory: {
        command: process.execPath,
        args: [p.memory],
        env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
      },
    },
  };
}

/** The same three servers as stdio parameters for a direct SDK connection (reference data). */
export function directServerParams(dir) {
  const cfg = threeServerConfig(dir).mcpServers;
  return Object.fromEntries(
    Object.entries(cfg).map(([name, s]) => [
      name,
      { command: s.command, args: s.args, env: { ...process.env, ...(s.env ?? {}) }, stderr: 'pipe' },
    ]),
  );
}

// Every proxy we started and that has not exited yet; killed if the test process exits.
// Their temp config dirs are removed then too.
const live = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Start $MCPROXY_BIN with `config` written to a temp file, on port 0.
 * Resolves {url, proc, output(), waitForOutput(re), stop()} once the proxy logs "MCProxy listening on <url>".
 * stop() sends SIGTERM, then SIGKILL after 10 s; it resolves with the exit code
 * (null if the process ended by a signal, see proc.signalCode).
 * `wrapper` (e.g. ['prlimit', '--nofile=256:256']) is a command that execs the proxy with its
 * arguments appended, so proc.pid is still the proxy's.
 */
export async function startProxy(config, { extraArgs = [], env = process.env, cwd, wrapper = [] } = {}) {
  const bin = process.env.MCPROXY_BIN;
  if (!bin) throw new Error('MCPROXY_BIN is not set: point it at the built mcproxy executable');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-cfg-'));
  tempDirs.add(tmp);
  // A string is the path of an existing config file (e.g. example-config.json).
  let configFile = config;
  if (typeof config !== 'string') {
    configFile = path.join(tmp, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  }

  // The ThreadSanitizer pass runs the proxy on more threads than this machine has cores.
  const threads = process.env.MCPROXY_TEST_THREADS ? ['--threads', process.env.MCPROXY_TEST_THREADS] : [];
  // extraArgs may set its own --log-level (an option given twice is refused).
  const level = extraArgs.includes('--log-level') ? [] : ['--log-level', 'debug'];
  const args = ['--config', configFile, '--port', '0', ...level, ...threads, ...extraArgs];
  const command = wrapper.length ? wrapper[0] : bin;
  const commandArgs = wrapper.length ? [...wrapper.slice(1), bin, ...args] : args;
  const proc = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  live.add(proc);

  let out = '';
  const output = () => out;
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      fs.rmSync(tmp, { recursive: true, force: true });
      tempDirs.delete(tmp);
      // A proxy that crashed fails the test file, whatever the test itself checked.
      if (CRASH_SIGNALS.has(signal) || CRASH_CODES.has(code)) {
        process.exitCode = 1;
        console.error(`mcproxy (pid ${proc.pid}) crashed: ${signal ?? `exit code ${code}`}\n--- output ---\n${out}`);
      }
      resolve(code);
    });
  });

  const url = await new Promise((resolve, reject) => {
    let settled = false;
    let pending = ''; // partial line, so a match split across chunks is still found
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk) => {
      const text = chunk.toString('utf8');
      out += text;
      if (settled) return;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const m = LISTENING_RE.exec(line);
        if (m) return finish(null, m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('error', (err) =>
      finish(new Error(`cannot start ${bin}: ${err.message}\n--- output ---\n${out}`)),
    );
    proc.once('exit', (code, signal) => {
      // Let the pipes drain (bounded: backends may hold them open) so the error shows all output.
      const report = () =>
        finish(
          new Error(
            `mcproxy exited (code ${code}, signal ${signal}) before listening\n--- output ---\n${out}`,
          ),
        );
      proc.once('close', report);
      setTimeout(report, 1000).unref();
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      finish(
        new Error(`mcproxy did not log "MCProxy listening on" within ${START_TIMEOUT_MS} ms\n` +
          `--- output ---\n${out}`),
      );
    }, START_TIMEOUT_MS);
  });

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => {
          proc.kill('SIGKILL');
          resolve();
        }, STOP_GRACE_MS);
      });
      await Promise.race([exited, timeout]);
      clearTimeout(timer);
      return exited;
    })();
    return stopping;
  };

  // A log line is written before the response it concerns is sent, but the two travel on
  // different pipes: a test that checks the log right after the response must wait for it.
  const waitForOutput = async (re, { timeoutMs = 5000 } = {}) => {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(out)) {
      if (Date.now() > deadline) {
        throw new Error(`no log line matching ${re} within ${timeoutMs} ms\n--- output ---\n${out.slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return out;
  };

  return { url, proc, output, waitForOutput, stop };
}

/** An SDK Client connected to `url` over Streamable HTTP. */
export async function connectClient(url, { name = 'mcproxy-interop', capabilities = {} } = {}) {
  const client = new Client({ name, version: '0.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** An SDK Client connected directly to a server over stdio (reference data for comparisons). */
export async function connectStdio(params, { name = 'mcproxy-interop-direct' } = {}) {
  const client = new Client({ name, version: '0.0.0' }, { capabilities: {} });
  const transport = new StdioClientTransport(params);
  // Drain the child's stderr so it can never block on a full pipe.
  transport.stderr?.on('data', () => {});
  await client.connect(transport);
  return client;
}

/** Follow nextCursor through every page of a list method ('tools', 'prompts', 'resources'). */
export async function listAll(client, kind) {
  const method = { tools: 'listTools', prompts: 'listPrompts', resources: 'listResources' }[kind];
  const items = [];
  let cursor;
  do {
    const page = await client[method](cursor === undefined ? undefined : { cursor });
    items.push(...page[kind]);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
