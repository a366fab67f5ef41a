// The bridge between the two eras of the protocol, through MCProxy, with the official SDKs on
// both sides. A 2025-11-25 client (SDK v1) in front of a 2026-07-28 server (SDK v2,
// support/modern-server.mjs) whose tools answer input_required: MCProxy turns each input request
// into a server-to-client request on the client's call, and sends the call again with the
// answers (inputResponses) and the server's requestState, until the server completes it.
// And the other way: a 2026-07-28 client (SDK v2) in front of 2025-11-25 servers
// (server-everything, and support/login-legacy-server.mjs for -32042) that send it
// server-to-client requests: MCProxy suspends the call, answers input_required with a
// requestState it signs, and resumes the call upstream when the client retries.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/era-bridge.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { modernServer, readLog, startModernHttpServer } from './support/modern-fixture.mjs';
import { repoRoot, serverPaths, startProxy } from './support/proxy.mjs';

const loginServer = fileURLToPath(new URL('./support/login-legacy-server.mjs', import.meta.url));
const INPUT_TIMEOUT_MS = 1500;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-era-bridge-'));
const stdioLog = path.join(dir, 'stdio.jsonl');
const httpLog = path.join(dir, 'http.jsonl');
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
      login: { command: process.execPath, args: [loginServer] },
    },
    bridge: { inputTimeoutMs: INPUT_TIMEOUT_MS },
  });
});

after(async () => {
  for (const close of closers) await close().catch(() => {});
  await proxy?.stop();
  httpServer?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A 2025-11-25 client whose elicitation and sampling answers are given, recording what it is asked. */
async function legacyClient({ elicit, sample, capabilities = { elicitation: {}, sampling: {} } } = {}) {
  const client = new Client({ name: 'era-bridge-test', version: '0.0.0' }, { capabilities });
  const asked = { elicitation: [], sampling: [] };
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (r) => { asked.elicitation.push(r.params); return elicit(r.params); });
  }
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (r) => { asked.sampling.push(r.params); return sample(r.params); });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  closers.push(() => client.close());
  return { client, asked };
}

const text = (result) => result.content.map((c) => c.text).join('\n');

test('a 2025-11-25 client confirms through elicitation what a stateless server asked with input_required', async () => {
  const { client, asked } = await legacyClient({ elicit: () => ({ action: 'accept', content: { confirm: true } }) });
  const result = await client.callTool({ name: 'modern__deploy', arguments: { env: 'staging' } });
  assert.equal(text(result), 'deployed to staging');
  assert.equal(result.resultType, undefined, 'an initialize-era client gets no resultType');
  assert.equal(asked.elicitation.length, 1);
  assert.equal(asked.elicitation[0].message, 'Deploy to staging?');
  assert.deepEqual(Object.keys(asked.elicitation[0].requestedSchema.properties), ['confirm']);
  // Upstream: the call, then its retry with the client's answer under the server's key.
  const calls = readLog(stdioLog).filter((r) => r.method === 'tools/call');
  assert.equal(calls.length, 2, JSON.stringify(calls));
  assert.equal(calls[0].inputResponses, undefined);
  assert.deepEqual(calls[1].inputResponses, { confirm: { action: 'accept', content: { confirm: true } } });
  // The client's own capabilities went upstream in the envelope: the server could ask.
  assert.ok(calls[0].meta['io.modelcontextprotocol/clientCapabilities'].elicitation);
});

test('two rounds over HTTP: a name by elicitation, then a sampling completion; the server\'s requestState is sent back', async () => {
  const { client, asked } = await legacyClient({
    elicit: () => ({ action: 'accept', content: { name: 'Ada' } }),
    sample: (p) => ({ role: 'assistant', content: { type: 'text', text: `a line about ${p.messages[0].content.text.split(' ').pop()}` }, model: 'test-model' }),
  });
  const result = await client.callTool({ name: 'remote__survey', arguments: {} });
  assert.equal(text(result), 'survey of Ada: a line about Ada');
  assert.equal(asked.elicitation.length, 1);
  assert.equal(asked.sampling.length, 1);
  const calls = readLog(httpLog).filter((r) => r.method === 'tools/call' && r.headers['mcp-name'] === 'survey');
  assert.equal(calls.length, 3, JSON.stringify(calls));
  assert.equal(calls[1].requestState, undefined, 'no state after a round that gave none');
  assert.equal(calls[2].requestState, `survey:${Buffer.from('Ada').toString('base64url')}`);
  assert.deepEqual(Object.keys(calls[2].inputResponses), ['line'], 'a retry carries the answers of its own round only');
});

test('a declined elicitation goes to the server, which decides', async () => {
  const { client } = await legacyClient({ elicit: () => ({ action: 'decline' }) });
  const result = await client.callTool({ name: 'modern__deploy', arguments: { env: 'prod' } });
  assert.equal(text(result), 'not deployed to prod (decline)');
});

test('a client without the capability is not asked: the server refuses with a reason', async () => {
  const { client, asked } = await legacyClient({ capabilities: { sampling: {} }, sample: () => assert.fail('not asked') });
  const outcome = await client.callTool({ name: 'modern__deploy', arguments: { env: 'prod' } }).then(
    (r) => ({ result: r }), (e) => ({ error: e }));
  assert.equal(asked.elicitation.length, 0);
  const said = outcome.error ? `${outcome.error.code} ${outcome.error.message}` : text(outcome.result);
  assert.match(said, /elicitation/i, said);
});

// --- a 2026-07-28 client in front of 2025-11-25 servers ---

/** A 2026-07-28 client whose handlers answer what it is asked, recording it. */
async function modernClient({ capabilities = { elicitation: {}, sampling: {} }, elicit, sample } = {}) {
  const client = new ModernClient({ name: 'era-bridge-modern', version: '0.0.0' },
    { capabilities, versionNegotiation: { mode: 'auto' } });
  const asked = { elicitation: [], sampling: [] };
  if (elicit) client.setRequestHandler('elicitation/create', async (r) => { asked.elicitation.push(r.params); return elicit(r.params); });
  if (sample) client.setRequestHandler('sampling/createMessage', async (r) => { asked.sampling.push(r.params); return sample(r.params); });
  await client.connect(new ModernTransport(new URL(proxy.url)));
  closers.push(() => client.close());
  assert.equal(client.getProtocolEra(), 'modern');
  return { client, asked };
}

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
  'io.modelcontextprotocol/clientInfo': { name: 'era-bridge-raw', version: '0.0.0' },
};

/** One stateless request by hand; resolves with its JSON-RPC response (JSON or SSE). */
async function modernPost(id, method, params) {
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(params.name ? { 'mcp-name': params.name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } }),
  });
  const body = await res.text();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(body);
  const messages = body.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)));
  return messages.find((m) => m.id === id);
}

test('a 2026-07-28 client answers a 2025-11-25 server\'s elicitation: the call waits upstream for its retry', async () => {
  const { client, asked } = await modernClient({ elicit: () => ({ action: 'accept', content: { name: 'Ada', email: 'ada@example.com' } }) });
  const result = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
  assert.equal(asked.elicitation.length, 1);
  assert.ok(asked.elicitation[0].requestedSchema.properties.name, JSON.stringify(asked.elicitation[0]));
  assert.match(text(result), /User provided the requested information/);
  assert.match(text(result), /Ada/);
  await proxy.waitForOutput(/tools\/call everything__trigger-elicitation-request waits for the client's input \(1 question\(s\)\)/);
});

test('sampling too: the server gets the completion the modern client made', async () => {
  const { client, asked } = await modernClient({
    sample: (p) => ({ role: 'assistant', content: { type: 'text', text: 'sampled in 2026' }, model: 'modern-model', stopReason: 'endTurn' }),
  });
  const result = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
  assert.equal(asked.sampling.length, 1);
  assert.match(JSON.stringify(asked.sampling[0].messages), /say hi/);
  assert.match(text(result), /sampled in 2026/);
});

test('the requestState is checked: altered, for another call, or used twice, it is refused; the genuine retry completes under its own id', async () => {
  const first = await modernPost(1, 'tools/call', { name: 'everything__trigger-elicitation-request', arguments: {} });
  assert.equal(first.result?.resultType, 'input_required', JSON.stringify(first));
  const [key, question] = Object.entries(first.result.inputRequests)[0];
  assert.equal(question.method, 'elicitation/create');
  const state = first.result.requestState;
  assert.match(state, /^mcpx1\./);
  const answer = { [key]: { action: 'accept', content: { name: 'Grace' } } };
  const tampered = state.slice(0, -3) + (state.endsWith('AAA') ? 'BBB' : 'AAA');
  for (const [what, params] of [
    ['altered', { name: 'everything__trigger-elicitation-request', arguments: {}, inputResponses: answer, requestState: tampered }],
    ['another tool', { name: 'everything__echo', arguments: { message: 'x' }, inputResponses: answer, requestState: state }],
  ]) {
    const refused = await modernPost(2, 'tools/call', params);
    assert.equal(refused.error?.code, -32602, `${what}: ${JSON.stringify(refused)}`);
    assert.equal(refused.error.message, 'Invalid or expired requestState');
  }
  const done = await modernPost(3, 'tools/call', { name: 'everything__trigger-elicitation-request', arguments: {}, inputResponses: answer, requestState: state });
  assert.equal(done.id, 3);
  assert.match(done.result.content.map((c) => c.text).join('\n'), /Grace/);
  assert.equal(done.result.resultType, 'complete');
  const again = await modernPost(4, 'tools/call', { name: 'everything__trigger-elicitation-request', arguments: {}, inputResponses: answer, requestState: state });
  assert.equal(again.error?.code, -32602, JSON.stringify(again));
  assert.match(again.error.data.detail, /no longer waits/);
});

test('a retry that does not come in time: the call is cancelled upstream and its state refused', async () => {
  const first = await modernPost(10, 'tools/call', { name: 'everything__trigger-elicitation-request', arguments: {} });
  assert.equal(first.result?.resultType, 'input_required', JSON.stringify(first));
  await proxy.waitForOutput(/waited 1 s for the client's retry: cancelled/, { timeoutMs: INPUT_TIMEOUT_MS + 5000 });
  const key = Object.keys(first.result.inputRequests)[0];
  const late = await modernPost(11, 'tools/call', {
    name: 'everything__trigger-elicitation-request', arguments: {}, inputResponses: { [key]: { action: 'accept', content: { name: 'Late' } } },
    requestState: first.result.requestState,
  });
  assert.equal(late.error?.code, -32602, JSON.stringify(late));
});

test('a 2025-11-25 server\'s -32042 URL elicitation reaches a modern client as input_required; its retry succeeds', async () => {
  const { client, asked } = await modernClient({ capabilities: { elicitation: { url: {} } }, elicit: () => ({ action: 'accept' }) });
  const result = await client.callTool({ name: 'login__open_report', arguments: { id: '7' } });
  assert.equal(text(result), 'report 7 opened after sign-in');
  assert.equal(asked.elicitation.length, 1);
  assert.equal(asked.elicitation[0].mode, 'url');
  assert.equal(asked.elicitation[0].url, 'https://login.example.test/authorize');
});

test('a modern client without the capability is told so; nothing waits', async () => {
  const outcome = await modernPost(20, 'tools/call', { name: 'everything__trigger-sampling-request', arguments: { prompt: 'x' } });
  const said = JSON.stringify(outcome);
  assert.ok(outcome.error || outcome.result?.isError, said);
  assert.match(said, /sampling/);
  assert.notEqual(outcome.result?.resultType, 'input_required');
});

test('examples/era-bridge-config.json as it ships (server-everything by npx, a 2026-07-28 server by URL): both ways', async () => {
  const example = await startProxy(path.join(repoRoot, 'examples/era-bridge-config.json'), {
    env: { ...process.env, MODERN_SERVER_URL: httpUrl, MCPROXY_STATE_KEY: 'k'.repeat(40) }, cwd: repoRoot,
    extraArgs: ['--log-level', 'info'],
  });
  try {
    const legacy = new Client({ name: 'era-bridge-example', version: '0.0.0' }, { capabilities: { elicitation: {} } });
    legacy.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { confirm: true } }));
    await legacy.connect(new StreamableHTTPClientTransport(new URL(example.url)));
    closers.push(() => legacy.close());
    assert.equal(text(await legacy.callTool({ name: 'modern__deploy', arguments: { env: 'example' } })), 'deployed to example');

    const modern = new ModernClient({ name: 'era-bridge-example-modern', version: '0.0.0' },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: 'auto' } });
    modern.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Example' } }));
    await modern.connect(new ModernTransport(new URL(example.url)));
    closers.push(() => modern.close());
    const r = await modern.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    assert.match(text(r), /Example/);
  } finally {
    await example.stop();
  }
});
