// Helpers for the remote-backend, resilience, TLS and shutdown tests: server-everything in its
// HTTP modes on loopback, /health look-ups, a tiny recording MCP server over HTTP, process
// trees from /proc, a throw-away CA with a server certificate, and an HTTPS front (nginx when
// it is there, else a Node.js `https` proxy).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { childPids, waitFor } from './forwarding.mjs';
import { serverPaths } from './proxy.mjs';

/** Preload that makes server-everything's `app.listen(PORT)` bind 127.0.0.1 (see the file). */
export const loopbackPreloadPath = fileURLToPath(new URL('./loopback-listen.cjs', import.meta.url));
/** Stdio fixture that never answers tools/call and logs what it receives (see the file). */
export const hangingServerPath = fileURLToPath(new URL('./hanging-server.mjs', import.meta.url));

// Processes started here that are still running: killed when the test process exits.
const live = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

function track(proc) {
  live.add(proc);
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  return exited;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
async function waitForListening(port, { timeoutMs = 15_000, what = `127.0.0.1:${port}`, proc } = {}) {
  await waitFor(
    () => {
      if (proc && (proc.exitCode !== null || proc.signalCode !== null))
        throw new Error(`${what} exited before listening (code ${proc.exitCode}, signal ${proc.signalCode})`);
      return new Promise((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    },
    { timeoutMs, intervalMs: 100, what: `${what} to listen` },
  );
}

/**
 * server-everything in an HTTP mode on 127.0.0.1: `streamableHttp` (endpoint /mcp) or `sse`
 * (legacy HTTP+SSE, endpoint /sse). Resolves {port, url, proc, output(), kill(signal)} once it
 * accepts connections; kill() resolves when the process has exited.
 */
export async function startEverythingHttp(mode, { port } = {}) {
  port ??= await freePort();
  const proc = spawn(process.execPath, ['--require', loopbackPreloadPath, serverPaths().everything, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = track(proc);
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  try {
    await waitForListening(port, { what: `server-everything ${mode}`, proc });
  } catch (err) {
    proc.kill('SIGKILL');
    err.message += `\n--- output ---\n${out}`;
    throw err;
  }
  const kill = async (signal = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  const endpoint = mode === 'sse' ? '/sse' : '/mcp';
  return { port, url: `http://127.0.0.1:${port}${endpoint}`, proc, output: () => out, kill };
}

/** The proxy's /health document (the proxy as returned by startProxy). */
export async function healthOf(proxy) {
  const res = await fetch(new URL('/health', proxy.url), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/health answered ${res.status}`);
  return res.json();
}

/** The entry of backend `name` in a /health document. */
export function backendOf(health, name) {
  const b = health.backends.find((x) => x.name === name);
  if (!b) throw new Error(`no backend ${name} in /health: ${JSON.stringify(health)}`);
  return b;
}

/**
 * Polls /health until backend `name` satisfies `predicate`; resolves with its entry. The error
 * on timeout shows the last entry seen.
 */
export async function waitForBackend(proxy, name, predicate, { timeoutMs = 10_000, intervalMs = 50, what } = {}) {
  let last;
  try {
    return await waitFor(
      async () => {
        last = backendOf(await healthOf(proxy), name);
        return predicate(last) ? last : null;
      },
      { timeoutMs, intervalMs, what: what ?? `backend ${name} in /health` },
    );
  } catch (err) {
    err.message += `; last entry: ${JSON.stringify(last)}`;
    throw err;
  }
}

/** pids of every live descendant of `pid` (children, their children, ...), from /proc. */
export function descendantPids(pid) {
  const out = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of childPids(queue.shift())) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}


/**
 * A minimal Streamable HTTP MCP server on 127.0.0.1 that records every request's method, path
 * and headers in `requests`: initialize (with an Mcp-Session-Id), ping, tools/list (one tool,
 * `whoami`) and tools/call, all as JSON; 202 for notifications; 405 for GET; 200 for DELETE.
 */
export async function startHeaderRecorder() {
  const requests = [];
  const sessionId = `recorder-${process.pid}-${Date.now()}`;
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers }, body });
    if (req.method === 'GET') {
      res.writeHead(405, { allow: 'POST, DELETE' }).end();
      return;
    }
    if (req.method === 'DELETE') {
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    let message;
    try {
      message = JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    if (message.id === undefined || !message.method) {
      res.writeHead(202).end();
      return;
    }
    const reply = (payload, headers = {}) => {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': sessionId, ...headers });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...payload }));
    };
    switch (message.method) {
      case 'initialize':
        return reply({
          result: {
            protocolVersion: message.params?.protocolVersion ?? '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'mcproxy-header-recorder', version: '0.0.0' },
          },
        });
      case 'ping':
        return reply({ result: {} });
      case 'tools/list':
        return reply({
          result: {
            tools: [{ name: 'whoami', description: 'Answers "recorded".', inputSchema: { type: 'object', properties: {} } }],
          },
        });
      case 'tools/call':
        return reply({ result: { content: [{ type: 'text', text: 'recorded' }] } });
      default:
        return reply({ error: { code: -32601, message: `Method not found: ${message.method}` } });
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const close = () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}/mcp`, port, requests, close };
}

const openssl = (args, cwd) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** A self-signed CA in `dir`: {cert, key} file paths. */
function makeCa(dir, name) {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=MCProxy interop ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], dir);
  return { cert, key };
}

/**
 * In `dir`: a CA, a server certificate it signed for localhost and 127.0.0.1, and a second,
 * unrelated CA. Resolves {ca, wrongCa, cert, key} (file paths).
 */
export function makeCertificates(dir) {
  const ca = makeCa(dir, 'ca');
  const wrong = makeCa(dir, 'wrong-ca');
  const key = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const cert = path.join(dir, 'server.pem');
  const ext = path.join(dir, 'server.ext');
  fs.writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '',
    ].join('\n'),
  );
  openssl([
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', csr, '-subj', '/CN=localhost',
  ], dir);
  openssl([
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-out', cert, '-days', '2', '-extfile', ext,
  ], dir);
  return { ca: ca.cert, wrongCa: wrong.cert, cert, key };
}

const NGINX = '/usr/sbin/nginx';

/**
 * Makes nginx available if it is not: `apt-get install -y nginx-light` when running as root
 * with apt-get present (the Debian package's start is refused by policy-rc.d in containers;
 * we run our own instance anyway). Returns the path of nginx, or null.
 */
export function ensureNginx({ install = true } = {}) {
  if (fs.existsSync(NGINX)) return NGINX;
  if (!install || process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) return null;
  for (const pkg of ['nginx-light', 'nginx']) {
    try {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 240_000,
      });
    } catch {
      // try the next name, then give up
    }
    if (fs.existsSync(NGINX)) return NGINX;
  }
  return null;
}

/**
 * An HTTPS front on 127.0.0.1 for the HTTP server on `upstreamPort`, with the given certificate:
 * nginx (its own config in `dir`, run in the foreground) when available, else a Node.js
 * `https` server that proxies each request and streams the answer. Resolves
 * {kind: 'nginx'|'node', port, output(), stop()}.
 */
export async function startTlsFront({ dir, cert, key, upstreamPort, preferNginx = true }) {
  const port = await freePort();
  const nginx = preferNginx ? ensureNginx() : null;
  if (nginx) {
    // nginx's workers run as an unprivileged user: let them into the directory.
    fs.chmodSync(dir, 0o755);
    const conf = path.join(dir, 'nginx.conf');
    const tmp = (name) => path.join(dir, `nginx-${name}`);
    fs.writeFileSync(
      conf,
      `worker_processes 1;
pid ${tmp('pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  server {
    listen 127.0.0.1:${port} ssl;
    server_name localhost 127.0.0.1;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:${upstreamPort};
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
    }
  }
}
`,
    );
    const proc = spawn(nginx, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = track(proc);
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    try {
      await waitForListening(port, { what: 'nginx', proc });
    } catch (err) {
      proc.kill('SIGKILL');
      err.message += `\n--- nginx output ---\n${out}`;
      throw err;
    }
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    };
    return { kind: 'nginx', port, output: () => out, stop };
  }

  // Node.js fallback: same role, same certificate.
  const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` },
      },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        res.flushHeaders();
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return { kind: 'node', port, output: () => '', stop };
}
