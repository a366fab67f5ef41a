// Backends of protocol 2026-07-28 behind MCProxy: era detection per backend (server/discover
// first, initialize when the answer is not of that era, a restart when the server exits on the
// probe), the stateless envelope on every request, and over HTTP the standard headers mirrored
// from the body. The modern server is built with the official SDK v2 (support/modern-server.mjs);
// the legacy one is server-everything. Clients: SDK v1 (2025-11-25) and SDK v2 (2026-07-28).
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/modern-backends.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { modernServer, readLog, startModernHttpServer } from './support/modern-fixture.mjs';
import { connectClient, serverPaths, startProxy } from './support/proxy.mjs';

const strictServer = fileURLToPath(new URL('./support/strict-legacy-server.mjs', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-modern-backends-'));
const stdioLog = path.join(dir, 'stdio.jsonl');
const httpLog = path.join(dir, 'http.jsonl');
const strictLog = path.join(dir, 'strict.log');
let httpServer;
let httpUrl;
let proxy;
const closers = [];


before(async () => {
  ({ proc: httpServer, url: httpUrl } = await startModernHttpServer(httpLog));
  proxy = await startProxy({
    mcpServers: {
      modern: { command: process.execPath, args: [modernServer], env: { MODERN_SERVER_LOG: stdioLog } },
      remote: { url: httpUrl },
      everything: { command: process.execPath, args: [serverPaths().everything] },
      strict: { command: process.execPath, args: [strictServer], env: { STRICT_SERVER_LOG: strictLog } },
    },
  });
});

after(async () => {
  for (const close of closers) await close().catch(() => {});
  await proxy?.stop();
  httpServer?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function health() {
  const h = await (await fetch(new URL('/health', proxy.url))).json();
  return new Map(h.backends.map((b) => [b.name, b]));
}

test('each backend is spoken to in its own era; /health says which', async () => {
  const backends = await health();
  assert.equal(backends.get('modern').protocolVersion, '2026-07-28');
  assert.equal(backends.get('remote').protocolVersion, '2026-07-28');
  assert.equal(backends.get('everything').protocolVersion, '2025-11-25');
  assert.equal(backends.get('strict').protocolVersion, '2025-11-25');
  for (const b of backends.values()) assert.equal(b.state, 'up', `${b.name}: ${JSON.stringify(b)}`);
  // The stateless server was never sent initialize; every request carried the envelope.
  const sent = readLog(stdioLog);
  assert.equal(sent[0].method, 'server/discover');
  assert.ok(!sent.some((r) => r.method === 'initialize' || r.method === 'ping'), sent.map((r) => r.method).join(' '));
  for (const r of sent) {
    assert.equal(r.meta['io.modelcontextprotocol/protocolVersion'], '2026-07-28', r.method);
    assert.equal(r.meta['io.modelcontextprotocol/clientInfo'].name, 'mcproxy', r.method);
    assert.equal(typeof r.meta['io.modelcontextprotocol/clientCapabilities'], 'object', r.method);
  }
});

test('a server that exits on the probe is started again and initialized', async () => {
  assert.deepEqual(fs.readFileSync(strictLog, 'utf8').trim().split('\n'), ['exit', 'serve']);
  await proxy.waitForOutput(/\[strict\] it closed the connection on server\/discover/);
});

test('a 2025-11-25 client uses stateless and legacy servers in one catalogue, in both directions', async () => {
  const client = await connectClient(proxy.url);
  closers.push(() => client.close());
  const names = (await client.listTools()).tools.map((t) => t.name);
  for (const n of ['modern__greet', 'modern__count', 'remote__greet', 'everything__echo', 'strict__echo'])
    assert.ok(names.includes(n), `${n} in ${names.join(' ')}`);

  const greet = await client.callTool({ name: 'modern__greet', arguments: { name: 'Ada' } });
  assert.equal(greet.content[0].text, 'Hello, Ada, from 2026-07-28');
  assert.equal(greet.resultType, undefined, 'an initialize-era client gets no resultType');
  assert.equal(greet._meta?.['io.modelcontextprotocol/serverInfo'], undefined);

  const progress = [];
  const counted = await client.callTool({ name: 'remote__count', arguments: { n: 3 } }, undefined,
    { onprogress: (p) => progress.push(p.progress) });
  assert.equal(counted.content[0].text, 'counted to 3');
  assert.deepEqual(progress, [1, 2, 3], 'progress from a stateless HTTP server reaches a session client');

  const prompt = await client.getPrompt({ name: 'modern__haiku', arguments: { topic: 'proxies' } });
  assert.equal(prompt.messages[0].content.text, 'Write a haiku about proxies');
  const motd = await client.readResource({ uri: 'modern://motd' });
  assert.equal(motd.contents[0].text, 'stateless and happy');
  assert.equal(motd.ttlMs, undefined);

  const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'legacy still' } });
  assert.equal(echo.content[0].text, 'Echo: legacy still');
});

test('over HTTP the standard headers mirror the body, with the server\'s own tool name; no session, no GET', async () => {
  const sent = readLog(httpLog);
  const call = sent.find((r) => r.method === 'tools/call' && r.headers['mcp-name'] === 'count');
  assert.ok(call, JSON.stringify(sent.filter((r) => r.method === 'tools/call')));
  assert.equal(call.headers['mcp-method'], 'tools/call');
  assert.equal(call.headers['mcp-protocol-version'], '2026-07-28');
  for (const r of sent) {
    assert.equal(r.httpMethod, 'POST');
    assert.equal(r.headers['mcp-session-id'], undefined);
    assert.equal(r.headers['mcp-method'], r.method);
  }
});

test('a 2026-07-28 client reaches stateless backends through the stateless edge', async () => {
  const client = new ModernClient({ name: 'modern-backends-test', version: '0.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new ModernTransport(new URL(proxy.url)));
  closers.push(() => client.close());
  assert.equal(client.getProtocolEra(), 'modern');
  const [a, b] = await Promise.all([
    client.callTool({ name: 'remote__greet', arguments: { name: 'Grace' } }),
    client.callTool({ name: 'everything__echo', arguments: { message: 'both eras' } }),
  ]);
  assert.equal(a.content[0].text, 'Hello, Grace, from 2026-07-28');
  assert.equal(b.content[0].text, 'Echo: both eras');
});

test('"protocol" in the config forces an era: legacy initializes a dual-era server, 2026-07-28 refuses a legacy one', async () => {
  const forced = await startProxy({
    mcpServers: {
      dual: { command: process.execPath, args: [modernServer], protocol: 'legacy' },
      old: { command: process.execPath, args: [serverPaths().everything], protocol: '2026-07-28', reconnect: { maxAttempts: 1 } },
    },
  });
  try {
    const h = new Map((await (await fetch(new URL('/health', forced.url))).json()).backends.map((b) => [b.name, b]));
    assert.equal(h.get('dual').state, 'up');
    assert.equal(h.get('dual').protocolVersion, '2025-11-25');
    assert.notEqual(h.get('old').state, 'up');
    assert.match(h.get('old').lastError, /server\/discover failed.*"protocol" is "2026-07-28"/);
  } finally {
    await forced.stop();
  }
});

test('Mcp-Param-*: checked at the edge against the tool\'s schema, mirrored upstream from the body, unknown ones forwarded', async () => {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const call = (headers, args, id) => fetch(proxy.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'remote__where', ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'remote__where', arguments: args, _meta: meta } }),
  });
  // The proxy's catalogue keeps the annotation, so a client knows to send the header.
  const legacy = await connectClient(proxy.url);
  closers.push(() => legacy.close());
  const where = (await legacy.listTools()).tools.find((t) => t.name === 'remote__where');
  assert.equal(where.inputSchema.properties.region['x-mcp-header'], 'Region');

  const ok = await call({ 'mcp-param-region': 'eu-west', 'mcp-param-trace-tag': 'abc' }, { region: 'eu-west' }, 1);
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).result.content[0].text, 'running in eu-west');
  const upstream = readLog(httpLog).filter((r) => r.method === 'tools/call' && r.headers['mcp-name'] === 'where');
  assert.equal(upstream.at(-1).headers['mcp-param-region'], 'eu-west');
  assert.equal(upstream.at(-1).headers['mcp-param-trace-tag'], 'abc', 'an unrecognized Mcp-Param header is forwarded');

  for (const [what, headers] of [['missing', {}], ['disagreeing', { 'mcp-param-region': 'us-east' }],
    ['bad Base64', { 'mcp-param-region': '=?base64?ZXUtd2VzdA?=' }]]) {
    const res = await call(headers, { region: 'eu-west' }, 2);
    assert.equal(res.status, 400, what);
    assert.equal((await res.json()).error.code, -32020, what);
  }
  // The Base64 form that decodes to the body's value is accepted.
  const encoded = await call({ 'mcp-param-region': `=?base64?${Buffer.from('eu-west').toString('base64')}?=` }, { region: 'eu-west' }, 3);
  assert.equal(encoded.status, 200);

  // A 2025-11-25 client sends no such header: the proxy mirrors it, in Base64 form when not ASCII.
  const r = await legacy.callTool({ name: 'remote__where', arguments: { region: 'Zürich' } });
  assert.equal(r.content[0].text, 'running in Zürich');
  const last = readLog(httpLog).filter((x) => x.method === 'tools/call' && x.headers['mcp-name'] === 'where').at(-1);
  assert.equal(last.headers['mcp-param-region'], `=?base64?${Buffer.from('Zürich').toString('base64')}?=`);
});

test('resources/subscribe of a 2025-11-25 client follows a 2026-07-28 server\'s resource through MCProxy\'s listen stream to it', async () => {
  const client = new Client({ name: 'modern-backends-subscriber', version: '0.0.0' }, { capabilities: {} });
  const updated = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  closers.push(() => client.close());
  await client.subscribeResource({ uri: 'modern://motd' });
  // MCProxy listens again with the URI; the server announces on that stream.
  const deadline = Date.now() + 5000;
  while (!updated.includes('modern://motd') && Date.now() < deadline) {
    await client.callTool({ name: 'modern__touch', arguments: { uri: 'modern://motd' } });
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(updated.includes('modern://motd'), `updates: ${JSON.stringify(updated)}`);
  const sent = readLog(stdioLog).filter((r) => r.method === 'subscriptions/listen');
  assert.ok(sent.length >= 2, 'the listen stream was opened again for the subscription');
  // Unsubscribed: the stream is opened again without it, and nothing more arrives.
  await client.unsubscribeResource({ uri: 'modern://motd' });
  await new Promise((r) => setTimeout(r, 300));
  const count = updated.length;
  await client.callTool({ name: 'modern__touch', arguments: { uri: 'modern://motd' } });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(updated.length, count, 'no update after unsubscribing');
});
