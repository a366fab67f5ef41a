// The proxy on several threads (httpServer.threads > 1, issue [3 of 9]): connections are read
// and parsed on strands of their own while the MCP state runs on the core strand. Against
// server-everything and the SDK-built dynamic fixture, seen by the official SDK client and by
// raw keep-alive POSTs:
//   - many clients at once, each on its own session, get their own answers and nobody else's;
//   - a burst of concurrent keep-alive requests is answered in full, none stuck (a blocking
//     peek in the disconnect watch once held the core until a client gave up, 10 s later);
//   - the tool list changes under concurrent cached reads, and every reader sees the change;
//   - a cancelled call reaches the backend as notifications/cancelled;
//   - SIGTERM with all of that going on ends cleanly, no child left.
// The ThreadSanitizer tree runs this file too (with 4 threads, like here), and fails on any
// report.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/threads.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { childPids, dynamicFixturePath, everythingConfig, isAlive, textOf, waitFor } from './support/forwarding.mjs';
import { initSession, rpc } from './support/faults.mjs';
import { connectClient, startProxy } from './support/proxy.mjs';

// startProxy already passes MCPROXY_TEST_THREADS (the ThreadSanitizer tree sets it).
const THREAD_COUNT = process.env.MCPROXY_TEST_THREADS ?? '4';
const THREADS = process.env.MCPROXY_TEST_THREADS ? [] : ['--threads', THREAD_COUNT];

function config() {
  const c = everythingConfig({ extraServers: { fixture: { command: process.execPath, args: [dynamicFixturePath] } } });
  c.httpServer = { middleware: { proxy: [{ type: 'description_enricher', config: { prefix: '[{server}] ' } }] } };
  return c;
}

/** A session over fetch; post(message) on it resolves the parsed answer (undefined for none). */
async function rawSession(url) {
  const sessionId = await initSession(url);
  return (message, { timeoutMs = 10_000 } = {}) => rpc(url, sessionId, message, { timeoutMs });
}

describe(`the proxy on ${THREAD_COUNT} threads`, () => {
  let proxy;

  before(async () => {
    proxy = await startProxy(config(), { extraArgs: THREADS });
    await proxy.waitForOutput(new RegExp(`serving with ${THREAD_COUNT} threads`));
  });

  after(async () => {
    await proxy?.stop();
  });

  test('eight clients at once each get their own answers', async () => {
    const clients = await Promise.all([...Array(8)].map((_, i) => connectClient(proxy.url, { name: `threads-${i}` })));
    try {
      await Promise.all(
        clients.map(async (client, i) => {
          for (let n = 0; n < 40; n++) {
            const message = `client ${i} call ${n}`;
            const r = await client.callTool({ name: 'everything__echo', arguments: { message } });
            assert.equal(textOf(r), `Echo: ${message}`);
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    }
  });

  test('32 concurrent keep-alive callers on one session: every one of 2,000 calls is answered', async () => {
    const post = await rawSession(proxy.url);
    let id = 1;
    const worker = async (w) => {
      for (let n = 0; n < 62; n++) {
        const callId = id++;
        const message = `w${w}-${n}`;
        // A call stuck behind a held core would hit this deadline (no answer is ever late).
        const answer = await post(
          { jsonrpc: '2.0', id: callId, method: 'tools/call', params: { name: 'everything__echo', arguments: { message } } },
          { timeoutMs: 8000 },
        );
        assert.equal(answer.id, callId);
        assert.equal(answer.result.content[0].text, `Echo: ${message}`);
      }
    };
    await Promise.all([...Array(32)].map((_, w) => worker(w)));
  });

  test('the tool list changes under concurrent (cached) reads, and every reader sees it', async () => {
    const readers = await Promise.all([...Array(4)].map((_, i) => connectClient(proxy.url, { name: `reader-${i}` })));
    const writer = await connectClient(proxy.url, { name: 'writer' });
    try {
      const added = `threaded-${Date.now()}`;
      let stop = false;
      const reading = readers.map(async (r) => {
        while (!stop) await r.listTools();
      });
      await sleep(200);
      await writer.callTool({ name: 'fixture__add-tool', arguments: { name: added } });
      for (const r of readers) {
        await waitFor(async () => (await r.listTools()).tools.some((t) => t.name === `fixture__${added}`), {
          what: `every reader to list fixture__${added}`,
        });
      }
      stop = true;
      await Promise.all(reading);
    } finally {
      await Promise.all([...readers, writer].map((c) => c.close().catch(() => {})));
    }
  });

  test('a cancelled call reaches the backend while other calls run', async () => {
    const post = await rawSession(proxy.url);
    const label = `threads-cancel-${process.pid}`;
    const pending = post({ jsonrpc: '2.0', id: 900, method: 'tools/call', params: { name: 'fixture__wait-for-cancel', arguments: { label } } }, { timeoutMs: 20_000 });
    const busy = [...Array(8)].map((_, i) =>
      post({ jsonrpc: '2.0', id: 901 + i, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: `busy ${i}` } } }),
    );
    await sleep(300);
    await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 900, reason: 'test' } });
    assert.equal(await pending, undefined, 'no response to a cancelled request');
    for (const [i, answer] of (await Promise.all(busy)).entries()) assert.equal(answer.result.content[0].text, `Echo: busy ${i}`);
    const client = await connectClient(proxy.url);
    try {
      await waitFor(
        async () => JSON.parse(textOf(await client.callTool({ name: 'fixture__cancelled-labels', arguments: {} }))).includes(label),
        { what: `the fixture to see ${label} cancelled` },
      );
    } finally {
      await client.close().catch(() => {});
    }
  });
});

describe('SIGTERM while threads are busy', () => {
  test('the proxy stops with code 0 and leaves no child behind', async () => {
    const proxy = await startProxy(config(), { extraArgs: THREADS });
    // The reapers and the servers under them.
    const children = childPids(proxy.proc.pid).flatMap((pid) => [pid, ...childPids(pid)]);
    assert.ok(children.length >= 4, `backends started: ${children}`);
    const post = await rawSession(proxy.url);
    let id = 1;
    let stopping = false;
    const load = [...Array(16)].map(async () => {
      while (!stopping) {
        // Answers, or errors once the proxy stops listening: both are fine here.
        await post({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'x' } } }).catch(() => {});
      }
    });
    await sleep(500);
    const code = await proxy.stop();
    stopping = true;
    await Promise.all(load);
    assert.equal(code, 0, proxy.output().slice(-2000));
    await waitFor(() => children.every((pid) => !isAlive(pid)), { what: 'every backend process to end' });
  });
});
