// MCProxy's legacy HTTP+SSE downstream transport (2024-11-05: GET /sse + POST /messages),
// spoken to by the official TypeScript SDK's SSEClientTransport: tools, sampling, progress,
// session end on disconnect; plus raw HTTP checks (unknown session, foreign Origin).
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/legacy-sse.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { textOf, waitFor, waitForTools } from './support/forwarding.mjs';
import { listAll, startProxy, threeServerConfig } from './support/proxy.mjs';

/** An SDK client over the legacy transport; records the sampling requests it answers. */
async function connectSse(baseUrl, { capabilities = {} } = {}) {
  const client = new Client({ name: 'legacy-sse-test', version: '0.0.0' }, { capabilities });
  const sampling = [];
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      sampling.push(request.params);
      return {
        role: 'assistant',
        content: { type: 'text', text: 'sampled-over-sse' },
        model: 'model-over-sse',
        stopReason: 'endTurn',
      };
    });
  }
  await client.connect(new SSEClientTransport(new URL('/sse', baseUrl)));
  return { client, sampling };
}

/** The events of an SSE response as an async iterator of {event, data} (comments skipped). */
async function* sseEvents(res) {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

async function sessionCount(baseUrl) {
  const res = await fetch(new URL('/health', baseUrl));
  return (await res.json()).sessions;
}

describe('legacy HTTP+SSE transport', () => {
  let proxy;
  let base; // http://127.0.0.1:<port>
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-legacy-sse-'));
    const config = threeServerConfig(dir);
    config.mcpServers.everything.sessionMode = 'per-client';
    proxy = await startProxy(config);
    base = new URL(proxy.url).origin;
  });

  after(async () => {
    await proxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('listTools shows the prefixed tools; everything__echo works', async () => {
    const { client } = await connectSse(base);
    try {
      const names = (await listAll(client, 'tools')).map((t) => t.name);
      for (const prefix of ['everything__', 'filesystem__', 'memory__'])
        assert.ok(names.some((n) => n.startsWith(prefix)), `${prefix}*: ${names.join(', ')}`);
      const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'over sse' } });
      assert.match(textOf(result), /over sse/);
    } finally {
      await client.close();
    }
  });

  test('sampling round-trips through the SSE stream and POST /messages', async () => {
    const { client, sampling } = await connectSse(base, { capabilities: { sampling: {} } });
    try {
      await waitForTools(client, ['everything__trigger-sampling-request']);
      const result = await client.callTool({
        name: 'everything__trigger-sampling-request',
        arguments: { prompt: 'legacy prompt', maxTokens: 17 },
      });
      assert.notEqual(result.isError, true, textOf(result));
      assert.match(textOf(result), /sampled-over-sse/);
      assert.equal(sampling.length, 1);
      assert.equal(sampling[0].maxTokens, 17);
      assert.match(sampling[0].messages[0].content.text, /legacy prompt/);
    } finally {
      await client.close();
    }
  });

  test('progress notifications reach onprogress', async () => {
    const { client } = await connectSse(base);
    client.onerror = () => {};
    try {
      const events = [];
      const result = await client.callTool(
        { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
        undefined,
        { onprogress: (p) => events.push(p) },
      );
      assert.match(textOf(result), /Steps: 3/);
      // SSEClientTransport (SDK 1.x) dispatches every event of a chunk synchronously but runs
      // notification handlers in a microtask: a last progress notification that arrives with
      // the response is dropped (the same with server-everything's own SSE transport). The
      // raw test below checks that the proxy sends all of them, before the response.
      const got = events.map((e) => e.progress);
      assert.ok(got.length >= 2, JSON.stringify(events));
      assert.deepEqual(got, [1, 2, 3].slice(0, got.length));
      for (const e of events) assert.equal(e.total, 3);
    } finally {
      await client.close();
    }
  });

  test('closing the client ends its session', async () => {
    // The clients of the tests above are closed, but their sessions end as their streams do:
    // on a loaded machine (ThreadSanitizer, 4 threads) that may still be under way.
    await waitFor(async () => (await sessionCount(base)) === 0, {
      timeoutMs: 5000,
      what: 'the sessions of the tests above to end',
    });
    const { client } = await connectSse(base);
    try {
      await client.listTools();
      assert.equal(await sessionCount(base), 1);
    } finally {
      await client.close();  // (a failed check must not leave the stream holding the test open)
    }
    await waitFor(async () => (await sessionCount(base)) === 0, {
      timeoutMs: 5000,
      what: 'the session count to drop back to 0',
    });
  });

  test('raw: endpoint event, 202 and replies on the stream, -32700, 404 once the stream is closed', async () => {
    const controller = new AbortController();
    const res = await fetch(new URL('/sse', base), {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    const events = sseEvents(res);
    const first = await events.next();
    assert.equal(first.value.event, 'endpoint');
    assert.match(first.value.data, /^\/messages\?sessionId=[0-9a-f]{32}$/);
    const endpoint = new URL(first.value.data, base);
    const post = (body) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    /** The next `event: message` on the stream, parsed (keep-alive comments are skipped). */
    const nextMessage = async () => {
      const { value } = await events.next();
      assert.equal(value.event, 'message');
      return JSON.parse(value.data);
    };

    const bad = await post('{not json');
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, -32700);

    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    assert.equal(init.status, 202);
    assert.equal(await init.text(), '');
    const initialized = await nextMessage();
    assert.equal(initialized.id, 1);
    assert.equal(initialized.result.protocolVersion, '2024-11-05');
    assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);

    const call = await post({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: {
        name: 'everything__trigger-long-running-operation',
        arguments: { duration: 0.3, steps: 3 },
        _meta: { progressToken: 'raw-token' },
      },
    });
    assert.equal(call.status, 202);
    const seen = [];
    for (;;) {
      const m = await nextMessage();
      // Only this call's progress and its response (server-everything may send others).
      if (m.method !== 'notifications/progress' && m.id !== 2) continue;
      seen.push(m);
      if (m.id === 2) break;
    }
    assert.deepEqual(
      seen.slice(0, -1).map((m) => [m.method, m.params.progressToken, m.params.progress]),
      [1, 2, 3].map((i) => ['notifications/progress', 'raw-token', i]),
    );
    assert.match(seen.at(-1).result.content[0].text, /Steps: 3/);

    controller.abort();
    await waitFor(async () => (await post({ jsonrpc: '2.0', id: 3, method: 'ping' })).status === 404, {
      timeoutMs: 5000,
      what: 'POST to an ended session to get 404',
    });
  });

  test('POST /messages with an unknown sessionId → 404', async () => {
    const res = await fetch(new URL('/messages?sessionId=00000000000000000000000000000000', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, -32001);
  });

  test('GET /sse from a foreign Origin → 403', async () => {
    const before = await sessionCount(base);
    const res = await fetch(new URL('/sse', base), {
      headers: { accept: 'text/event-stream', origin: 'http://evil.example' },
    });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    assert.equal(await sessionCount(base), before);
  });

  test('shutdown ends an open SSE stream (last: stops the proxy)', async () => {
    const res = await fetch(new URL('/sse', base), { headers: { accept: 'text/event-stream' } });
    assert.equal(res.status, 200);
    const text = res.text().catch((e) => `aborted: ${e}`);
    assert.equal(await proxy.stop(), 0);
    assert.match(await text, /^event: endpoint\n/);
  });
});
