// Fault injection on the proxy's downstream event streams (issue 10, defects 1 and 2), with a
// raw node:net client, since neither fetch nor the SDK can stop reading mid-stream or
// half-close a connection:
// - a POST event stream carrying megabytes of progress that the client stops reading, then
//   half-closes (or resets) while the proxy's write is pending; a client that only reads
//   slowly still gets every event and the final response;
// - a GET stream resumed with Last-Event-ID while new events evict the backlog it replays.
// After each fault the proxy must still be alive and serve a normal SDK client. The
// use-after-free behind these paths is seen for sure only under AddressSanitizer (the
// sanitizer pass runs this file too); without it the tests drive the path and check liveness
// and what the client received.
//
// MCPROXY_TEST_SNDBUF=4096 (test-only, read by the proxy) shrinks the send buffer of every
// socket the proxy accepts, so a few KB fill it; the floods below are also large enough
// (tens of MB) to fill the kernel's default loopback buffers without it.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/faults-streams.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';

import { waitFor } from './support/forwarding.mjs';
import {
  PROTOCOL_VERSION,
  assertServes,
  chunkedSseDecoder,
  faultServerPath,
  initSession,
  rawConnect,
  readHead,
  requestText,
  rpc,
  running,
} from './support/faults.mjs';
import { startProxy } from './support/proxy.mjs';

const FLOOD = { count: 300, size: 64 * 1024 }; // ~19.7 MB of progress on one stream, at once
// The same spread over ~6 s: the call is still running when the client half-closes or resets
// (with FLOOD the tool has answered within ~0.2 s, and the proxy is past the call).
const SLOW_FLOOD = { ...FLOOD, delayMs: 20 };
const ENV = { ...process.env, MCPROXY_TEST_SNDBUF: '4096' };
const CONFIG = { mcpServers: { fault: { command: process.execPath, args: [faultServerPath] } } };

let proxy;
const sockets = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.stop();
  proxy = undefined;
});

/** Opens a raw connection and POSTs a flood-progress call on `sessionId`; resolves after the response head. */
async function startFloodCall(sessionId, { id = 'flood', token = 'flood-token', flood = FLOOD } = {}) {
  const { socket, closed } = await rawConnect(proxy.url);
  sockets.push(socket);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'fault__flood-progress', arguments: flood, _meta: { progressToken: token } },
  });
  socket.write(
    requestText(
      'POST',
      proxy.url,
      {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': PROTOCOL_VERSION,
      },
      body,
    ),
  );
  const head = await readHead(socket);
  assert.equal(head.status, 200, JSON.stringify(head.headers));
  assert.match(head.headers['content-type'] ?? '', /text\/event-stream/);
  return { socket, closed, head };
}

/** Resolves once the proxy has logged the end of the tools/call (its final response is ready). */
const callFinished = () =>
  waitFor(() => /req#\d+ tools\/call (ok|failed) in/.test(proxy.output()), {
    timeoutMs: 20_000,
    what: 'the proxy to log the end of the tools/call',
  });

describe('D1: a POST event stream whose client stops reading', () => {
  test('the client stops reading, then half-closes mid-stream; later resets: the proxy keeps serving', { timeout: 60_000 }, async () => {
    proxy = await startProxy(CONFIG, { env: ENV });
    const sessionId = await initSession(proxy.url);
    const { socket } = await startFloodCall(sessionId, { flood: SLOW_FLOOD });
    // Not reading: the proxy's write of the stream is pending while progress keeps coming.
    await sleep(1500);
    assert.ok(!/req#\d+ tools\/call (ok|failed) in/.test(proxy.output()), 'the call ended before the half-close');
    socket.end(); // half-close: FIN while the proxy is blocked writing to us
    await sleep(1500);
    socket.destroy();
    await sleep(500);
    await assertServes(proxy, { tool: 'fault__echo' });
  });

  test('(a) the client stops reading, then resets the connection mid-stream: the proxy keeps serving', { timeout: 60_000 }, async () => {
    proxy = await startProxy(CONFIG, { env: ENV });
    const sessionId = await initSession(proxy.url);
    const { socket } = await startFloodCall(sessionId, { flood: SLOW_FLOOD });
    await sleep(1500);
    assert.ok(!/req#\d+ tools\/call (ok|failed) in/.test(proxy.output()), 'the call ended before the reset');
    socket.destroy(); // unread data in our receive queue: the kernel sends RST
    await sleep(1000);
    await assertServes(proxy, { tool: 'fault__echo' });
  });

  test('(b) a client that pauses reading, then reads on, gets every progress event and the final response', { timeout: 60_000 }, async () => {
    proxy = await startProxy(CONFIG, { env: ENV });
    const sessionId = await initSession(proxy.url);
    const { socket, head, closed } = await startFloodCall(sessionId, { id: 'slow-reader', token: 'slow-token' });
    // Paused until the tool has answered: the proxy holds the final response behind the
    // progress events it could not write yet.
    await callFinished();
    await sleep(500);
    const decoder = chunkedSseDecoder();
    const events = [...decoder.push(head.rest)];
    let closedEarly = false;
    closed.then(() => (closedEarly = !decoder.state.ended));
    socket.on('data', (chunk) => events.push(...decoder.push(chunk)));
    socket.resume();
    await Promise.race([
      waitFor(() => decoder.state.ended, { timeoutMs: 30_000, intervalMs: 100, what: 'the end of the event stream' }),
      closed.then(() => sleep(200)),
    ]);
    const messages = events.map((e) => JSON.parse(e.data));
    const progress = messages.filter((m) => m.method === 'notifications/progress');
    const final = messages.find((m) => m.id === 'slow-reader');
    assert.ok(
      final,
      `no final response: the stream ${closedEarly ? 'was closed by the proxy' : 'ended'} after ` +
        `${progress.length} of ${FLOOD.count} progress events (${decoder.state.bytes} bytes)`,
    );
    assert.equal(progress.length, FLOOD.count, 'progress events lost before the final response');
    assert.deepEqual(
      progress.map((m) => m.params.progress),
      Array.from({ length: FLOOD.count }, (_, i) => i + 1),
    );
    assert.ok(progress.every((m) => m.params.progressToken === 'slow-token'));
    assert.equal(final.result?.content?.[0]?.text, `flooded ${FLOOD.count}`, JSON.stringify(final).slice(0, 500));
    assert.ok(decoder.state.ended, 'the stream did not end with the last chunk');
    await assertServes(proxy, { tool: 'fault__echo' });
  });

  test('(b) the client half-closes while the final response waits to be written: the proxy keeps serving', { timeout: 60_000 }, async () => {
    proxy = await startProxy(CONFIG, { env: ENV });
    const sessionId = await initSession(proxy.url);
    const { socket } = await startFloodCall(sessionId, { id: 'late-close', token: 'late-token' });
    await callFinished(); // the final response is queued behind the unwritten progress
    socket.end();
    await sleep(1500);
    socket.destroy();
    await sleep(500);
    await assertServes(proxy, { tool: 'fault__echo' });
  });
});

describe('D2: GET stream replay (Last-Event-ID) while new events evict the backlog', () => {
  test('ids strictly increase, none is repeated, every event is valid JSON-RPC in the order sent; the proxy keeps serving', { timeout: 90_000 }, async (t) => {
    proxy = await startProxy(CONFIG, { env: ENV });
    const sessionId = await initSession(proxy.url);
    // 3000 updates about 1 ms apart (the proxy keeps the last 1000), ~16 KB each: the
    // backlog (~16 MB) is more than the kernel buffers between proxy and client.
    const uri = `flood://n=3000;ms=1;pad=${'u'.repeat(16_000)}`;
    const sub = await rpc(proxy.url, sessionId, { jsonrpc: '2.0', id: 'sub', method: 'resources/subscribe', params: { uri } });
    assert.deepEqual(sub?.result, {}, JSON.stringify(sub).slice(0, 300));
    await sleep(1500); // the backlog is full and events are being evicted

    const { socket, closed } = await rawConnect(proxy.url);
    sockets.push(socket);
    socket.write(
      requestText('GET', proxy.url, {
        accept: 'text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': PROTOCOL_VERSION,
        'last-event-id': '1',
      }),
    );
    const head = await readHead(socket);
    assert.equal(head.status, 200);
    // Slow at first: the replay's writes wait while the flood goes on and evicts what the
    // replay has not written yet.
    await sleep(1500);
    const decoder = chunkedSseDecoder();
    const events = [];
    let decodeError;
    const take = (bytes) => {
      try {
        events.push(...decoder.push(bytes));
      } catch (err) {
        decodeError ??= err;
      }
    };
    take(head.rest);
    let lastData = Date.now();
    socket.on('data', (chunk) => {
      lastData = Date.now();
      take(chunk);
    });
    socket.resume();
    // Until the flood is over: nothing new for 2 s (or the connection closed).
    let isClosed = false;
    closed.then(() => (isClosed = true));
    await waitFor(() => isClosed || Date.now() - lastData > 2000, { timeoutMs: 60_000, intervalMs: 100, what: 'the flood to end' });
    socket.destroy();
    t.diagnostic(`${events.length} events on the resumed stream, ids ${events[0]?.id} .. ${events.at(-1)?.id}`);

    assert.ok(running(proxy), `the proxy died (signal ${proxy.proc.signalCode}, code ${proxy.proc.exitCode})\n${proxy.output().slice(-3000)}`);
    assert.equal(decodeError, undefined, `the stream is not valid chunked SSE: ${decodeError?.message}`);
    assert.ok(events.length > 0, 'no event arrived on the resumed stream');
    const ids = events.map((e) => e.id);
    const bad = [];
    let lastSeq = 0;
    for (let i = 0; i < events.length; i++) {
      if (!/^\d+$/.test(ids[i] ?? '')) bad.push(`event ${i}: id ${JSON.stringify(ids[i])}`);
      else if (i > 0 && Number(ids[i]) <= Number(ids[i - 1])) bad.push(`event ${i}: id ${ids[i]} after ${ids[i - 1]}`);
      let m;
      try {
        m = JSON.parse(events[i].data);
      } catch {
        bad.push(`event ${i} (id ${ids[i]}): data is not JSON: ${JSON.stringify(events[i].data.slice(0, 80))}`);
        continue;
      }
      if (m.jsonrpc !== '2.0' || m.method !== 'notifications/resources/updated' || m.params?.uri !== uri) {
        bad.push(`event ${i} (id ${ids[i]}): not this subscription's update: ${JSON.stringify(m).slice(0, 120)}`);
        continue;
      }
      // The fixture numbers its updates: their order must follow the event ids.
      const seq = m.params._meta?.seq;
      if (i > 0 && !(seq > lastSeq)) bad.push(`event ${i} (id ${ids[i]}): update #${seq} after #${lastSeq}`);
      lastSeq = seq;
    }
    assert.equal(new Set(ids).size, ids.length, 'an event id was repeated');
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} bad events of ${events.length}`);
    await assertServes(proxy, { tool: 'fault__echo' });
  });
});
