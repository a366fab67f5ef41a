// JSON nesting depth, both ways (issue 10, defects 8 and 11). Depth here is the nesting of
// objects and arrays of the whole JSON-RPC message ({"jsonrpc":…} itself is level 1).
//
// - From backends: a reply 60 levels deep is accepted and passed on intact; one 100 levels
//   deep gets the caller an error naming the backend at once, not a timeout (baseline: any
//   line deeper than Boost.JSON's default of 32 is dropped with a warning and the caller waits
//   for requestTimeoutMs).
// - From clients: `httpServer.maxJsonDepth` (a new setting, default 64, the same limit both
//   ways): a request nested 60 levels deep inside tool arguments reaches the backend intact, one
//   100 levels deep is refused with a JSON-RPC error whose message names `maxJsonDepth`, and the
//   session stays usable. With the setting raised to 100, 80 levels pass both ways.
//
// The backend is support/raw-backend.mjs (SDK-free fixture): `nest` answers with a reply of
// the depth asked for, `echo-arguments` sends the arguments back as structuredContent, so a
// deep request comes back exactly as the backend got it. server-everything's `echo` takes a
// string and cannot carry structure.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/limits-json.test.mjs
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import { rawSession, textOf } from './support/forwarding.mjs';
import { connectClient, startProxy } from './support/proxy.mjs';

const rawBackendPath = fileURLToPath(new URL('./support/raw-backend.mjs', import.meta.url));
// Long enough that a timeout is unmistakable, short enough to keep the baseline run bounded.
const REQUEST_TIMEOUT_MS = 10_000;

/** `levels` nested objects: {"d": {"d": ... {"leaf": "bottom"}}} (same shape as the fixture's). */
function nested(levels) {
  let v = { leaf: 'bottom' };
  for (let i = 1; i < levels; i++) v = { d: v };
  return v;
}

/** Nesting depth of a JSON value (a scalar is 0, {} or [] is 1). */
function depthOf(value) {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  for (const v of Object.values(value)) max = Math.max(max, depthOf(v));
  return max + 1;
}

/** A tools/call of echo-arguments whose whole message is `depth` levels deep. */
function deepCall(id, depth) {
  // message (1) > params (2) > arguments (3) > v: nested(depth - 3)
  const message = {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'raw__echo-arguments', arguments: { v: nested(depth - 3) } },
  };
  assert.equal(depthOf(message), depth);
  return message;
}

function fixtureConfig(httpServer) {
  const config = {
    mcpServers: {
      raw: { command: process.execPath, args: [rawBackendPath], requestTimeoutMs: REQUEST_TIMEOUT_MS },
    },
  };
  if (httpServer) config.httpServer = httpServer;
  return config;
}

/** Every JSON-RPC message of one raw POST. */
async function exchange(session, message) {
  const res = await session.post(message, { signal: AbortSignal.timeout(30_000) });
  const messages = [];
  for await (const m of res.messages) messages.push(m);
  return { status: res.status, messages };
}

describe('deep replies from a backend (default limit)', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(fixtureConfig());
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
  });

  test('a reply 60 levels deep is accepted and passed on intact', { timeout: 30_000 }, async () => {
    const result = await client.callTool({ name: 'raw__nest', arguments: { depth: 60 } });
    assert.equal(textOf(result), 'nested 60');
    assert.deepEqual(result.structuredContent, nested(58));
    assert.equal(depthOf({ result }), 60, 'the reply as the client got it (message level + result)');
  });

  test('a reply 100 levels deep: an error naming the backend, not a timeout', { timeout: 30_000 }, async () => {
    let error;
    try {
      const r = await client.callTool({ name: 'raw__nest', arguments: { depth: 100 } });
      assert.fail(`expected an error, got a result ${JSON.stringify(r).length} characters long`);
    } catch (err) {
      if (err?.code === 'ERR_ASSERTION') throw err;
      error = err;
    }
    assert.ok(error instanceof McpError, `not an McpError: ${error}`);
    assert.notEqual(error.code, ErrorCode.RequestTimeout, `the caller waited for the timeout: ${error.message}`);
    assert.doesNotMatch(error.message, /within \d+ ms|requestTimeoutMs/, error.message);
    assert.match(error.message, /\braw\b/, `the error names the backend: ${error.message}`);
  });

  test('the backend and the session keep working after a too-deep reply', async () => {
    const result = await client.callTool({ name: 'raw__nest', arguments: { depth: 10 } });
    assert.deepEqual(result.structuredContent, nested(8));
  });
});

describe('deep requests from a client: httpServer.maxJsonDepth (default 64)', () => {
  let proxy;

  before(async () => {
    proxy = await startProxy(fixtureConfig());
  });

  after(async () => {
    await proxy?.stop();
  });

  test('a tools/call 60 levels deep reaches the backend intact (SDK client)', { timeout: 30_000 }, async () => {
    const client = await connectClient(proxy.url);
    try {
      const { params } = deepCall(1, 60);
      const result = await client.callTool(params);
      assert.equal(textOf(result), 'echoed');
      assert.deepEqual(result.structuredContent, params.arguments);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test('a request 100 levels deep is refused with an error naming maxJsonDepth; the session stays usable', async () => {
    const session = await rawSession(proxy.url);
    try {
      const refused = await exchange(session, deepCall(2, 100));
      const error = refused.messages.find((m) => m.error)?.error;
      assert.ok(error, `no JSON-RPC error (HTTP ${refused.status}): ${JSON.stringify(refused.messages).slice(0, 300)}`);
      assert.match(error.message, /maxJsonDepth/, `the error names the setting: ${JSON.stringify(error)}`);

      const ok = await exchange(session, deepCall(3, 20));
      const reply = ok.messages.find((m) => m.id === 3);
      assert.ok(reply?.result, JSON.stringify(ok));
      assert.deepEqual(reply.result.structuredContent, deepCall(3, 20).params.arguments);
    } finally {
      await session.close();
    }
  });
});

describe('httpServer.maxJsonDepth: 100 raises the limit both ways', () => {
  let proxy;

  before(async () => {
    proxy = await startProxy(fixtureConfig({ maxJsonDepth: 100 }));
  });

  after(async () => {
    await proxy?.stop();
  });

  test('80 levels pass: the request reaches the backend and its 80-level echo comes back', { timeout: 30_000 }, async () => {
    const session = await rawSession(proxy.url);
    try {
      const sent = deepCall(4, 80);
      const answer = await exchange(session, sent);
      const reply = answer.messages.find((m) => m.id === 4);
      assert.ok(reply?.result, `no result: ${JSON.stringify(answer.messages).slice(0, 300)}`);
      assert.deepEqual(reply.result.structuredContent, sent.params.arguments);
      assert.equal(depthOf(reply), 80);
    } finally {
      await session.close();
    }
  });

  test('110 levels are still refused, naming maxJsonDepth', async () => {
    const session = await rawSession(proxy.url);
    try {
      const refused = await exchange(session, deepCall(5, 110));
      const error = refused.messages.find((m) => m.error)?.error;
      assert.ok(error, `no JSON-RPC error (HTTP ${refused.status}): ${JSON.stringify(refused.messages).slice(0, 300)}`);
      assert.match(error.message, /maxJsonDepth/, JSON.stringify(error));
    } finally {
      await session.close();
    }
  });
});
