// Forwarding through MCProxy in both directions, seen by the official TypeScript SDK client,
// with the real server-everything behind it: server->client requests (sampling, elicitation,
// roots) in per-client and shared session modes, progress, logging, resource subscriptions,
// list_changed, cancellation, concurrent clients, and a client lacking a capability.
//
// server-everything keeps its simulated logging / subscription-update toggles per upstream
// session, i.e. per backend process in shared mode: every test that flips one flips it back.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/forwarding.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import {
  GATED_TOOLS,
  childPids,
  cmdlineOf,
  connectRecordingClient,
  everythingConfig,
  dynamicFixturePath,
  rawSession,
  textOf,
  waitFor,
  waitForTools,
} from './support/forwarding.mjs';
import { listAll, startProxy } from './support/proxy.mjs';

const CANCEL_LOG = 'cancelled by the client; telling the backend';
const DOC_PREFIX = 'demo://resource/static/document/';

const occurrences = (haystack, needle) => haystack.split(needle).length - 1;

/** End the sessions (DELETE) and close every client given, ignoring errors (finally blocks). */
async function closeAll(...rcs) {
  await Promise.all(
    rcs.filter(Boolean).map(async (rc) => {
      await rc.client.transport?.terminateSession?.().catch(() => {});
      await rc.client.close().catch(() => {});
    }),
  );
}

/** Progress events an onprogress handler received, checked against 1..steps of `steps`. */
function assertFullProgress(events, steps, label) {
  assert.deepEqual(
    events.map((e) => e.progress),
    Array.from({ length: steps }, (_, i) => i + 1),
    `${label}: progress values ${JSON.stringify(events)}`,
  );
  for (const e of events) assert.equal(e.total, steps, `${label}: total in ${JSON.stringify(e)}`);
}

describe('per-client sessions: server->client requests reach the calling client', () => {
  let proxy;
  let alpha;
  let beta;

  before(async () => {
    proxy = await startProxy(everythingConfig({ sessionMode: 'per-client' }));
    alpha = await connectRecordingClient(proxy.url, { tag: 'alpha' });
    beta = await connectRecordingClient(proxy.url, { tag: 'beta' });
  });

  after(async () => {
    await closeAll(alpha, beta);
    await proxy?.stop();
  });

  test('the capability-gated tools are listed for a client that declared the capabilities', async () => {
    // server-everything registers them after initialize (then sends list_changed): poll.
    const wanted = GATED_TOOLS.map((t) => `everything__${t}`);
    await waitForTools(alpha.client, wanted);
    await waitForTools(beta.client, wanted);
  });

  test('each upstream session is initialized with its own client’s capabilities', async () => {
    // Declaring roots only: server-everything registers get-roots-list but neither sampling nor
    // elicitation tools (it registers all three in one synchronous step after initialize).
    const rootsOnly = await connectRecordingClient(proxy.url, {
      tag: 'roots-only',
      capabilities: { roots: { listChanged: true } },
    });
    try {
      const names = await waitForTools(rootsOnly.client, ['everything__get-roots-list']);
      assert.ok(!names.includes('everything__trigger-sampling-request'), names.join(', '));
      assert.ok(!names.includes('everything__trigger-elicitation-request'), names.join(', '));
    } finally {
      await closeAll(rootsOnly);
    }
  });

  test('one server-everything process per session; ending the session stops it', async () => {
    const everythingChildren = () =>
      childPids(proxy.proc.pid).filter((pid) => cmdlineOf(pid).includes('server-everything'));
    // alpha and beta (and nothing else alive yet: earlier sessions of this file were ended).
    await waitFor(() => everythingChildren().length === 2, {
      timeoutMs: 5000,
      what: `2 server-everything children (have ${everythingChildren().length})`,
    });
    const initial = new Set(everythingChildren());
    const extra = await connectRecordingClient(proxy.url, { tag: 'short-lived' });
    let mine;
    try {
      await extra.client.listTools();
      const now = everythingChildren();
      assert.equal(now.length, 3, `children: ${now.map(cmdlineOf)}`);
      mine = now.filter((pid) => !initial.has(pid));
      assert.equal(mine.length, 1);
      // closeAll sends DELETE, which ends the session (the SDK's close() alone just drops
      // the connection, and the session lives on until its idle timeout).
    } finally {
      await closeAll(extra);
    }
    await waitFor(() => !everythingChildren().includes(mine[0]), {
      timeoutMs: 10_000,
      what: `the ended session's server-everything (pid ${mine[0]}) to exit`,
    });
    assert.deepEqual(new Set(everythingChildren()), initial);
  });

  test('trigger-sampling-request round-trips through the caller’s sampling handler', async () => {
    await waitForTools(alpha.client, ['everything__trigger-sampling-request']);
    const prompt = `sampling prompt ${process.pid}`;
    const result = await alpha.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt, maxTokens: 42 },
    });
    assert.notEqual(result.isError, true, textOf(result));
    assert.match(textOf(result), /sampled-by-alpha/);
    assert.match(textOf(result), /model-of-alpha/);

    assert.equal(alpha.seen.sampling.length, 1, 'alpha’s sampling handler calls');
    const req = alpha.seen.sampling[0];
    assert.equal(req.maxTokens, 42);
    assert.equal(req.systemPrompt, 'You are a helpful test server.');
    assert.match(req.messages[0].content.text, new RegExp(prompt));
    assert.equal(beta.seen.sampling.length, 0, 'beta was asked to sample for alpha');
  });

  test('concurrent sampling from two per-client sessions: each answer goes to its caller', async () => {
    await waitForTools(beta.client, ['everything__trigger-sampling-request']);
    const start = { alpha: alpha.seen.sampling.length, beta: beta.seen.sampling.length };
    const call = (rc, n) =>
      rc.client.callTool({
        name: 'everything__trigger-sampling-request',
        arguments: { prompt: `${rc.tag} #${n}` },
      });
    const results = await Promise.all([call(alpha, 1), call(beta, 1), call(alpha, 2), call(beta, 2)]);
    assert.match(textOf(results[0]), /sampled-by-alpha/);
    assert.match(textOf(results[1]), /sampled-by-beta/);
    assert.match(textOf(results[2]), /sampled-by-alpha/);
    assert.match(textOf(results[3]), /sampled-by-beta/);
    const alphaPrompts = alpha.seen.sampling.slice(start.alpha).map((p) => p.messages[0].content.text);
    const betaPrompts = beta.seen.sampling.slice(start.beta).map((p) => p.messages[0].content.text);
    assert.equal(alphaPrompts.length, 2, JSON.stringify(alphaPrompts));
    assert.equal(betaPrompts.length, 2, JSON.stringify(betaPrompts));
    for (const p of alphaPrompts) assert.match(p, /alpha #/);
    for (const p of betaPrompts) assert.match(p, /beta #/);
  });

  test('trigger-elicitation-request round-trips through the caller’s elicitation handler', async () => {
    await waitForTools(alpha.client, ['everything__trigger-elicitation-request']);
    const result = await alpha.client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    assert.notEqual(result.isError, true, textOf(result));
    assert.match(textOf(result), /User provided the requested information/);
    assert.match(textOf(result), /name-of-alpha/);

    assert.equal(alpha.seen.elicitation.length, 1);
    const req = alpha.seen.elicitation[0];
    assert.equal(req.message, 'Please provide inputs for the following fields:');
    assert.deepEqual(req.requestedSchema.required, ['name']);
    assert.equal(beta.seen.elicitation.length, 0, 'beta was asked to elicit for alpha');
  });

  test('get-roots-list returns the calling client’s own roots', async () => {
    await waitForTools(alpha.client, ['everything__get-roots-list']);
    await waitForTools(beta.client, ['everything__get-roots-list']);
    const a = textOf(await alpha.client.callTool({ name: 'everything__get-roots-list', arguments: {} }));
    const b = textOf(await beta.client.callTool({ name: 'everything__get-roots-list', arguments: {} }));
    assert.match(a, /Current MCP Roots \(1 total\)/, a);
    assert.ok(a.includes(alpha.roots[0].uri), a);
    assert.ok(!a.includes(beta.roots[0].uri), a);
    assert.ok(b.includes(beta.roots[0].uri), b);
    assert.ok(!b.includes(alpha.roots[0].uri), b);
    assert.ok(alpha.seen.roots >= 1 && beta.seen.roots >= 1, 'roots/list reached both clients');
  });

  test('a backend’s own logger name is kept after the backend’s: "everything/everything-server"', async () => {
    // server-everything logs "Roots updated: …" with logger "everything-server" once it has the
    // client's roots (it asks 350 ms after initialize).
    const msg = await waitFor(() => alpha.seen.logs.find((l) => /Roots updated/.test(String(l.data))), {
      timeoutMs: 5000,
      what: `the "Roots updated" log message (got ${JSON.stringify(alpha.seen.logs)})`,
    });
    assert.equal(msg.logger, 'everything/everything-server', JSON.stringify(msg));
  });

  test('notifications/roots/list_changed reaches the client’s backend, which asks again', async () => {
    const asked = alpha.seen.roots;
    const added = { uri: `file:///tmp/mcproxy-roots/alpha-added-${process.pid}`, name: 'added root' };
    alpha.roots.push(added);
    await alpha.client.sendRootsListChanged();
    await waitFor(() => alpha.seen.roots > asked, { timeoutMs: 5000, what: 'a new roots/list request at alpha' });
    const text = await waitFor(
      async () => {
        const t = textOf(await alpha.client.callTool({ name: 'everything__get-roots-list', arguments: {} }));
        return t.includes(added.uri) ? t : null;
      },
      { timeoutMs: 5000, what: 'the added root in get-roots-list' },
    );
    assert.match(text, /Current MCP Roots \(2 total\)/);
    assert.ok(!text.includes(beta.roots[0].uri), text);
  });
});

describe('shared session: notifications and requests between clients and everything', () => {
  let proxy;

  before(async () => {
    proxy = await startProxy(
      everythingConfig({
        extraServers: { fixture: { command: process.execPath, args: [dynamicFixturePath] } },
      }),
    );
  });

  after(async () => {
    await proxy?.stop();
  });

  test('progress: every notification reaches onprogress with the client’s token', async () => {
    const rc = await connectRecordingClient(proxy.url, { tag: 'progress' });
    const errors = [];
    rc.client.onerror = (e) => errors.push(String(e));
    try {
      const events = [];
      const result = await rc.client.callTool(
        { name: 'everything__trigger-long-running-operation', arguments: { duration: 2, steps: 4 } },
        undefined,
        { onprogress: (p) => events.push(p) },
      );
      assert.match(textOf(result), /Duration: 2 seconds, Steps: 4/);
      assertFullProgress(events, 4, 'long-running operation');
      // A token the client did not issue would have been reported through onerror.
      assert.deepEqual(errors.filter((e) => /progress/i.test(e)), []);
    } finally {
      await closeAll(rc);
    }
  });

  test('progress: a string progressToken comes back unchanged, on the call’s own stream (raw HTTP)', async () => {
    // The SDK always uses numbers; the spec allows strings too, and the value must round-trip.
    const s = await rawSession(proxy.url);
    try {
      const token = `client-token-${process.pid}`;
      const res = await s.post(
        {
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: {
            name: 'everything__trigger-long-running-operation',
            arguments: { duration: 0.9, steps: 3 },
            _meta: { progressToken: token },
          },
        },
        { signal: AbortSignal.timeout(15_000) },
      );
      assert.equal(res.status, 200);
      const progress = [];
      let response;
      for await (const m of res.messages) {
        if (m.method === 'notifications/progress') progress.push(m.params);
        else if (m.id === 7 && !m.method) {
          response = m;
          break;
        }
      }
      assert.ok(response?.result, JSON.stringify(response));
      assert.match(textOf(response.result), /Steps: 3\./);
      assert.deepEqual(progress.map((p) => p.progressToken), [token, token, token], JSON.stringify(progress));
      assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3]);
    } finally {
      await s.close();
    }
  });

  test('sampling request travels on the calling POST’s SSE stream, the answer goes back (raw HTTP)', { timeout: 20_000 }, async () => {
    // No GET stream is open: the request must come on the stream of the tools/call it serves.
    const s = await rawSession(proxy.url, { capabilities: { sampling: {} } });
    try {
      const res = await s.post(
        {
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: { name: 'everything__trigger-sampling-request', arguments: { prompt: 'raw prompt' } },
        },
        { signal: AbortSignal.timeout(15_000) },
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      let samplingRequest;
      let response;
      for await (const m of res.messages) {
        if (m.method === 'sampling/createMessage') {
          samplingRequest = m;
          const answer = await s.post({
            jsonrpc: '2.0',
            id: m.id,
            result: { role: 'assistant', content: { type: 'text', text: 'raw-sampled-text' }, model: 'raw-model' },
          });
          assert.equal(answer.status, 202);
          for await (const _ of answer.messages);
        } else if (m.id === 9 && !m.method) {
          response = m;
          break;
        }
      }
      assert.ok(samplingRequest, 'no sampling/createMessage on the POST stream');
      assert.match(samplingRequest.params.messages[0].content.text, /raw prompt/);
      assert.ok(response?.result, JSON.stringify(response));
      assert.match(textOf(response.result), /raw-sampled-text/);
    } finally {
      await s.close();
    }
  });

  test('logging/setLevel reaches the backend: below the level nothing arrives, at debug it does', async () => {
    // server-everything acknowledges resources/subscribe with an info-level notifications/message
    // that honours the level set with logging/setLevel: a deterministic probe of the fan-out.
    const rc = await connectRecordingClient(proxy.url, { tag: 'levels' });
    try {
      const docs = (await listAll(rc.client, 'resources')).filter((r) => r.uri.startsWith(DOC_PREFIX));
      assert.ok(docs.length >= 2, 'static documents listed');
      const uri = docs[0].uri;
      const acks = () => rc.seen.logs.filter((l) => String(l.data).includes('Received Subscribe Resource request'));

      await rc.client.setLoggingLevel('error');
      await rc.client.subscribeResource({ uri });
      await sleep(1500);
      assert.deepEqual(acks(), [], 'info message arrived although the level is error');

      // Subscribing again to a URI the session holds is answered by the proxy (it counts
      // subscribers per URI): end it first so that the next subscribe reaches the server.
      await rc.client.unsubscribeResource({ uri });
      await rc.client.setLoggingLevel('debug');
      await rc.client.subscribeResource({ uri });
      const got = await waitFor(() => acks()[0], { timeoutMs: 5000, what: 'the subscribe acknowledgement' });
      assert.equal(got.level, 'info');
      assert.equal(got.logger, 'everything', JSON.stringify(got));
      await rc.client.unsubscribeResource({ uri });
    } finally {
      await closeAll(rc);
    }
  });

  test('logging: toggle-simulated-logging messages arrive with logger "everything…"', async () => {
    const rc = await connectRecordingClient(proxy.url, { tag: 'logging' });
    try {
      await rc.client.setLoggingLevel('debug');
      const started = await rc.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
      try {
        assert.match(textOf(started), /Started simulated/);
        const msg = await waitFor(() => rc.seen.logs.find((l) => /level/i.test(String(l.data))), {
          timeoutMs: 8000,
          what: 'a simulated log message',
        });
        assert.ok(typeof msg.logger === 'string' && msg.logger.startsWith('everything'), JSON.stringify(msg));
        for (const l of rc.seen.logs)
          assert.ok(l.logger === 'everything' || l.logger?.startsWith('everything/'), JSON.stringify(l));
      } finally {
        const stopped = await rc.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
        assert.match(textOf(stopped), /Stopped simulated/);
      }
    } finally {
      await closeAll(rc);
    }
  });

  test('subscriptions: resources/updated reaches the subscriber only', async () => {
    const sub = await connectRecordingClient(proxy.url, { tag: 'subscriber' });
    const other = await connectRecordingClient(proxy.url, { tag: 'bystander' });
    try {
      const docs = (await listAll(sub.client, 'resources')).filter((r) => r.uri.startsWith(DOC_PREFIX));
      const uri = docs[0].uri;
      await sub.client.subscribeResource({ uri });
      const on = await sub.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      assert.match(textOf(on), /Started simulated resource updated/);
      try {
        await waitFor(() => sub.seen.updated.includes(uri), { timeoutMs: 7000, what: `resources/updated for ${uri}` });
        await sleep(1500);
        assert.deepEqual(other.seen.updated, [], 'a client that did not subscribe got resources/updated');
        assert.deepEqual([...new Set(sub.seen.updated)], [uri]);
      } finally {
        const off = await sub.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
        assert.match(textOf(off), /Stopped simulated resource updates/);
        await sub.client.unsubscribeResource({ uri });
      }
    } finally {
      await closeAll(sub, other);
    }
  });

  test('subscriptions: one client unsubscribing does not end another client’s subscription', async () => {
    // In shared mode both subscriptions live in one upstream session: the backend must stay
    // subscribed while any client still is.
    const leaver = await connectRecordingClient(proxy.url, { tag: 'leaver' });
    const stayer = await connectRecordingClient(proxy.url, { tag: 'stayer' });
    try {
      const docs = (await listAll(stayer.client, 'resources')).filter((r) => r.uri.startsWith(DOC_PREFIX));
      const uri = docs[1].uri;
      await stayer.client.subscribeResource({ uri });
      await leaver.client.subscribeResource({ uri });
      await leaver.client.unsubscribeResource({ uri });
      const on = await stayer.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      assert.match(textOf(on), /Started simulated resource updated/);
      try {
        // The backend sends once at once, then every 5 s: 7 s covers two chances.
        await waitFor(() => stayer.seen.updated.includes(uri), {
          timeoutMs: 7000,
          what: `resources/updated for ${uri} at the client still subscribed`,
        });
        assert.deepEqual(leaver.seen.updated, [], 'the client that unsubscribed still gets updates');
      } finally {
        await stayer.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
        await stayer.client.unsubscribeResource({ uri });
      }
    } finally {
      await closeAll(leaver, stayer);
    }
  });

  test('tools/list_changed from a backend reaches every connected client', async () => {
    // server-everything's tools never change after its initialize (see the fixture's header):
    // the SDK-built fixture adds a tool on request and announces it.
    const a = await connectRecordingClient(proxy.url, { tag: 'changer' });
    const b = await connectRecordingClient(proxy.url, { tag: 'watcher' });
    try {
      const added = `added-${process.pid}`;
      assert.ok(!(await listAll(b.client, 'tools')).some((t) => t.name === `fixture__${added}`));
      const r = await a.client.callTool({ name: 'fixture__add-tool', arguments: { name: added } });
      assert.equal(textOf(r), `added ${added}`);
      await waitFor(() => a.seen.toolsChanged > 0 && b.seen.toolsChanged > 0, {
        timeoutMs: 5000,
        what: `tools/list_changed at both clients (got ${a.seen.toolsChanged}, ${b.seen.toolsChanged})`,
      });
      const names = (await listAll(b.client, 'tools')).map((t) => t.name);
      assert.ok(names.includes(`fixture__${added}`), names.join(', '));
      const called = await b.client.callTool({ name: `fixture__${added}`, arguments: {} });
      assert.equal(textOf(called), `${added} was added at runtime`);
    } finally {
      await closeAll(a, b);
    }
  });

  test('resources/list_changed (gzip-file-as-resource registers one) reaches every client', async () => {
    const a = await connectRecordingClient(proxy.url, { tag: 'gzipper' });
    const b = await connectRecordingClient(proxy.url, { tag: 'onlooker' });
    try {
      const name = `proxy-${process.pid}.txt.gz`;
      const r = await a.client.callTool({
        name: 'everything__gzip-file-as-resource',
        arguments: { name, data: 'data:text/plain;base64,aGVsbG8gcHJveHk=', outputType: 'resourceLink' },
      });
      assert.notEqual(r.isError, true, JSON.stringify(r));
      await waitFor(() => a.seen.resourcesChanged > 0 && b.seen.resourcesChanged > 0, {
        timeoutMs: 5000,
        what: `resources/list_changed at both clients (got ${a.seen.resourcesChanged}, ${b.seen.resourcesChanged})`,
      });
      const uris = (await listAll(b.client, 'resources')).map((x) => x.uri);
      assert.ok(uris.includes(`demo://resource/session/${name}`), uris.join(', '));
    } finally {
      await closeAll(a, b);
    }
  });

  test('cancellation: aborting a call tells the backend, and the session keeps working', async () => {
    const rc = await connectRecordingClient(proxy.url, { tag: 'canceller' });
    try {
      const logsBefore = occurrences(proxy.output(), CANCEL_LOG);
      const controller = new AbortController();
      const started = Date.now();
      const call = rc.client.callTool(
        { name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } },
        undefined,
        { signal: controller.signal, onprogress: () => {} },
      );
      setTimeout(() => controller.abort(new Error('aborted by the interop test')), 1000);
      await assert.rejects(call, /aborted by the interop test/);
      assert.ok(Date.now() - started < 10_000, 'the aborted call did not reject promptly');

      await waitFor(() => occurrences(proxy.output(), CANCEL_LOG) > logsBefore, {
        timeoutMs: 5000,
        what: `"${CANCEL_LOG}" in the proxy log`,
      });
      const echo = await rc.client.callTool({ name: 'everything__echo', arguments: { message: 'after cancel' } });
      assert.equal(textOf(echo), 'Echo: after cancel');
    } finally {
      await closeAll(rc);
    }
  });

  test('cancellation: the backend receives notifications/cancelled for the aborted call', async () => {
    // The fixture records the cancellations it receives (server-everything ignores them).
    const rc = await connectRecordingClient(proxy.url, { tag: 'canceller-2' });
    try {
      const label = `cancel-me-${process.pid}`;
      const controller = new AbortController();
      const call = rc.client.callTool(
        { name: 'fixture__wait-for-cancel', arguments: { label } },
        undefined,
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(new Error('aborted by the interop test')), 500);
      await assert.rejects(call, /aborted by the interop test/);
      const labels = await waitFor(
        async () => {
          const r = await rc.client.callTool({ name: 'fixture__cancelled-labels', arguments: {} });
          const list = JSON.parse(textOf(r));
          return list.includes(label) ? list : null;
        },
        { timeoutMs: 5000, intervalMs: 200, what: `the fixture to see ${label} cancelled` },
      );
      assert.deepEqual(labels.filter((l) => l === label), [label]);
    } finally {
      await closeAll(rc);
    }
  });

  test('concurrency: 8 concurrent echo calls from two clients each get their own answer', async () => {
    const a = await connectRecordingClient(proxy.url, { tag: 'echo-a' });
    const b = await connectRecordingClient(proxy.url, { tag: 'echo-b' });
    try {
      const calls = [];
      for (let i = 0; i < 4; i++) {
        for (const rc of [a, b]) {
          const message = `${rc.tag} message ${i} ${Math.random().toString(36).slice(2)}`;
          calls.push(
            rc.client
              .callTool({ name: 'everything__echo', arguments: { message } })
              .then((r) => ({ message, text: textOf(r) })),
          );
        }
      }
      const results = await Promise.all(calls);
      assert.equal(results.length, 8);
      for (const { message, text } of results) assert.equal(text, `Echo: ${message}`);
    } finally {
      await closeAll(a, b);
    }
  });

  test('concurrency: progress of two clients’ concurrent calls goes to the right calls', async () => {
    // Two fresh clients issuing the same sequence of requests use the same JSON-RPC ids, and the
    // SDK uses the request id as progress token: the tokens collide across the two clients on
    // purpose. Different step counts per call make a misrouted notification visible.
    const a = await connectRecordingClient(proxy.url, { tag: 'progress-a' });
    const b = await connectRecordingClient(proxy.url, { tag: 'progress-b' });
    const errors = { a: [], b: [] };
    a.client.onerror = (e) => errors.a.push(String(e));
    b.client.onerror = (e) => errors.b.push(String(e));
    try {
      const plan = [
        { rc: a, steps: 3 },
        { rc: b, steps: 5 },
        { rc: a, steps: 4 },
        { rc: b, steps: 6 },
      ];
      const runs = plan.map(({ rc, steps }) => {
        const events = [];
        const done = rc.client.callTool(
          { name: 'everything__trigger-long-running-operation', arguments: { duration: steps * 0.3, steps } },
          undefined,
          { onprogress: (p) => events.push(p) },
        );
        return { rc, steps, events, done };
      });
      const results = await Promise.all(runs.map((r) => r.done));
      runs.forEach((run, i) => {
        assert.match(textOf(results[i]), new RegExp(`Steps: ${run.steps}\\.`));
        assertFullProgress(run.events, run.steps, `${run.rc.tag} call with ${run.steps} steps`);
      });
      assert.deepEqual(errors.a.filter((e) => /progress/i.test(e)), [], 'client a: stray progress');
      assert.deepEqual(errors.b.filter((e) => /progress/i.test(e)), [], 'client b: stray progress');
    } finally {
      await closeAll(a, b);
    }
  });

  test('shared mode: sampling goes to the client whose call is in flight', async () => {
    const a = await connectRecordingClient(proxy.url, { tag: 'shared-a' });
    const b = await connectRecordingClient(proxy.url, { tag: 'shared-b' });
    try {
      await waitForTools(a.client, ['everything__trigger-sampling-request']);
      const ra = await a.client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'from a' } });
      assert.match(textOf(ra), /sampled-by-shared-a/);
      const rb = await b.client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'from b' } });
      assert.match(textOf(rb), /sampled-by-shared-b/);
      assert.equal(a.seen.sampling.length, 1);
      assert.equal(b.seen.sampling.length, 1);
      assert.match(a.seen.sampling[0].messages[0].content.text, /from a/);
      assert.match(b.seen.sampling[0].messages[0].content.text, /from b/);
    } finally {
      await closeAll(a, b);
    }
  });

  test(
    'a client without the sampling capability gets an error, not a hang, and keeps working',
    { timeout: 20_000 },
    async () => {
      const bare = await connectRecordingClient(proxy.url, { tag: 'bare', capabilities: {} });
      // Connected at the same time and able to sample: it must not be asked on bare's behalf.
      const able = await connectRecordingClient(proxy.url, { tag: 'able' });
      try {
        let outcome;
        try {
          const r = await bare.client.callTool(
            { name: 'everything__trigger-sampling-request', arguments: { prompt: 'nobody to ask' } },
            undefined,
            { timeout: 15_000 },
          );
          outcome = { result: r };
        } catch (err) {
          outcome = { error: err };
        }
        if (outcome.error) {
          assert.ok(outcome.error instanceof McpError, `not an McpError: ${outcome.error}`);
          assert.notEqual(outcome.error.code, ErrorCode.RequestTimeout, `the call hung: ${outcome.error.message}`);
        } else {
          assert.equal(outcome.result.isError, true, `the call succeeded: ${textOf(outcome.result)}`);
        }
        assert.equal(able.seen.sampling.length, 0, 'another client was asked to sample for bare');

        const echo = await bare.client.callTool({ name: 'everything__echo', arguments: { message: 'still alive' } });
        assert.equal(textOf(echo), 'Echo: still alive');
      } finally {
        await closeAll(bare, able);
      }
    },
  );
});
