// Structured cancellation through every layer, with a client middleware (logging) and a proxy
// middleware (description_enricher) in the way, against real servers: the SDK-built fixture
// (tests/interop/support/dynamic-server.mjs, which records the cancellations it receives) and
// server-everything (its long-running operation sends progress).
//   - a request its client cancels gets no response at all (spec: "receivers ... SHOULD NOT
//     send a response"): the POST ends with 202 and no body when nothing was streamed yet, or
//     its event stream just ends after the progress events;
//   - the backend is told (notifications/cancelled with its own id), through both middleware;
//   - a request still running when the shutdown grace period ends is answered -32003
//     "MCProxy is stopping" (not the timeout code).
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/cancellation.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { dynamicFixturePath, textOf, waitFor } from './support/forwarding.mjs';
import { makeTempDir, middlewareConfig } from './support/middleware.mjs';
import { connectClient, startProxy } from './support/proxy.mjs';

const PROTOCOL_VERSION = '2025-11-25';

function configWith(dir, httpServer = {}) {
  const config = middlewareConfig(
    dir,
    {
      client: { default: [{ type: 'logging', config: { payloads: false } }] },
      proxy: [{ type: 'description_enricher', config: { prefix: '[{server}] ' } }],
    },
    { servers: ['everything'] },
  );
  config.mcpServers.fixture = { command: process.execPath, args: [dynamicFixturePath] };
  Object.assign(config.httpServer, httpServer);
  return config;
}

/** A raw Streamable HTTP session: initialize + initialized; returns post(body) bound to it. */
async function rawSession(url) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0', id: 0, method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-cancel', version: '0' } },
    }),
  });
  const initText = await init.text();
  assert.equal(init.status, 200, initText);
  const session = init.headers.get('mcp-session-id');
  const sessionHeaders = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL_VERSION };
  const post = (body) => fetch(url, { method: 'POST', headers: sessionHeaders, body: JSON.stringify(body) });
  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(initialized.status, 202);
  return { post };
}

const eventsOf = (text) =>
  text
    .split(/\r?\n\r?\n/)
    .map((e) => e.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join(''))
    .filter(Boolean)
    .map((d) => JSON.parse(d));

describe('a request its client cancels', () => {
  const dir = makeTempDir('mcproxy-cancel-');
  let proxy;
  let raw;
  let client;

  before(async () => {
    proxy = await startProxy(configWith(dir));
    raw = await rawSession(proxy.url);
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('nothing streamed yet: the POST ends with 202 and no body, and the backend is told', async () => {
    const label = `raw-cancel-${process.pid}`;
    const pending = raw.post({
      jsonrpc: '2.0', id: 41, method: 'tools/call',
      params: { name: 'fixture__wait-for-cancel', arguments: { label } },
    });
    await sleep(500);  // the call is at the fixture now
    const cancel = await raw.post({
      jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 41, reason: 'test' },
    });
    assert.equal(cancel.status, 202);
    const res = await pending;
    const body = await res.text();
    assert.equal(res.status, 202, `expected no response, got ${res.status}: ${body}`);
    assert.equal(body, '');

    const labels = await waitFor(
      async () => {
        const r = await client.callTool({ name: 'fixture__cancelled-labels', arguments: {} });
        const list = JSON.parse(textOf(r));
        return list.includes(label) ? list : null;
      },
      { timeoutMs: 5000, intervalMs: 200, what: `the fixture to see ${label} cancelled` },
    );
    assert.deepEqual(labels.filter((l) => l === label), [label]);
    await proxy.waitForOutput(/req#\d+ tools\/call cancelled by the client after \d+ us: no response/);
  });

  test('progress already streamed: the event stream ends after it, with no response in it', async () => {
    const pending = raw.post({
      jsonrpc: '2.0', id: 42, method: 'tools/call',
      params: {
        name: 'everything__trigger-long-running-operation',
        arguments: { duration: 30, steps: 30 },
        _meta: { progressToken: 'p42' },
      },
    });
    const res = await pending;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // Read until the first progress event, then cancel, then read to the end of the stream.
    while (!text.includes('notifications/progress')) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the stream ended before any progress: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    const cancel = await raw.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 42 } });
    assert.equal(cancel.status, 202);
    const started = Date.now();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.ok(Date.now() - started < 10_000, 'the stream did not end promptly after the cancel');
    const events = eventsOf(text);
    assert.ok(events.length >= 1);
    for (const e of events) {
      assert.equal(e.method, 'notifications/progress', `a non-progress message on a cancelled request's stream: ${JSON.stringify(e)}`);
      assert.equal(e.params.progressToken, 'p42');
    }
    assert.ok(!events.some((e) => e.id === 42), 'a response was sent to a cancelled request');
  });

  test('the session keeps working, through both middleware', async () => {
    const r = await raw.post({ jsonrpc: '2.0', id: 43, method: 'tools/list', params: {} });
    const text = await r.text();
    const message = text.startsWith('{') ? JSON.parse(text) : eventsOf(text).at(-1);
    const echo = message.result.tools.find((t) => t.name === 'everything__echo');
    assert.match(echo.description, /^\[everything\] /);  // the proxy middleware ran
  });
});

describe('a request still running at shutdown', () => {
  const dir = makeTempDir('mcproxy-cancel-stop-');
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(configWith(dir, { shutdownGraceSeconds: 1 }));
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('is answered -32003 "MCProxy is stopping" once the grace period is over', async () => {
    const call = client.callTool({ name: 'fixture__wait-for-cancel', arguments: { label: 'at-shutdown' } }).then(
      (r) => ({ result: r }),
      (e) => ({ error: e }),
    );
    await sleep(500);
    const t0 = Date.now();
    proxy.proc.kill('SIGTERM');
    const outcome = await call;
    assert.ok(outcome.error, `expected an error, got ${JSON.stringify(outcome.result)}`);
    assert.equal(outcome.error.code, -32003, outcome.error.message);
    assert.match(outcome.error.message, /MCProxy is stopping/);
    assert.ok(Date.now() - t0 >= 900, 'answered before the grace period ended');
    await proxy.waitForOutput(/requests still running after the grace period: cancelling them/);
  });
});
