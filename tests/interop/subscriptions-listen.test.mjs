// subscriptions/listen, the 2026-07-28 replacement of the GET stream and resources/subscribe,
// through MCProxy in both directions:
//   - at the edge, a stateless client's listen request is acknowledged with what is honoured
//     (notifications/subscriptions/acknowledged first), then carries the list changes it chose
//     and the updates of the resources it named, each tagged with its subscriptionId;
//   - upstream, MCProxy keeps a listen stream open to each 2026-07-28 server, so that its list
//     changes reach clients of both eras.
// Servers: server-everything (2025-11-25: list changes, resources/subscribe and simulated
// updates) and the SDK v2 conformance fixture (2026-07-28, over stdio: tools that announce a
// tools or prompts list change). Clients: raw 2026-07-28 requests, and the SDK v1 client.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/subscriptions-listen.test.mjs
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PromptListChangedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { waitFor } from './support/forwarding.mjs';
import { serverPaths, startProxy } from './support/proxy.mjs';

const fixture = fileURLToPath(new URL('../conformance/modern-fixture-server.mjs', import.meta.url));
let proxy;
const closers = [];

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'listen-test', version: '0.0.0' },
};
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

before(async () => {
  proxy = await startProxy({
    mcpServers: {
      everything: { command: process.execPath, args: [serverPaths().everything] },
      fixture: { command: process.execPath, args: [fixture] },
    },
  }, { extraArgs: ['--log-level', 'debug'] });
});

after(async () => {
  for (const close of closers) await close().catch(() => {});
  await proxy?.stop();
});

function headers(method) {
  return {
    'content-type': 'application/json', accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28', 'mcp-method': method,
  };
}

/** A stateless request; resolves with its JSON-RPC response. */
async function modernCall(id, method, params) {
  const res = await fetch(proxy.url, {
    method: 'POST', headers: { ...headers(method), ...(params.name ? { 'mcp-name': params.name } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } }),
  });
  const body = await res.text();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(body);
  return body.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5))).find((m) => m.id === id);
}

/** Opens a listen stream; its events are collected as they come. */
async function listen(id, notifications) {
  const abort = new AbortController();
  const res = await fetch(proxy.url, {
    method: 'POST', headers: headers('subscriptions/listen'), signal: abort.signal,
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications, _meta: ENVELOPE } }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events = [];
  const reader = res.body.getReader();
  const done = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buffer += Buffer.from(value).toString('utf8');
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const chunk = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          for (const line of chunk.split('\n')) if (line.startsWith('data:')) events.push(JSON.parse(line.slice(5)));
        }
      }
    } catch { /* aborted */ }
  })();
  const close = async () => { abort.abort(); await done; };
  closers.push(close);
  return { events, close, done };
}

async function legacyClient() {
  const client = new Client({ name: 'listen-legacy', version: '0.0.0' }, { capabilities: {} });
  const seen = { tools: 0, prompts: 0 };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { seen.tools += 1; });
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => { seen.prompts += 1; });
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  closers.push(() => client.close());
  return { client, seen };
}

test('server/discover tells a stateless client that lists change and resources can be followed', async () => {
  const discovered = await modernCall(1, 'server/discover', {});
  assert.equal(discovered.result.capabilities.tools.listChanged, true, JSON.stringify(discovered));
  assert.equal(discovered.result.capabilities.resources.subscribe, true);
});

test('a listen stream: acknowledged first, then only the list changes it chose, from a 2026-07-28 server, tagged with its id', async () => {
  const { client, seen } = await legacyClient();
  const stream = await listen('listen-1', { toolsListChanged: true, promptsListChanged: false });
  await waitFor(() => stream.events.length >= 1, { what: 'the acknowledgement' });
  const [ack] = stream.events;
  assert.equal(ack.method, 'notifications/subscriptions/acknowledged');
  assert.deepEqual(ack.params.notifications, { toolsListChanged: true }, 'what was asked for and is honoured');
  assert.equal(ack.params._meta[SUBSCRIPTION_ID], 'listen-1');

  // The fixture announces its changes on the listen stream MCProxy keeps open to it.
  const changed = await client.callTool({ name: 'fixture__test_trigger_tool_change', arguments: {} });
  assert.match(changed.content[0].text, /announced/);
  await waitFor(() => stream.events.some((e) => e.method === 'notifications/tools/list_changed'),
    { timeoutMs: 5000, what: 'tools/list_changed on the listen stream' });
  const note = stream.events.find((e) => e.method === 'notifications/tools/list_changed');
  assert.equal(note.params._meta[SUBSCRIPTION_ID], 'listen-1');
  await waitFor(() => seen.tools > 0, { what: 'tools/list_changed for the 2025-11-25 client' });

  // Not chosen: prompts. The 2025-11-25 client hears it; the stream does not.
  await client.callTool({ name: 'fixture__test_trigger_prompt_change', arguments: {} });
  await waitFor(() => seen.prompts > 0, { what: 'prompts/list_changed for the 2025-11-25 client' });
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!stream.events.some((e) => e.method === 'notifications/prompts/list_changed'), JSON.stringify(stream.events));
  await stream.close();
});

test('resource updates of a 2025-11-25 server reach the listen stream that named the resource, and no other', async () => {
  const resources = await modernCall(2, 'resources/list', {});
  const uri = resources.result.resources.find((r) => r.uri.startsWith('demo://resource/static/document/'))?.uri;
  assert.ok(uri, JSON.stringify(resources.result.resources.map((r) => r.uri)));
  const follower = await listen('follow-1', { resourceSubscriptions: [uri] });
  const bystander = await listen('bystander-1', { toolsListChanged: true });
  await waitFor(() => follower.events.length >= 1 && bystander.events.length >= 1, { what: 'both acknowledgements' });
  assert.deepEqual(follower.events[0].params.notifications, { resourceSubscriptions: [uri] });
  const on = await modernCall(3, 'tools/call', { name: 'everything__toggle-subscriber-updates', arguments: {} });
  assert.match(on.result.content[0].text, /Started simulated resource updated/);
  try {
    await waitFor(() => follower.events.some((e) => e.method === 'notifications/resources/updated'),
      { timeoutMs: 8000, what: `resources/updated for ${uri}` });
    const update = follower.events.find((e) => e.method === 'notifications/resources/updated');
    assert.equal(update.params.uri, uri);
    assert.equal(update.params._meta[SUBSCRIPTION_ID], 'follow-1');
    assert.ok(!bystander.events.some((e) => e.method === 'notifications/resources/updated'));
  } finally {
    await modernCall(4, 'tools/call', { name: 'everything__toggle-subscriber-updates', arguments: {} });
    await follower.close();
    await bystander.close();
  }
});

test('a listen stream ends when MCProxy stops, at once', async () => {
  const stream = await listen('until-stop', { toolsListChanged: true });
  await waitFor(() => stream.events.length >= 1, { what: 'the acknowledgement' });
  const started = Date.now();
  const code = await proxy.stop();
  await stream.done;
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000, `stopping took ${Date.now() - started} ms`);
});
