// Remote backends: the real server-everything in its Streamable HTTP mode and in its legacy
// HTTP+SSE mode behind one proxy (`type: "streamable-http"`, `type: "sse"`, and no type on the
// SSE server, which must be auto-detected), seen by the official SDK client: the merged
// catalogue, tool calls, progress, sampling, resource subscriptions and /health. A tiny
// recording server (support/remote.mjs) shows which headers reach a remote backend:
// configured `headers`, `auth` from an environment variable, and never the downstream client's
// own Authorization.
//
// server-everything has no host option: support/loopback-listen.cjs makes it listen on
// 127.0.0.1 only.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/remote.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { connectRecordingClient, textOf, waitFor, waitForTools } from './support/forwarding.mjs';
import { listAll, serverPaths, startProxy } from './support/proxy.mjs';
import { backendOf, healthOf, startEverythingHttp, startHeaderRecorder } from './support/remote.mjs';

const FAST_RECONNECT = { initialDelayMs: 200, maxDelayMs: 1000 };
const TOKEN_VAR = 'MCPROXY_INTEROP_REMOTE_TOKEN';
const TOKEN = `remote-token-${process.pid}-${Date.now()}`;
const DOWNSTREAM_SECRET = `downstream-secret-${process.pid}`;
const CUSTOM_HEADER = 'X-MCProxy-Interop';
const CUSTOM_VALUE = `custom-${process.pid}`;
// server-everything behind the first proxy: type streamable-http, type sse, no type (on the SSE server)
const EVERYTHING_BACKENDS = ['shttp', 'legacy', 'detected'];
const DOC_PREFIX = 'demo://resource/static/document/';

async function closeAll(...rcs) {
  await Promise.all(
    rcs.filter(Boolean).map(async (rc) => {
      await rc.client.transport?.terminateSession?.().catch(() => {});
      await rc.client.close().catch(() => {});
    }),
  );
}

// One server-everything per HTTP mode and one recorder serve every proxy of this file.
let streamable;
let legacy;
let recorder;

before(async () => {
  [streamable, legacy, recorder] = await Promise.all([
    startEverythingHttp('streamableHttp'),
    startEverythingHttp('sse'),
    startHeaderRecorder(),
  ]);
});

after(async () => {
  await Promise.all([streamable?.kill(), legacy?.kill(), recorder?.close()]);
});

describe('remote backends: server-everything over Streamable HTTP and legacy SSE', () => {
  let proxy;
  let rc;

  before(async () => {
    proxy = await startProxy(
      {
        mcpServers: {
          shttp: { url: streamable.url, type: 'streamable-http', reconnect: FAST_RECONNECT },
          legacy: { url: legacy.url, type: 'sse', reconnect: FAST_RECONNECT },
          detected: { url: legacy.url, reconnect: FAST_RECONNECT },
          recorder: {
            url: recorder.url,
            type: 'streamable-http',
            headers: { [CUSTOM_HEADER]: CUSTOM_VALUE },
            auth: { type: 'bearer', token: `\${${TOKEN_VAR}}` },
            reconnect: FAST_RECONNECT,
          },
        },
      },
      { env: { ...process.env, [TOKEN_VAR]: TOKEN } },
    );
    rc = await connectRecordingClient(proxy.url, { tag: 'remote' });
  });

  after(async () => {
    await closeAll(rc);
    await proxy?.stop();
  });

  test('/health: every remote backend is up, with its transport and url', async () => {
    const health = await healthOf(proxy);
    const expected = {
      shttp: { transport: 'streamable-http', url: streamable.url },
      legacy: { transport: 'sse', url: legacy.url },
      recorder: { transport: 'streamable-http', url: recorder.url },
    };
    for (const [name, want] of Object.entries(expected)) {
      const b = backendOf(health, name);
      assert.equal(b.state, 'up', JSON.stringify(b));
      assert.equal(b.transport, want.transport, JSON.stringify(b));
      assert.equal(b.url, want.url, JSON.stringify(b));
      assert.equal(b.lastError, null, JSON.stringify(b));
      assert.ok(!('pid' in b), `a remote backend has no pid: ${JSON.stringify(b)}`);
    }
    // No type: /health names the configured mode; the log says which one was found.
    const detected = backendOf(health, 'detected');
    assert.equal(detected.state, 'up', JSON.stringify(detected));
    assert.ok(['auto', 'sse'].includes(detected.transport), JSON.stringify(detected));
    assert.equal(detected.url, legacy.url);
    await proxy.waitForOutput(/\[detected\] initialize got HTTP 4\d\d: trying the legacy HTTP\+SSE transport/);
    assert.equal(health.status, 'ok', JSON.stringify(health));
  });

  test('the catalogue has the three prefixed server-everything sets and the recorder’s tool', async () => {
    // The sampling-gated tool appears once server-everything has seen the upstream capabilities.
    const names = await waitForTools(
      rc.client,
      EVERYTHING_BACKENDS.map((b) => `${b}__trigger-sampling-request`),
      { timeoutMs: 10_000 },
    );
    const sets = Object.fromEntries(
      EVERYTHING_BACKENDS.map((b) => [
        b,
        names.filter((n) => n.startsWith(`${b}__`)).map((n) => n.slice(b.length + 2)).sort(),
      ]),
    );
    assert.ok(sets.shttp.length >= 10, `shttp tools: ${sets.shttp}`);
    assert.ok(sets.shttp.includes('echo') && sets.shttp.includes('trigger-long-running-operation'), `${sets.shttp}`);
    assert.deepEqual(sets.legacy, sets.shttp, 'legacy SSE and Streamable HTTP list the same tools');
    assert.deepEqual(sets.detected, sets.shttp, 'auto-detected and Streamable HTTP list the same tools');
    assert.ok(names.includes('recorder__whoami'), names.join(', '));

    const prompts = (await listAll(rc.client, 'prompts')).map((p) => p.name);
    for (const b of EVERYTHING_BACKENDS)
      assert.ok(prompts.some((p) => p.startsWith(`${b}__`)), `no prompt of ${b}: ${prompts}`);
  });

  for (const backend of EVERYTHING_BACKENDS) {
    test(`${backend}: echo`, async () => {
      const message = `hello ${backend} ${Math.random().toString(36).slice(2)}`;
      const result = await rc.client.callTool({ name: `${backend}__echo`, arguments: { message } });
      assert.equal(textOf(result), `Echo: ${message}`);
    });

    test(`${backend}: progress of trigger-long-running-operation reaches onprogress`, async () => {
      const events = [];
      const result = await rc.client.callTool(
        { name: `${backend}__trigger-long-running-operation`, arguments: { duration: 1.2, steps: 3 } },
        undefined,
        { onprogress: (p) => events.push(p), timeout: 20_000 },
      );
      assert.match(textOf(result), /Steps: 3\./);
      assert.deepEqual(events.map((e) => e.progress), [1, 2, 3], JSON.stringify(events));
      for (const e of events) assert.equal(e.total, 3, JSON.stringify(e));
    });
  }

  for (const backend of ['shttp', 'legacy']) {
    test(`${backend}: sampling round-trips through the calling client`, async () => {
      await waitForTools(rc.client, [`${backend}__trigger-sampling-request`], { timeoutMs: 10_000 });
      const before = rc.seen.sampling.length;
      const prompt = `remote sampling via ${backend}`;
      const result = await rc.client.callTool(
        { name: `${backend}__trigger-sampling-request`, arguments: { prompt, maxTokens: 21 } },
        undefined,
        { timeout: 20_000 },
      );
      assert.notEqual(result.isError, true, textOf(result));
      assert.match(textOf(result), /sampled-by-remote/);
      assert.match(textOf(result), /model-of-remote/);
      const asked = rc.seen.sampling.slice(before);
      assert.equal(asked.length, 1, JSON.stringify(asked));
      assert.equal(asked[0].maxTokens, 21);
      assert.match(asked[0].messages[0].content.text, new RegExp(prompt));
    });

    test(`${backend}: resources/list_changed (gzip-file-as-resource) reaches the client; the resource is listed`, async () => {
      // server-everything sends this notification outside any request: over Streamable HTTP it
      // travels on the standalone GET stream, over legacy SSE on the one event stream.
      const changedBefore = rc.seen.resourcesChanged;
      const name = `${backend}-${process.pid}.txt.gz`;
      const uri = `demo://resource/session/${name}`;
      const made = await rc.client.callTool({
        name: `${backend}__gzip-file-as-resource`,
        arguments: { name, data: 'data:text/plain;base64,aGVsbG8gcmVtb3Rl', outputType: 'resourceLink' },
      });
      assert.notEqual(made.isError, true, JSON.stringify(made));
      await waitFor(() => rc.seen.resourcesChanged > changedBefore, {
        timeoutMs: 5000,
        what: `notifications/resources/list_changed from ${backend}`,
      });
      const uris = (await listAll(rc.client, 'resources')).map((r) => r.uri);
      assert.ok(uris.includes(uri), `${uri} not in ${uris.join(', ')}`);
    });
  }

  test('headers: configured headers and bearer auth reach the backend; the client’s Authorization does not', async () => {
    // A second client that sends its own Authorization header to the proxy.
    const client = new Client({ name: 'remote-auth', version: '0.0.0' }, { capabilities: {} });
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url), {
      requestInit: { headers: { Authorization: `Bearer ${DOWNSTREAM_SECRET}` } },
    });
    await client.connect(transport);
    try {
      const seenBefore = recorder.requests.length;
      const result = await client.callTool({ name: 'recorder__whoami', arguments: {} });
      assert.equal(textOf(result), 'recorded');

      const calls = recorder.requests.filter((r) => r.body.includes('"tools/call"'));
      assert.ok(recorder.requests.length > seenBefore && calls.length >= 1, 'the call reached the recorder');
      // Every request the proxy made: initialize, tools/list, the call, pings...
      assert.ok(recorder.requests.length >= 3, JSON.stringify(recorder.requests.map((r) => r.body)));
      for (const r of recorder.requests) {
        assert.equal(r.headers[CUSTOM_HEADER.toLowerCase()], CUSTOM_VALUE, `${r.method} ${r.body}`);
        assert.equal(r.headers.authorization, `Bearer ${TOKEN}`, `${r.method} ${r.body}`);
        const all = JSON.stringify(r.headers);
        assert.ok(!all.includes(DOWNSTREAM_SECRET), `the client's Authorization was forwarded: ${all}`);
      }
      const init = recorder.requests.find((r) => r.body.includes('"initialize"'));
      assert.ok(init, 'initialize was recorded');
      assert.match(calls.at(-1).headers['mcp-session-id'] ?? '', /^recorder-/, 'the session id is sent back');
      // Credentials from the configuration are never logged.
      assert.ok(!proxy.output().includes(TOKEN), 'the bearer token appears in the proxy log');
      assert.ok(!proxy.output().includes(DOWNSTREAM_SECRET), 'the client secret appears in the proxy log');
    } finally {
      await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    }
  });
});

// Each mode alone behind its own proxy, so that the static resource URIs every server-everything
// lists belong to exactly one backend and the subscription cannot go elsewhere.
for (const [backend, type] of [
  ['shttp', 'streamable-http'],
  ['legacy', 'sse'],
]) {
  describe(`resource subscriptions through a ${type} backend`, () => {
    let proxy;
    let rc;

    before(async () => {
      const url = type === 'sse' ? legacy.url : streamable.url;
      proxy = await startProxy({ mcpServers: { [backend]: { url, type, reconnect: FAST_RECONNECT } } });
      rc = await connectRecordingClient(proxy.url, { tag: `subscriber-${backend}` });
    });

    after(async () => {
      await closeAll(rc);
      await proxy?.stop();
    });

    test(`${backend}: resources/updated after subscribe + toggle-subscriber-updates reaches the subscriber`, async () => {
      // Sent by server-everything outside any request (at once, then every 5 s): over Streamable
      // HTTP it travels on the standalone GET stream.
      const docs = (await listAll(rc.client, 'resources')).filter((r) => r.uri.startsWith(DOC_PREFIX));
      assert.ok(docs.length >= 1, 'static documents listed');
      const uri = docs[0].uri;
      await rc.client.subscribeResource({ uri });
      const on = await rc.client.callTool({ name: `${backend}__toggle-subscriber-updates`, arguments: {} });
      assert.match(textOf(on), /Started simulated resource updated/);
      try {
        await waitFor(() => rc.seen.updated.includes(uri), {
          timeoutMs: 7000,
          what: `resources/updated for ${uri} (got ${JSON.stringify(rc.seen.updated)})`,
        });
      } finally {
        const off = await rc.client.callTool({ name: `${backend}__toggle-subscriber-updates`, arguments: {} });
        assert.match(textOf(off), /Stopped simulated resource updates/);
        await rc.client.unsubscribeResource({ uri });
      }
    });
  });
}

describe('a remote backend listed before a stdio backend', () => {
  let proxy;

  before(async () => {
    // The two start together: the stdio child is spawned while the remote one is connecting.
    proxy = await startProxy({
      mcpServers: {
        first: { url: streamable.url, type: 'streamable-http', startupTimeoutMs: 5000, reconnect: FAST_RECONNECT },
        local: { command: process.execPath, args: [serverPaths().everything] },
      },
    });
  });

  after(async () => {
    await proxy?.stop();
  });

  test('both are up when the proxy starts listening, and the remote one answers', async () => {
    const health = await healthOf(proxy);
    const first = backendOf(health, 'first');
    assert.equal(first.state, 'up', JSON.stringify(first));
    assert.equal(first.reconnects, 0, JSON.stringify(first));
    assert.equal(first.lastError, null, JSON.stringify(first));
    assert.equal(backendOf(health, 'local').state, 'up');
    const rc = await connectRecordingClient(proxy.url, { tag: 'mixed' });
    try {
      const r = await rc.client.callTool({ name: 'first__echo', arguments: { message: 'mixed' } });
      assert.equal(textOf(r), 'Echo: mixed');
    } finally {
      await closeAll(rc);
    }
  });
});
