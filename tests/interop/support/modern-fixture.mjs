// Starting support/modern-server.mjs over HTTP for a test, and reading what it logged.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const modernServer = fileURLToPath(new URL('./modern-server.mjs', import.meta.url));

/** Starts the modern server on a free loopback port, logging to `log`; resolves {proc, url}. */
export async function startModernHttpServer(log) {
  const proc = spawn(process.execPath, [modernServer, '--http', '0'], {
    env: { ...process.env, MODERN_SERVER_LOG: log }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => { const m = String(d).match(/listening on (\S+)/); if (m) resolve(m[1]); });
    proc.on('exit', (code) => reject(new Error(`the modern HTTP fixture exited (${code})`)));
  });
  return { proc, url };
}

/** The requests the modern server logged to `file` (one JSON object each). */
export const readLog = (file) => (fs.existsSync(file)
  ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

const V = '2026-07-28';

/**
 * One raw POST of protocol 2026-07-28 to `url`: the standard headers and the _meta envelope a
 * modern client would send; `headers` and `meta` replace them (undefined removes one). Resolves
 * {status, headers, body (the last message), events}.
 */
export async function modernPost(url, method, params = {}, { headers = {}, meta = {} } = {}) {
  const name = params.name ?? params.uri;
  const base = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
    'mcp-method': method,
    ...(name ? { 'mcp-name': name } : {}),
  };
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
    ...meta,
  };
  for (const [k, v] of Object.entries(envelope)) if (v === undefined) delete envelope[k];
  const all = { ...base, ...headers };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  const res = await fetch(url, {
    method: 'POST', headers: all,
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: envelope } }),
  });
  const text = await res.text();
  const events = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)))
    : [JSON.parse(text)];
  return { status: res.status, headers: res.headers, body: events.at(-1), events };
}
