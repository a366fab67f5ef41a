// Helpers for the fault-injection tests (faults-*.test.mjs): raw HTTP/1.1 over node:net (a
// client that stops reading, half-closes, or never finishes its request, which neither fetch
// nor the SDK can do), a chunked + SSE decoder for what such a socket receives, the proxy's
// resident memory from /proc, and the checks that a proxy still serves after a fault.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import { connectClient } from './proxy.mjs';
import { textOf } from './forwarding.mjs';

/** The SDK-built stdio fixture support/fault-server.mjs (progress and update floods, SigIgn). */
export const faultServerPath = fileURLToPath(new URL('./fault-server.mjs', import.meta.url));

export const PROTOCOL_VERSION = '2025-11-25';

/** Whether the process of a startProxy() result is still running. */
export const running = (proxy) => proxy.proc.exitCode === null && proxy.proc.signalCode === null;

/** VmRSS of `pid` in bytes (0 if it is gone). */
export function rssOf(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples rssOf(pid) every `intervalMs`; stop() resolves with the peak in bytes. onSample(rss) may throw nothing. */
export function watchRss(pid, { intervalMs = 100, onSample } = {}) {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    const rss = rssOf(pid);
    if (rss > peak) peak = rss;
    onSample?.(rss);
  }, intervalMs);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Throws unless the proxy is alive, /health answers 200, and an SDK client lists and calls `tool`. */
export async function assertServes(proxy, { tool, args = { message: 'still serving' }, expect = /Echo: still serving/ } = {}) {
  assert.ok(running(proxy), `the proxy is gone (code ${proxy.proc.exitCode}, signal ${proxy.proc.signalCode})\n--- output (tail) ---\n${proxy.output().slice(-4000)}`);
  const health = await fetch(new URL('/health', proxy.url), { signal: AbortSignal.timeout(5000) });
  assert.equal(health.status, 200, `/health answered ${health.status}: ${await health.text()}`);
  const client = await connectClient(proxy.url);
  try {
    const names = (await client.listTools(undefined, { timeout: 10_000 })).tools.map((t) => t.name);
    assert.ok(names.includes(tool), `${tool} is not listed: ${names.join(', ')}`);
    const result = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 10_000 });
    assert.match(textOf(result), expect);
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * initialize + notifications/initialized with fetch; resolves the session id. The proxy must
 * answer with the `protocolVersion` asked for.
 */
export async function initSession(url, { capabilities = {}, protocolVersion = PROTOCOL_VERSION } = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities, clientInfo: { name: 'faults', version: '0' } },
    }),
  });
  assert.equal(init.status, 200, await init.clone().text());
  const sessionId = init.headers.get('mcp-session-id');
  assert.equal((await init.json()).result.protocolVersion, protocolVersion);
  const done = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  assert.equal(done.status, 202);
  await done.text();
  return sessionId;
}

/** One JSON-RPC POST with fetch on a session; resolves the parsed answer (JSON or last SSE event). */
export async function rpc(url, sessionId, message, { timeoutMs = 30_000, protocolVersion = PROTOCOL_VERSION } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': protocolVersion,
    },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const events = parseSse(text);
    return events.length ? JSON.parse(events.at(-1).data) : undefined;
  }
  return text ? JSON.parse(text) : undefined;
}

/** Complete SSE events in `text` as [{id, event, data}] (comments skipped). */
export function parseSse(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let id;
    let event = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) out.push({ id, event, data: data.join('\n') });
  }
  return out;
}

/**
 * A raw TCP connection to the host:port of `url`. Resolves {socket, closed} where `closed`
 * resolves (with the time) when the peer closed or reset the connection.
 */
export async function rawConnect(url) {
  const u = new URL(url);
  const socket = net.connect({ host: u.hostname, port: Number(u.port) });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // resets are expected in these tests
  const closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now())));
  return { socket, closed };
}

/** An HTTP/1.1 request head (and body) as text. */
export function requestText(method, url, headers = {}, body = '') {
  const u = new URL(url);
  const all = { host: `${u.hostname}:${u.port}`, ...headers };
  if (body) all['content-length'] = Buffer.byteLength(body);
  const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Reads from `socket` until the end of a response head; then the socket is paused (nothing
 * more is read until resumed). Resolves {status, headers, rest} where rest is what arrived
 * after the head. Rejects after `timeoutMs`.
 */
export function readHead(socket, { timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no response head within ${timeoutMs} ms (got ${buffered.length} bytes)`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`connection closed before a response head (got ${JSON.stringify(buffered.toString('latin1').slice(0, 300))})`));
    };
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.pause();
      cleanup();
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = {};
      for (const l of lines.slice(1)) {
        const colon = l.indexOf(':');
        headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
      }
      resolve({ status, headers, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/**
 * Incremental decoder of a chunked body carrying SSE: push(bytes) returns the complete events
 * decoded so far ([{id, event, data}]); `ended` is set after the last (zero-size) chunk.
 * Events are taken apart without building one big string, so megabytes stay cheap.
 */
export function chunkedSseDecoder() {
  let raw = Buffer.alloc(0); // undecoded chunked bytes
  let text = ''; // decoded SSE text not yet split into events
  const state = { ended: false, bytes: 0 };
  const push = (bytes) => {
    raw = raw.length ? Buffer.concat([raw, bytes]) : bytes;
    const pieces = [];
    for (;;) {
      const lineEnd = raw.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = parseInt(raw.subarray(0, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(raw.subarray(0, 40).toString('latin1'))}`);
      if (size === 0) {
        state.ended = true;
        raw = Buffer.alloc(0);
        break;
      }
      if (raw.length < lineEnd + 2 + size + 2) break;
      pieces.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size).toString('utf8'));
      state.bytes += size;
      raw = raw.subarray(lineEnd + 2 + size + 2);
    }
    if (!pieces.length) return [];
    text += pieces.join('');
    const cut = text.lastIndexOf('\n\n');
    if (cut < 0) return [];
    const complete = text.slice(0, cut);
    text = text.slice(cut + 2);
    return parseSse(complete);
  };
  return { push, state };
}

/** Sends SIGKILL to each pid that is still alive (cleanup of processes a failing test left). */
export function killAll(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
