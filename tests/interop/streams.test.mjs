// Streamable HTTP streams seen raw: closing a POST's response stream cancels the upstream
// request (the backend gets notifications/cancelled), and the standalone GET stream carries
// event ids that Last-Event-ID resumes from, replaying only what was missed.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/streams.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import { dynamicFixturePath, rawSession, textOf, waitFor } from './support/forwarding.mjs';
import { connectClient, startProxy } from './support/proxy.mjs';

let proxy;
let raw;

before(async () => {
  proxy = await startProxy({ mcpServers: { dyn: { command: process.execPath, args: [dynamicFixturePath] } } });
  raw = await rawSession(proxy.url);
});

after(async () => {
  await raw?.close();
  await proxy?.stop();
});

// Reads SSE events from a GET response until `count` events with data arrived.
async function readEvents(res, count, ms = 8000) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const events = [];
  const deadline = Date.now() + ms;
  while (events.length < count && Date.now() < deadline) {
    const { value, done } = await Promise.race([reader.read(), sleep(Math.max(1, deadline - Date.now())).then(() => ({ done: true }))]);
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let sep;
    while ((sep = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, sep);
      text = text.slice(sep + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data) events.push({ id, data: JSON.parse(data) });
    }
  }
  reader.cancel().catch(() => {});
  return events;
}

const getStream = (lastEventId) =>
  fetch(proxy.url, {
    headers: {
      accept: 'text/event-stream',
      'mcp-session-id': raw.sessionId(),
      'mcp-protocol-version': '2025-11-25',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
  });

test('closing the POST response stream cancels the call upstream', async () => {
  const controller = new AbortController();
  const pending = raw
    .post({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'dyn__wait-for-cancel', arguments: { label: 'closed-stream' } } }, { signal: controller.signal })
    .catch(() => null);
  await sleep(500);
  controller.abort();  // the client closes the connection: no notifications/cancelled is sent
  await pending;
  // A closed stream is a client that went away (not a cancel it sent): the log says which.
  await waitFor(() => /the client went away; telling the backend/.test(proxy.output()), { timeoutMs: 5000, what: 'the cancellation log line' });
  // The backend itself saw notifications/cancelled for that call.
  const client = await connectClient(proxy.url);
  await waitFor(async () => textOf(await client.callTool({ name: 'dyn__cancelled-labels', arguments: {} })).includes('closed-stream'),
    { timeoutMs: 5000, what: 'the backend to report the cancellation' });
  await client.close();
});

test('the GET stream has event ids; Last-Event-ID replays only what was missed', async () => {
  const first = await getStream();
  assert.equal(first.status, 200);
  // Two list changes while the stream is open.
  await raw.post({ jsonrpc: '2.0', id: 'a1', method: 'tools/call', params: { name: 'dyn__add-tool', arguments: { name: 'one' } } }).then(async (r) => { for await (const _ of r.messages); });
  const seen = await readEvents(first, 1);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].data.method, 'notifications/tools/list_changed');
  assert.match(seen[0].id, /^\d+$/);
  // While no stream is open, another change happens; resuming from the first id gets it, and
  // not the first one again.
  await sleep(200);
  await raw.post({ jsonrpc: '2.0', id: 'a2', method: 'tools/call', params: { name: 'dyn__add-tool', arguments: { name: 'two' } } }).then(async (r) => { for await (const _ of r.messages); });
  const resumed = await getStream(seen[0].id);
  assert.equal(resumed.status, 200);
  const replay = await readEvents(resumed, 1);
  assert.equal(replay.length, 1);
  assert.equal(replay[0].data.method, 'notifications/tools/list_changed');
  assert.ok(Number(replay[0].id) > Number(seen[0].id), `replayed id ${replay[0].id} should follow ${seen[0].id}`);
});
