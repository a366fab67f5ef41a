// Identity at the edge, with examples/team-config.json as it ships (the three reference
// servers started by npx at pinned versions, two API-key identities): no token gets 401 with
// the RFC 9728 metadata URL (which the SDK's own discovery reads), alice and bob see different
// catalogues and bob cannot reach alice's tools by any path, a session id presented with the
// other identity's token is "not found", bob's profile allows 5 tool calls a minute, and the
// audit log has one line per call with its outcome.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/identity.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/client/auth.js';

import { repoRoot, startProxy } from './support/proxy.mjs';
import { PROTOCOL_VERSION } from './support/faults.mjs';

const ALICE_KEY = 'alice-0123456789abcdef0123456789abcdef';
const BOB_KEY = 'bob-0123456789abcdef0123456789abcdef00';
let proxy;
let dataDir;
const clients = [];

async function connectAs(url, key) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'identity-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

function auditLines() {
  const file = path.join(dataDir, 'audit.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function post(url, body, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-protocol-version': PROTOCOL_VERSION, ...headers },
    body: JSON.stringify(body),
  });
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-team-'));
  fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'team notes');
  proxy = await startProxy(path.join(repoRoot, 'examples/team-config.json'), {
    env: { ...process.env, MCPROXY_DATA: dataDir, ALICE_KEY, BOB_KEY },
    cwd: repoRoot,
  });
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await proxy?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('no token, a wrong token: 401 naming the protected resource metadata, which the SDK discovers', async () => {
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'anon', version: '0' } } };
  const none = await post(proxy.url, init);
  assert.equal(none.status, 401);
  const challenge = none.headers.get('www-authenticate');
  const m = /^Bearer resource_metadata="([^"]+)"/.exec(challenge);
  assert.ok(m, `unexpected WWW-Authenticate: ${challenge}`);
  assert.doesNotMatch(challenge, /error=/, 'no credential at all is not an invalid_token');
  const metadata = await (await fetch(m[1])).json();
  assert.equal(metadata.resource, proxy.url);
  assert.deepEqual(metadata.bearer_methods_supported, ['header']);

  const wrong = await post(proxy.url, init, { authorization: 'Bearer not-a-key-of-anyone-here' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate'), /error="invalid_token"/);

  // The SDK's discovery (what an OAuth-capable client does after a 401) reads the same document.
  const discovered = await discoverOAuthProtectedResourceMetadata(proxy.url);
  assert.equal(discovered.resource, proxy.url);
  // The profile endpoint has metadata of its own.
  const bobEndpoint = new URL('/mcp/files-read', proxy.url).href;
  const own = await discoverOAuthProtectedResourceMetadata(bobEndpoint);
  assert.equal(own.resource, bobEndpoint);

  const lines = auditLines().filter((l) => l.outcome === 'auth-failed');
  assert.ok(lines.length >= 2, `expected auth-failed audit lines, found ${JSON.stringify(auditLines())}`);
  assert.ok(lines.every((l) => !JSON.stringify(l).includes('not-a-key-of-anyone-here')), 'a token in the audit log');
});

test('alice and bob see different catalogues; bob cannot reach a hidden tool, prompt or resource', async () => {
  const alice = (await connectAs(proxy.url, ALICE_KEY)).client;
  const bob = (await connectAs(proxy.url, BOB_KEY)).client;
  const aliceTools = new Set((await alice.listTools()).tools.map((t) => t.name));
  const bobTools = new Set((await bob.listTools()).tools.map((t) => t.name));
  for (const t of ['everything__echo', 'memory__read_graph', 'filesystem__write_file', 'filesystem__read_text_file'])
    assert.ok(aliceTools.has(t), `alice should see ${t}`);
  assert.ok(bobTools.has('filesystem__read_text_file'));
  assert.ok(bobTools.has('filesystem__list_directory'));
  for (const t of bobTools) assert.match(t, /^filesystem__(read_|list_|directory_tree|search_files|get_file_info)/);
  assert.ok(!bobTools.has('filesystem__write_file'));
  assert.ok(bobTools.size < aliceTools.size);
  assert.equal((await bob.listPrompts().catch(() => ({ prompts: [] }))).prompts.length, 0);

  // Hidden means refused, with the error of a name that does not exist.
  const hidden = await bob.callTool({ name: 'everything__echo', arguments: { message: 'x' } }).catch((e) => e);
  const missing = await bob.callTool({ name: 'no_such_tool', arguments: {} }).catch((e) => e);
  assert.equal(hidden.code, -32602);
  assert.equal(hidden.message.replace('everything__echo', 'X'), missing.message.replace('no_such_tool', 'X'));
  const write = await bob.callTool({ name: 'filesystem__write_file',
    arguments: { path: path.join(dataDir, 'evil.txt'), content: 'x' } }).catch((e) => e);
  assert.equal(write.code, -32602);
  assert.ok(!fs.existsSync(path.join(dataDir, 'evil.txt')));
  const prompts = (await alice.listPrompts()).prompts;
  assert.ok(prompts.length > 0);
  const prompt = await bob.getPrompt({ name: prompts[0].name, arguments: {} }).catch((e) => e);
  assert.equal(prompt.code, -32602);
  const resources = (await alice.listResources()).resources;
  const everythingResource = resources.find((r) => !r.uri.startsWith('file:'));
  assert.ok(everythingResource, 'alice should list the everything server resources');
  const read = await bob.readResource({ uri: everythingResource.uri }).catch((e) => e);
  assert.equal(read.code, -32002);
  const complete = await bob.complete({ ref: { type: 'ref/prompt', name: prompts[0].name },
    argument: { name: 'x', value: '' } }).catch((e) => e);
  assert.ok(complete.code === -32602, `completion of a hidden prompt: ${complete.message}`);
  // bob's own profile endpoint serves the same view.
  const bobThere = (await connectAs(new URL('/mcp/files-read', proxy.url).href, BOB_KEY)).client;
  const there = new Set((await bobThere.listTools()).tools.map((t) => t.name));
  assert.deepEqual([...there].sort(), [...bobTools].sort());
  // alice may not use bob's endpoint (not one of her profiles).
  const refused = await post(new URL('/mcp/files-read', proxy.url).href,
    { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${ALICE_KEY}` });
  assert.equal(refused.status, 403);
});

test('a session id presented with another identity gets 404 on every method', async () => {
  const { transport } = await connectAs(proxy.url, ALICE_KEY);
  const sessionId = transport.sessionId;
  assert.ok(sessionId);
  const asBob = { authorization: `Bearer ${BOB_KEY}`, 'mcp-session-id': sessionId };
  const call = await post(proxy.url, { jsonrpc: '2.0', id: 7, method: 'tools/call',
    params: { name: 'everything__echo', arguments: { message: 'hijack' } } }, asBob);
  assert.equal(call.status, 404);
  const get = await fetch(proxy.url, { headers: { accept: 'text/event-stream', ...asBob } });
  assert.equal(get.status, 404);
  const del = await fetch(proxy.url, { method: 'DELETE', headers: asBob });
  assert.equal(del.status, 404);
  // alice's session is untouched.
  const mine = await post(proxy.url, { jsonrpc: '2.0', id: 8, method: 'ping' },
    { authorization: `Bearer ${ALICE_KEY}`, 'mcp-session-id': sessionId });
  assert.equal(mine.status, 200);
  assert.ok(auditLines().some((l) => l.outcome === 'denied' && l.identity === 'bob'));
});

test("bob's profile allows 5 tool calls a minute: the 6th is refused with retryAfterMs; audit has each", async () => {
  const bob = (await connectAs(proxy.url, BOB_KEY)).client;
  const before = auditLines().length;
  const file = path.join(dataDir, 'notes.txt');
  // Calls already made by bob in this file count too (his bucket is the profile's): spend the rest.
  let ok = 0;
  let refusal;
  for (let i = 0; i < 7 && !refusal; i++) {
    try {
      await bob.callTool({ name: 'filesystem__read_text_file', arguments: { path: file } });
      ok++;
    } catch (e) {
      refusal = e;
    }
  }
  assert.ok(refusal, 'the bucket of 5 never ran out');
  assert.ok(ok <= 5);
  assert.equal(refusal.code, -32004);
  assert.ok(refusal.data.retryAfterMs > 1000 && refusal.data.retryAfterMs <= 60_000, JSON.stringify(refusal.data));
  assert.equal(refusal.data.limit, 'profile');
  const lines = auditLines().slice(before).filter((l) => l.event === 'call' && l.identity === 'bob');
  assert.equal(lines.filter((l) => l.outcome === 'ok').length, ok);
  assert.equal(lines.filter((l) => l.outcome === 'rate-limited').length, 1);
  for (const l of lines) {
    assert.equal(l.method, 'tools/call');
    assert.equal(l.name, 'filesystem__read_text_file');
    assert.equal(l.profile, 'files-read');
    assert.match(l.argumentsSha256, /^[0-9a-f]{64}$/);
    assert.ok(!('arguments' in l), 'raw arguments are not logged by default');
    assert.ok(typeof l.durationMs === 'number');
  }
  // Same arguments, same hash.
  assert.equal(new Set(lines.map((l) => l.argumentsSha256)).size, 1);
  // alice is not limited by bob's profile.
  const alice = (await connectAs(proxy.url, ALICE_KEY)).client;
  const echo = await alice.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
  assert.match(JSON.stringify(echo.content), /still here/);
});

test('/health shows backend details only to an admin', async () => {
  const anonymous = await (await fetch(new URL('/health', proxy.url))).json();
  assert.ok(!('backends' in anonymous), JSON.stringify(anonymous));
  const asBob = await (await fetch(new URL('/health', proxy.url), { headers: { authorization: `Bearer ${BOB_KEY}` } })).json();
  assert.ok(!('backends' in asBob));
  const asAlice = await (await fetch(new URL('/health', proxy.url), { headers: { authorization: `Bearer ${ALICE_KEY}` } })).json();
  assert.deepEqual(asAlice.backends.map((b) => b.name).sort(), ['everything', 'filesystem', 'memory']);
});
