// Isolation between clients that share one upstream session (issue 10, defects 5 and 11): in
// the default `shared` mode one server-everything process serves every client, so the proxy
// alone decides what of it each client sees. Two official SDK clients, A and B:
//
// - tasks: a task belongs to the session that created it; another session can neither list,
//   read, fetch the result of, nor cancel it (it gets the answer an unknown task id gets);
// - logging: a notifications/message reaches the session whose request caused it, never a
//   bystander; one tied to no request is not broadcast (B, which never called
//   logging/setLevel, gets none); each session keeps its own logging/setLevel;
// - subscriptions: an unsubscribe from a session that never subscribed leaves the others'
//   upstream subscription alone; "" is not a wildcard; a session that ends releases its
//   upstream subscriptions (seen with support/subscription-recorder.mjs, an SDK-built fixture,
//   because server-everything does not show its subscriptions);
// - per-client mode (a guard for behaviour that is right today): a backend's roots/list is
//   answered by the client that owns it, never another.
//
// server-everything keeps its simulated logging / subscription-update toggles per upstream
// session, i.e. per backend process in shared mode: every test that flips one flips it back,
// and each group of tests has its own proxy (so its own server-everything).
//
// How server-everything ties messages to requests (checked in its dist/): its log messages are
// sent with `server.sendLoggingMessage` (never with relatedRequestId), so on stdio the only tie
// is time: the subscribe acknowledgement ("Received Subscribe Resource request for URI: …",
// level info) is written while the resources/subscribe request is in flight, before its answer;
// the simulated log messages of toggle-simulated-logging come every 5 s from a timer, while no
// request is in flight.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/isolation.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  ErrorCode,
} from '@modelcontextprotocol/sdk/types.js';

import {
  connectRecordingClient,
  everythingConfig,
  textOf,
  waitFor,
  waitForTools,
} from './support/forwarding.mjs';
import { mcpErrorOf } from './support/middleware.mjs';
import { listAll, startProxy } from './support/proxy.mjs';

const subscriptionRecorderPath = fileURLToPath(new URL('./support/subscription-recorder.mjs', import.meta.url));

const DOC_PREFIX = 'demo://resource/static/document/';
const RESEARCH_TOOL = 'everything__simulate-research-query';
const SUBSCRIBE_ACK = 'Received Subscribe Resource request for URI: ';
// toggle-simulated-logging's messages: "Debug-level message", "Alert level-message", ...
const SIMULATED = /-level message|level-message/;
// The proxy's debug line for every notifications/message a backend sends (src/proxy/backend.cpp).
const BACKEND_LOG_LINE = '[everything] log (';

/** End the sessions (DELETE) and close every client given, ignoring errors (finally blocks). */
async function closeAll(...rcs) {
  await Promise.all(
    rcs.filter(Boolean).map(async (rc) => {
      await rc.client.transport?.terminateSession?.().catch(() => {});
      await rc.client.close().catch(() => {});
    }),
  );
}

const occurrences = (haystack, needle) => haystack.split(needle).length - 1;

/** The static document URIs server-everything lists. */
async function documentUris(client) {
  const uris = (await listAll(client, 'resources')).map((r) => r.uri).filter((u) => u.startsWith(DOC_PREFIX));
  assert.ok(uris.length >= 4, `server-everything's static documents: ${uris.join(', ')}`);
  return uris;
}

/** The log messages `rc` received whose data mentions `text`. */
const logsMentioning = (rc, text) => rc.seen.logs.filter((l) => String(l.data).includes(text));

describe('shared mode: a task belongs to the session that created it', () => {
  let proxy;
  let a;
  let b;
  let taskA; // created by A in before()
  let taskB; // created by B in before()
  const unknownId = `no-such-task-${process.pid}`;

  /** tools/call of the research tool as a task (taskSupport "required"): the created task. */
  async function createTask(rc, topic) {
    const created = await rc.client.request(
      { method: 'tools/call', params: { name: RESEARCH_TOOL, arguments: { topic }, task: { ttl: 120_000 } } },
      CreateTaskResultSchema,
    );
    assert.equal(typeof created.task?.taskId, 'string', JSON.stringify(created));
    return created.task;
  }

  /** Error of `call(id)` for the other session's task and for an unknown id: same code, same text. */
  async function assertLikeUnknown(call, foreignId, what) {
    const foreign = await mcpErrorOf(call(foreignId), ErrorCode.InvalidParams);
    const unknown = await mcpErrorOf(call(unknownId), ErrorCode.InvalidParams);
    assert.equal(
      foreign.message.replaceAll(foreignId, '<ID>'),
      unknown.message.replaceAll(unknownId, '<ID>'),
      `${what}: another session's task must look exactly like an unknown one`,
    );
  }

  before(async () => {
    proxy = await startProxy(everythingConfig());
    a = await connectRecordingClient(proxy.url, { tag: 'task-a' });
    b = await connectRecordingClient(proxy.url, { tag: 'task-b' });
    await waitForTools(a.client, [RESEARCH_TOOL]);
    const tools = (await listAll(a.client, 'tools')).filter((t) => t.name === RESEARCH_TOOL);
    assert.equal(tools[0]?.execution?.taskSupport, 'required', JSON.stringify(tools[0]));
    taskA = await createTask(a, `topic of A ${process.pid}`);
    taskB = await createTask(b, `topic of B ${process.pid}`);
  });

  after(async () => {
    await closeAll(a, b);
    await proxy?.stop();
  });

  test('tasks/list: each session sees its own task and not the other’s', async () => {
    const listA = (await a.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
    const listB = (await b.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
    assert.ok(listA.includes(taskA.taskId), `A's own task missing from A's list: ${listA}`);
    assert.ok(listB.includes(taskB.taskId), `B's own task missing from B's list: ${listB}`);
    assert.ok(!listB.includes(taskA.taskId), `B's tasks/list shows A's task ${taskA.taskId}: ${listB}`);
    assert.ok(!listA.includes(taskB.taskId), `A's tasks/list shows B's task ${taskB.taskId}: ${listA}`);
  });

  test('tasks/cancel of A’s task by B fails like an unknown id (-32602), and A’s task is not cancelled', { timeout: 30_000 }, async () => {
    // A fresh task, cancelled at once: the research takes 4 s, so it is still working.
    const victim = await createTask(a, `cancel target ${process.pid}`);
    const attempt = await b.client.experimental.tasks.cancelTask(victim.taskId).then(
      (result) => ({ result }),
      (error) => ({ error }),
    );
    // First what matters most: A's task is untouched.
    const status = await a.client.experimental.tasks.getTask(victim.taskId);
    assert.notEqual(status.status, 'cancelled', `B's cancel reached A's task: ${JSON.stringify(status)}`);
    assert.ok(['working', 'completed'].includes(status.status), JSON.stringify(status));
    // Then B's answer: the one an unknown id gets.
    await assertLikeUnknown(
      (id) =>
        id === victim.taskId
          ? (attempt.error ? Promise.reject(attempt.error) : Promise.resolve(attempt.result))
          : b.client.experimental.tasks.cancelTask(id),
      victim.taskId,
      'tasks/cancel',
    );
  });

  test('tasks/get of A’s task by B fails like an unknown id (-32602)', async () => {
    await assertLikeUnknown((id) => b.client.experimental.tasks.getTask(id), taskA.taskId, 'tasks/get');
  });

  test('tasks/result of A’s task by B fails like an unknown id (-32602)', { timeout: 30_000 }, async () => {
    await assertLikeUnknown(
      (id) => b.client.experimental.tasks.getTaskResult(id, CallToolResultSchema),
      taskA.taskId,
      'tasks/result',
    );
  });

  test('A still sees its task and gets its result', { timeout: 30_000 }, async () => {
    const status = await a.client.experimental.tasks.getTask(taskA.taskId);
    assert.equal(status.taskId, taskA.taskId);
    assert.notEqual(status.status, 'cancelled', JSON.stringify(status));
    const result = await a.client.experimental.tasks.getTaskResult(taskA.taskId, CallToolResultSchema);
    assert.match(textOf(result), new RegExp(`Research Report: topic of A ${process.pid}`), textOf(result).slice(0, 300));
    const done = await a.client.experimental.tasks.getTask(taskA.taskId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
  });
});

describe('shared mode: a log message reaches only the session it belongs to', () => {
  let proxy;
  let a; // calls logging/setLevel debug, causes every log message of this group
  let b; // a bystander: never calls logging/setLevel, causes no log message
  let docs;

  before(async () => {
    proxy = await startProxy(everythingConfig());
    a = await connectRecordingClient(proxy.url, { tag: 'log-a' });
    b = await connectRecordingClient(proxy.url, { tag: 'log-b' });
    await a.client.setLoggingLevel('debug');
    docs = await documentUris(a.client);
  });

  after(async () => {
    await closeAll(a, b);
    await proxy?.stop();
  });

  test('the acknowledgement of A’s subscribe (A’s request alone in flight) reaches A, not B', async () => {
    const uri = docs[0];
    const bBefore = b.seen.logs.length;
    await a.client.subscribeResource({ uri });
    try {
      const ack = await waitFor(() => logsMentioning(a, `${SUBSCRIBE_ACK}${uri}`)[0], {
        timeoutMs: 5000,
        what: `the subscribe acknowledgement at A (A got ${JSON.stringify(a.seen.logs)})`,
      });
      assert.equal(ack.level, 'info');
      await sleep(1500);
      assert.deepEqual(b.seen.logs.slice(bBefore), [], 'B received a log message caused by A');
    } finally {
      await a.client.unsubscribeResource({ uri });
    }
  });

  test('while B has a call in flight, the acknowledgement of A’s subscribe still never reaches B', { timeout: 30_000 }, async () => {
    // On stdio both requests are in flight when the acknowledgement arrives; it is A's (its
    // text names A's URI), never B's: B must not get it, whatever the proxy does with it.
    const uri = docs[1];
    const bBefore = b.seen.logs.length;
    const progress = [];
    const bCall = b.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 3, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    try {
      await waitFor(() => progress.length > 0, { timeoutMs: 5000, what: 'B’s call to be running (first progress)' });
      await a.client.subscribeResource({ uri });
      assert.match(textOf(await bCall), /Long running operation completed/);
      await sleep(1500);
      const leaked = b.seen.logs.slice(bBefore);
      assert.deepEqual(leaked, [], `B (call in flight, no setLevel) received A's log messages`);
      // A may or may not get it (the proxy cannot tell on stdio); never twice.
      assert.ok(logsMentioning(a, `${SUBSCRIBE_ACK}${uri}`).length <= 1, JSON.stringify(a.seen.logs));
    } finally {
      await bCall.catch(() => {});
      await a.client.unsubscribeResource({ uri });
    }
  });

  test('simulated log messages tied to no request are not broadcast: B (no setLevel) gets none', { timeout: 40_000 }, async () => {
    const bBefore = b.seen.logs.length;
    const aBefore = a.seen.logs.length;
    const linesBefore = occurrences(proxy.output(), BACKEND_LOG_LINE);
    const on = await a.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
    assert.match(textOf(on), /Started simulated/);
    try {
      // One message at once (during A's call), then one every 5 s from a timer: wait for two
      // of those, seen by A or (if the proxy drops them) in the proxy's own debug log.
      await waitFor(
        () =>
          a.seen.logs.slice(aBefore).filter((l) => SIMULATED.test(String(l.data))).length >= 3 ||
          occurrences(proxy.output(), BACKEND_LOG_LINE) - linesBefore >= 3,
        { timeoutMs: 16_000, intervalMs: 200, what: 'three simulated log messages from server-everything' },
      );
    } finally {
      const off = await a.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
      assert.match(textOf(off), /Stopped simulated/);
    }
    await sleep(1000);
    const leaked = b.seen.logs.slice(bBefore);
    assert.deepEqual(leaked, [], `B received ${leaked.length} log message(s) it never asked for`);
  });
});

describe('shared mode: logging/setLevel is kept per session', () => {
  let proxy;
  let a;
  let b;
  let docs;

  before(async () => {
    proxy = await startProxy(everythingConfig());
    a = await connectRecordingClient(proxy.url, { tag: 'level-a' });
    b = await connectRecordingClient(proxy.url, { tag: 'level-b' });
    docs = await documentUris(a.client);
  });

  after(async () => {
    await closeAll(a, b);
    await proxy?.stop();
  });

  test('A at debug, then B at error: A still receives info messages, B does not', { timeout: 20_000 }, async () => {
    await a.client.setLoggingLevel('debug');
    await b.client.setLoggingLevel('error');
    const [uriA, uriB] = [docs[0], docs[1]];
    try {
      await a.client.subscribeResource({ uri: uriA });
      await waitFor(() => logsMentioning(a, `${SUBSCRIBE_ACK}${uriA}`).length > 0, {
        timeoutMs: 5000,
        what: 'the info-level subscribe acknowledgement at A (level debug) after B chose error',
      });
      await b.client.subscribeResource({ uri: uriB });
      await sleep(1500);
      assert.deepEqual(logsMentioning(b, SUBSCRIBE_ACK), [], 'B (level error) received an info message');
    } finally {
      await a.client.unsubscribeResource({ uri: uriA }).catch(() => {});
      await b.client.unsubscribeResource({ uri: uriB }).catch(() => {});
    }
  });

  test('B at error, then A at debug: B still receives nothing below error, A does', { timeout: 20_000 }, async () => {
    await b.client.setLoggingLevel('error');
    await a.client.setLoggingLevel('debug');
    const [uriB, uriA] = [docs[2], docs[3]];
    const bBefore = b.seen.logs.length;
    try {
      await b.client.subscribeResource({ uri: uriB });
      await a.client.subscribeResource({ uri: uriA });
      await waitFor(() => logsMentioning(a, `${SUBSCRIBE_ACK}${uriA}`).length > 0, {
        timeoutMs: 5000,
        what: 'the info-level subscribe acknowledgement at A (level debug)',
      });
      await sleep(1500);
      const below = b.seen.logs.slice(bBefore).filter((l) => !['error', 'critical', 'alert', 'emergency'].includes(l.level));
      assert.deepEqual(below, [], 'B (level error) received messages below error');
    } finally {
      await a.client.unsubscribeResource({ uri: uriA }).catch(() => {});
      await b.client.unsubscribeResource({ uri: uriB }).catch(() => {});
    }
  });
});

describe('shared mode: resource subscriptions of one session are not another’s to end', () => {
  let proxy;
  let a; // subscribes
  let b; // never subscribes, sends an unsubscribe
  let docs;

  before(async () => {
    proxy = await startProxy(everythingConfig());
    a = await connectRecordingClient(proxy.url, { tag: 'sub-a' });
    b = await connectRecordingClient(proxy.url, { tag: 'sub-b' });
    docs = await documentUris(a.client);
  });

  after(async () => {
    await closeAll(a, b);
    await proxy?.stop();
  });

  /** Runs `fn` with server-everything's simulated resource updates on (one at once, then every 5 s). */
  async function withUpdates(fn) {
    const on = await a.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    assert.match(textOf(on), /Started simulated resource updated/);
    try {
      return await fn();
    } finally {
      const off = await a.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      assert.match(textOf(off), /Stopped simulated resource updates/);
    }
  }

  const updatesOf = (rc, uri) => rc.seen.updated.filter((u) => u === uri).length;

  test('B unsubscribing a URI it never subscribed to does not end A’s updates; B gets none', { timeout: 40_000 }, async () => {
    const uri = docs[0];
    await a.client.subscribeResource({ uri });
    try {
      await withUpdates(async () => {
        await waitFor(() => updatesOf(a, uri) > 0, { timeoutMs: 7000, what: `A's first resources/updated for ${uri}` });
        // B never subscribed: whatever it is answered, A's subscription must survive.
        await b.client.unsubscribeResource({ uri }).catch(() => {});
        const seen = updatesOf(a, uri);
        // The backend sends every 5 s: 12 s covers two chances.
        await waitFor(() => updatesOf(a, uri) > seen, {
          timeoutMs: 12_000,
          intervalMs: 200,
          what: `another resources/updated for ${uri} at A after B's unsubscribe (A had ${seen})`,
        });
      });
      assert.deepEqual(b.seen.updated, [], 'B received updates of a subscription it never made');
    } finally {
      await a.client.unsubscribeResource({ uri }).catch(() => {});
    }
  });

  test('subscribing to "" is refused (-32602) or receives no update at all', { timeout: 40_000 }, async () => {
    const uri = docs[1];
    const c = await connectRecordingClient(proxy.url, { tag: 'sub-empty' });
    try {
      await a.client.subscribeResource({ uri });
      let refused = null;
      try {
        await c.client.subscribeResource({ uri: '' });
      } catch (err) {
        refused = err;
      }
      if (refused) assert.equal(refused.code, ErrorCode.InvalidParams, `subscribe "" failed otherwise: ${refused}`);
      await withUpdates(async () => {
        // Two updates at A prove updates flowed meanwhile.
        await waitFor(() => updatesOf(a, uri) >= 2, {
          timeoutMs: 12_000,
          intervalMs: 200,
          what: `two resources/updated for ${uri} at A`,
        });
      });
      await sleep(500);
      assert.deepEqual(c.seen.updated, [], 'a subscription to "" received other resources’ updates');
    } finally {
      await a.client.unsubscribeResource({ uri }).catch(() => {});
      await closeAll(c);
    }
  });
});

describe('shared mode: a session that ends releases its upstream subscriptions (fixture)', () => {
  // support/subscription-recorder.mjs (SDK-built fixture) records the subscribe/unsubscribe
  // calls it gets; server-everything cannot show them.
  let proxy;
  let observer;

  before(async () => {
    proxy = await startProxy({
      mcpServers: { recorder: { command: process.execPath, args: [subscriptionRecorderPath] } },
    });
    observer = await connectRecordingClient(proxy.url, { tag: 'observer' });
  });

  after(async () => {
    await closeAll(observer);
    await proxy?.stop();
  });

  async function upstreamLog() {
    const r = await observer.client.callTool({ name: 'recorder__subscription-log', arguments: {} });
    return JSON.parse(textOf(r));
  }
  const unsubscribes = (log, uri) => log.filter((e) => e.method === 'unsubscribe' && e.uri === uri).length;

  test('DELETE of the last subscriber’s session unsubscribes upstream; another subscriber keeps it', { timeout: 30_000 }, async () => {
    const [one, two] = ['fixture://sub/one', 'fixture://sub/two'];
    const a = await connectRecordingClient(proxy.url, { tag: 'leaving' });
    const c = await connectRecordingClient(proxy.url, { tag: 'staying' });
    try {
      await a.client.subscribeResource({ uri: one });
      await a.client.subscribeResource({ uri: two });
      await c.client.subscribeResource({ uri: one });
      const subscribed = await upstreamLog();
      assert.ok(subscribed.some((e) => e.method === 'subscribe' && e.uri === one), JSON.stringify(subscribed));
      assert.ok(subscribed.some((e) => e.method === 'subscribe' && e.uri === two), JSON.stringify(subscribed));

      await a.client.transport.terminateSession(); // A's session ends: only A wanted `two`
      const afterA = await waitFor(
        async () => {
          const log = await upstreamLog();
          return unsubscribes(log, two) > 0 ? log : null;
        },
        { timeoutMs: 5000, intervalMs: 200, what: `an upstream unsubscribe of ${two} after A's session ended` },
      );
      assert.equal(unsubscribes(afterA, one), 0, `${one} still has a subscriber (C): ${JSON.stringify(afterA)}`);

      await c.client.transport.terminateSession(); // the last subscriber of `one` leaves
      await waitFor(async () => unsubscribes(await upstreamLog(), one) > 0, {
        timeoutMs: 5000,
        intervalMs: 200,
        what: `an upstream unsubscribe of ${one} after its last subscriber's session ended`,
      });
    } finally {
      await closeAll(a, c);
    }
  });
});

describe('per-client mode: a backend’s roots/list is answered by its own client only (guard)', () => {
  let proxy;
  let a;
  let b;

  before(async () => {
    proxy = await startProxy(everythingConfig({ sessionMode: 'per-client' }));
    a = await connectRecordingClient(proxy.url, { tag: 'roots-a' });
    b = await connectRecordingClient(proxy.url, { tag: 'roots-b' });
    await waitForTools(a.client, ['everything__get-roots-list']);
    await waitForTools(b.client, ['everything__get-roots-list']);
  });

  after(async () => {
    await closeAll(a, b);
    await proxy?.stop();
  });

  test('concurrent get-roots-list calls each see their caller’s roots; roots/list_changed asks only its sender', { timeout: 30_000 }, async () => {
    const call = (rc) => rc.client.callTool({ name: 'everything__get-roots-list', arguments: {} }).then(textOf);
    const [a1, b1, a2, b2] = await Promise.all([call(a), call(b), call(a), call(b)]);
    for (const [text, own, other] of [[a1, a, b], [a2, a, b], [b1, b, a], [b2, b, a]]) {
      assert.ok(text.includes(own.roots[0].uri), text);
      assert.ok(!text.includes(other.roots[0].uri), text);
    }
    await sleep(500);
    const asked = { a: a.seen.roots, b: b.seen.roots };
    await b.client.sendRootsListChanged();
    await waitFor(() => b.seen.roots > asked.b, { timeoutMs: 5000, what: 'a roots/list request at B' });
    await sleep(1000);
    assert.equal(a.seen.roots, asked.a, 'A was asked for roots on behalf of B’s backend');
  });
});
