// Protocol revision 2026-07-28 at MCProxy's downstream edge, beside 2025-11-25 on the same
// /mcp: the official SDK v2 client (@modelcontextprotocol/client, pinned) negotiates the
// stateless era with server/discover and uses server-everything (a 2025-11-25 stdio server)
// through the proxy while an SDK v1 client holds a legacy session; raw requests show each of
// the spec's refusals (version, headers, capabilities, removed methods) with its HTTP status.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/modern-edge.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';

import { fileURLToPath } from 'node:url';

import { modernPost } from './support/modern-fixture.mjs';
import { connectClient, serverPaths, startProxy } from './support/proxy.mjs';

const V = '2026-07-28';
let proxy;
const closers = [];
const responseHeaders = [];  // of every response the modern client got

before(async () => {
  proxy = await startProxy({ mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } } });
});
after(async () => {
  for (const close of closers) await close().catch(() => {});
  await proxy?.stop();
});

async function modernClient() {
  const recordingFetch = async (url, init) => {
    const res = await fetch(url, init);
    responseHeaders.push(Object.fromEntries(res.headers));
    return res;
  };
  const client = new ModernClient({ name: 'modern-edge-test', version: '0.0.0' },
    { capabilities: {}, versionNegotiation: { mode: 'auto' } });
  await client.connect(new ModernTransport(new URL(proxy.url), { fetch: recordingFetch }));
  closers.push(() => client.close());
  return client;
}

// One raw POST of the stateless era to the proxy (support/modern-fixture.mjs).
const post = (method, params = {}, options = {}) => modernPost(options.url ?? proxy.url, method, params, options);

test('the SDK v2 client negotiates 2026-07-28 and uses a 2025-11-25 server through the proxy; no session is minted', async () => {
  const client = await modernClient();
  assert.equal(client.getProtocolEra(), 'modern');
  assert.equal(client.getNegotiatedProtocolVersion(), V);
  assert.equal(client.getServerVersion()?.name, 'mcproxy');

  const tools = (await client.listTools()).tools;
  assert.ok(tools.some((t) => t.name === 'everything__echo'), tools.map((t) => t.name).join(' '));
  const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'modern hello' } });
  assert.equal(echo.content[0].text, 'Echo: modern hello');

  const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } });
  assert.match(sum.content[0].text, /5/);

  const prompt = await client.getPrompt({ name: 'everything__simple-prompt' });
  assert.ok(prompt.messages.length >= 1);

  const resources = (await client.listResources()).resources;
  const doc = resources.find((r) => r.uri.startsWith('demo://resource/static/document/'));
  assert.ok(doc, 'a static document is listed');
  const read = await client.readResource({ uri: doc.uri });
  assert.equal(read.contents[0].uri, doc.uri);

  const progress = [];
  const long = await client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
    { onprogress: (p) => progress.push(p.progress) });
  assert.match(long.content[0].text, /completed/i);
  assert.deepEqual(progress, [1, 2, 3], 'progress travels on the request\'s own stream');

  assert.ok(responseHeaders.length >= 6);
  for (const h of responseHeaders) assert.equal(h['mcp-session-id'], undefined, 'no Mcp-Session-Id in the stateless era');
});

test('a 2025-11-25 client keeps its session on the same endpoint at the same time', async () => {
  const modern = await modernClient();
  const legacy = await connectClient(proxy.url);
  closers.push(() => legacy.close());
  const [a, b] = await Promise.all([
    modern.callTool({ name: 'everything__echo', arguments: { message: 'from 2026' } }),
    legacy.callTool({ name: 'everything__echo', arguments: { message: 'from 2025' } }),
  ]);
  assert.equal(a.content[0].text, 'Echo: from 2026');
  assert.equal(b.content[0].text, 'Echo: from 2025');
  assert.equal(legacy.transport.protocolVersion, '2025-11-25');
  assert.ok(legacy.transport.sessionId, 'the legacy client has its session');
});

test('server/discover describes the aggregated catalogue, with resultType, ttlMs, cacheScope and serverInfo', async () => {
  const { status, headers, body } = await post('server/discover');
  assert.equal(status, 200);
  assert.equal(headers.get('mcp-session-id'), null);
  const r = body.result;
  assert.ok(r.supportedVersions.includes(V) && r.supportedVersions.includes('2025-11-25'), JSON.stringify(r.supportedVersions));
  assert.ok(r.capabilities.tools && r.capabilities.prompts && r.capabilities.resources, JSON.stringify(r.capabilities));
  assert.equal(r.capabilities.tools.listChanged, true, 'subscriptions/listen carries list changes');
  assert.equal(r.resultType, 'complete');
  assert.equal(typeof r.ttlMs, 'number');
  assert.equal(r.cacheScope, 'public');
  assert.equal(r._meta['io.modelcontextprotocol/serverInfo'].name, 'mcproxy');

  const list = (await post('tools/list')).body.result;
  assert.equal(list.resultType, 'complete');
  assert.equal(list.ttlMs, 0);
  assert.equal(list.cacheScope, 'public');
});

test('headers that disagree with the body: 400 and -32020', async () => {
  const cases = [
    [{ 'mcp-protocol-version': undefined }, 'missing MCP-Protocol-Version'],
    [{ 'mcp-protocol-version': '2025-11-25' }, 'another version'],
    [{ 'mcp-method': undefined }, 'missing Mcp-Method'],
    [{ 'mcp-method': 'tools/list' }, 'another method'],
    [{ 'mcp-name': undefined }, 'missing Mcp-Name'],
    [{ 'mcp-name': 'everything__get-sum' }, 'another tool'],
    [{ 'mcp-name': '=?base64?not base64?=' }, 'a broken Base64 sentinel'],
  ];
  for (const [headers, what] of cases) {
    const { status, body } = await post('tools/call', { name: 'everything__echo', arguments: { message: 'x' } }, { headers });
    assert.equal(status, 400, what);
    assert.equal(body.error.code, -32020, `${what}: ${JSON.stringify(body)}`);
    assert.equal(body.id, 7);
  }
  // The Base64 form of the right name is the same name.
  const b64 = `=?base64?${Buffer.from('everything__echo').toString('base64')}?=`;
  const ok = await post('tools/call', { name: 'everything__echo', arguments: { message: 'b64' } }, { headers: { 'mcp-name': b64 } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.result.content[0].text, 'Echo: b64');
});

test('an unsupported version: 400 and -32022 with the supported list; a missing capability object: -32602', async () => {
  const { status, body } = await post('tools/list', {}, {
    headers: { 'mcp-protocol-version': '2099-01-01' },
    meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' },
  });
  assert.equal(status, 400);
  assert.equal(body.error.code, -32022);
  assert.ok(body.error.data.supported.includes(V));
  assert.equal(body.error.data.requested, '2099-01-01');

  const noCaps = await post('tools/list', {}, { meta: { 'io.modelcontextprotocol/clientCapabilities': undefined } });
  assert.equal(noCaps.status, 400);
  assert.equal(noCaps.body.error.code, -32602);
});

test('methods the stateless era removed: 404 and -32601; a body without the envelope under a modern header: -32602', async () => {
  for (const method of ['ping', 'logging/setLevel', 'resources/subscribe', 'initialize', 'no/such-method']) {
    const params = method === 'resources/subscribe' ? { uri: 'demo://resource/static/document/x' } : {};
    const { status, body } = await post(method, params);
    assert.equal(status, 404, method);
    assert.equal(body.error.code, -32601, `${method}: ${JSON.stringify(body)}`);
  }
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': V },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, -32602);
  // A body naming an unknown version under a 2026-07-28 header: the disagreement comes first.
  const both = await post('server/discover', {}, { meta: { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' } });
  assert.equal(both.status, 400);
  assert.equal(both.body.error.code, -32020);
});

test('a request whose server asks the client something is answered input_required, not left hanging (the era bridge)', async () => {
  const { status, body } = await post('tools/call', { name: 'everything__trigger-sampling-request', arguments: { prompt: 'hi' } },
    { meta: { 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } } });
  assert.equal(status, 200);
  assert.equal(body.result?.resultType, 'input_required', JSON.stringify(body));
  const [question] = Object.values(body.result.inputRequests);
  assert.equal(question.method, 'sampling/createMessage');
  assert.match(JSON.stringify(question.params.messages), /hi/);
  assert.match(body.result.requestState, /^mcpx1\./);
  // (Never retried: the proxy's shutdown cancels it upstream at once; era-bridge.test.mjs
  // covers the retry.)
});

test('the envelope\'s log level must be a log level', async () => {
  const call = (meta) => post('tools/call', { name: 'everything__echo', arguments: { message: 'quiet' } }, { meta });
  const quiet = await call({});
  assert.equal(quiet.body.result.content[0].text, 'Echo: quiet');
  const bad = await call({ 'io.modelcontextprotocol/logLevel': 'loud' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, -32602);
});

test('over stdio the SDK v2 client probes with server/discover, goes stateless, and can cancel', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-modern-stdio-'));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } } }));
  const client = new ModernClient({ name: 'modern-stdio-test', version: '0.0.0' },
    { capabilities: {}, versionNegotiation: { mode: 'auto' } });
  const transport = new ModernStdioTransport({ command: process.env.MCPROXY_BIN, args: ['stdio', '--config', config, '--log-level', 'info'], stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => { stderr += chunk.toString('utf8'); });
  await client.connect(transport);
  closers.push(() => client.close());
  try {
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(client.getNegotiatedProtocolVersion(), V);
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'over stdio' } });
    assert.equal(echo.content[0].text, 'Echo: over stdio');
    // A long call cancelled by the client ends with the SDK's abort, and the proxy goes on.
    const abort = new AbortController();
    const long = client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } },
      { signal: abort.signal });
    setTimeout(() => abort.abort('enough'), 300);
    await assert.rejects(long);
    const deadline = Date.now() + 5000;
    while (!/stateless request .* cancelled by the client/.test(stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, /stateless request .* cancelled by the client/, 'the cancellation reached the request');
    const again = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    assert.equal(again.content[0].text, 'Echo: still here');
  } finally {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('notifications/message reaches a stateless request only when it names a log level, at or above it', async () => {
  // The conformance fixture (SDK v1, 2025-11-25) logs three info messages during test_tool_with_logging.
  const fixture = fileURLToPath(new URL('../conformance/fixture-server.mjs', import.meta.url));
  const logging = await startProxy({ mcpServers: { fixture: { command: process.execPath, args: [fixture] } }, naming: { prefix: 'never' } });
  try {
    const call = (meta) => post('tools/call', { name: 'test_tool_with_logging', arguments: {} }, { meta, url: logging.url });
    const messages = (r) => r.events.filter((e) => e.method === 'notifications/message');
    const quiet = await call({});
    assert.ok(quiet.body.result, JSON.stringify(quiet.body));
    assert.equal(messages(quiet).length, 0, 'no level named: no log messages');
    const info = await call({ 'io.modelcontextprotocol/logLevel': 'info' });
    assert.ok(info.body.result, JSON.stringify(info.body));
    assert.equal(messages(info).length, 3, JSON.stringify(info.events));
    assert.equal(messages(info)[0].params.level, 'info');
    const error = await call({ 'io.modelcontextprotocol/logLevel': 'error' });
    assert.equal(messages(error).length, 0, 'info is below error');
  } finally {
    await logging.stop();
  }
});
