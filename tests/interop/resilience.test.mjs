// Resilience: a backend that dies comes back (stdio: a new process; HTTP: the same server
// restarted on its port), connected clients hear of it through tools/list_changed, and the
// other backends never notice; a backend that never answers costs the caller requestTimeoutMs
// and no more, and is told to cancel.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/resilience.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { connectRecordingClient, isAlive, textOf, waitFor, waitForTools } from './support/forwarding.mjs';
import { serverPaths, startProxy } from './support/proxy.mjs';
import { backendOf, hangingServerPath, healthOf, startEverythingHttp, waitForBackend } from './support/remote.mjs';

const FAST_RECONNECT = { initialDelayMs: 200, maxDelayMs: 1000 };
const REQUEST_TIMEOUT_MS = 1500;

async function closeAll(...rcs) {
  await Promise.all(
    rcs.filter(Boolean).map(async (rc) => {
      await rc.client.transport?.terminateSession?.().catch(() => {});
      await rc.client.close().catch(() => {});
    }),
  );
}

/**
 * Calls `steady__echo` back to back until stop() is called; stop() resolves with
 * {ok, failures} (failures: the error messages).
 */
function echoLoop(client, name = 'steady__echo') {
  let running = true;
  let ok = 0;
  const failures = [];
  const done = (async () => {
    for (let i = 0; running; i++) {
      const message = `steady ${i}`;
      try {
        const r = await client.callTool({ name, arguments: { message } }, undefined, { timeout: 10_000 });
        if (textOf(r) === `Echo: ${message}`) ok += 1;
        else failures.push(`unexpected answer ${JSON.stringify(r)}`);
      } catch (err) {
        failures.push(String(err?.message ?? err));
      }
      await sleep(20);
    }
  })();
  return async () => {
    running = false;
    await done;
    return { ok, failures };
  };
}

describe('stdio backends: a killed server comes back, a silent one times out', () => {
  let proxy;
  let rc;
  let hangLog;
  let tmp;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-resilience-'));
    hangLog = path.join(tmp, 'hanging-server.log');
    const everything = serverPaths().everything;
    proxy = await startProxy({
      mcpServers: {
        victim: { command: process.execPath, args: [everything], reconnect: FAST_RECONNECT },
        steady: { command: process.execPath, args: [everything], reconnect: FAST_RECONNECT },
        hang: {
          command: process.execPath,
          args: [hangingServerPath],
          env: { HANGING_SERVER_LOG: hangLog },
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          reconnect: FAST_RECONNECT,
        },
      },
    });
    rc = await connectRecordingClient(proxy.url, { tag: 'resilience' });
  });

  after(async () => {
    await closeAll(rc);
    await proxy?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('SIGKILL of a stdio backend: down, then up with a new pid; list_changed; other backends unaffected', { timeout: 40_000 }, async () => {
    await waitForTools(rc.client, ['victim__echo', 'steady__echo']);
    const before = backendOf(await healthOf(proxy), 'victim');
    assert.equal(before.state, 'up', JSON.stringify(before));
    assert.ok(before.pid > 0, JSON.stringify(before));
    const reconnectsBefore = before.reconnects ?? 0;
    const changedBefore = rc.seen.toolsChanged;

    const stopLoop = echoLoop(rc.client);
    await sleep(300); // the loop is running before the kill
    process.kill(before.pid, 'SIGKILL');

    const states = [];
    let back;
    let loop;
    try {
      back = await waitForBackend(
        proxy,
        'victim',
        (b) => {
          if (states.at(-1) !== b.state) states.push(b.state);
          return b.state === 'up' && b.pid && b.pid !== before.pid && b.reconnects >= reconnectsBefore + 1;
        },
        { timeoutMs: 15_000, intervalMs: 20, what: 'victim up again with a new pid and reconnects ≥ 1' },
      );
    } finally {
      // Keep calling a little after the recovery too.
      await sleep(300);
      loop = await stopLoop();
    }
    // A backend that was up is reconnected at once (its catalogue kept meanwhile); /health
    // shows it "down" or "starting" while that happens.
    await proxy.waitForOutput(/\[victim\] connection lost: .*reconnecting/);
    assert.ok(states.some((s) => s === 'down' || s === 'starting'), `/health never showed the outage; states seen: ${states.join(' → ')}`);
    assert.ok(back.tools > 0, `up again but no tools: ${JSON.stringify(back)}`);
    assert.ok(!isAlive(before.pid), `the killed process ${before.pid} is still alive`);

    assert.deepEqual(loop.failures, [], `calls to steady failed during the outage (${loop.ok} succeeded)`);
    assert.ok(loop.ok >= 5, `only ${loop.ok} echo calls to steady completed`);

    await waitFor(() => rc.seen.toolsChanged > changedBefore, {
      timeoutMs: 5000,
      what: 'notifications/tools/list_changed at the connected client',
    });
    await waitForTools(rc.client, ['victim__echo']);
    const r = await rc.client.callTool({ name: 'victim__echo', arguments: { message: 'back again' } });
    assert.equal(textOf(r), 'Echo: back again');
  });

  test(`a backend that never answers: the call fails after requestTimeoutMs, naming it; it gets notifications/cancelled`, { timeout: 30_000 }, async () => {
    await waitForTools(rc.client, ['hang__hang', 'steady__echo']);
    const started = Date.now();
    const hung = rc.client.callTool({ name: 'hang__hang', arguments: {} }, undefined, { timeout: 30_000 }).then(
      (r) => ({ ok: true, r, ms: Date.now() - started }),
      (err) => ({ ok: false, err, ms: Date.now() - started }),
    );
    // Meanwhile the other backends answer as usual.
    await sleep(200);
    const echo = await rc.client.callTool({ name: 'steady__echo', arguments: { message: 'while hung' } });
    assert.equal(textOf(echo), 'Echo: while hung');
    assert.ok(Date.now() - started < REQUEST_TIMEOUT_MS, 'steady answered only after the hung call ended');

    const outcome = await hung;
    assert.equal(outcome.ok, false, `the call was answered: ${JSON.stringify(outcome.r)}`);
    assert.ok(outcome.ms >= REQUEST_TIMEOUT_MS - 100, `failed after ${outcome.ms} ms, before the limit`);
    assert.ok(outcome.ms <= 4000, `failed only after ${outcome.ms} ms`);
    const message = String(outcome.err?.message);
    assert.match(message, /hang/, message);
    assert.match(message, new RegExp(`within ${REQUEST_TIMEOUT_MS} ms`), message);
    assert.equal(outcome.err?.code, -32001, `code ${outcome.err?.code}: ${message}`);

    // The fixture logged the call and, after it, the cancellation naming the call's id.
    const logged = await waitFor(
      () => {
        const lines = fs.existsSync(hangLog) ? fs.readFileSync(hangLog, 'utf8').trim().split('\n') : [];
        const messages = lines.filter(Boolean).map((l) => JSON.parse(l));
        const call = messages.filter((m) => m.method === 'tools/call').at(-1);
        const cancel = call && messages.find((m) => m.method === 'notifications/cancelled' && m.params?.requestId === call.id);
        return cancel ? { call, cancel } : null;
      },
      { timeoutMs: 3000, what: `notifications/cancelled for the tools/call in ${hangLog}` },
    );
    assert.equal(logged.call.params.name, 'hang');

    const after = await rc.client.callTool({ name: 'steady__echo', arguments: { message: 'after hang' } });
    assert.equal(textOf(after), 'Echo: after hang');
    const h = backendOf(await healthOf(proxy), 'hang');
    assert.equal(h.state, 'up', `a timeout must not take the backend down: ${JSON.stringify(h)}`);
  });
});

describe('HTTP backend: server-everything (Streamable HTTP) killed and restarted on its port', () => {
  let server;
  let proxy;
  let rc;

  before(async () => {
    server = await startEverythingHttp('streamableHttp');
    proxy = await startProxy({
      // steady first: a remote backend listed before a stdio one is a separate matter
      // (remote.test.mjs, "a remote backend listed before a stdio backend").
      mcpServers: {
        steady: { command: process.execPath, args: [serverPaths().everything] },
        remote: {
          url: server.url,
          type: 'streamable-http',
          reconnect: FAST_RECONNECT,
          healthCheckIntervalMs: 500,
          failureThreshold: 2,
          requestTimeoutMs: 5000,
          connectTimeoutMs: 2000,
          startupTimeoutMs: 10_000,
        },
      },
    });
    rc = await connectRecordingClient(proxy.url, { tag: 'http-resilience' });
  });

  after(async () => {
    await closeAll(rc);
    await proxy?.stop();
    await server?.kill('SIGKILL');
  });

  test('the proxy notices, reconnects once the server is back, and calls work again', { timeout: 45_000 }, async () => {
    await waitForTools(rc.client, ['remote__echo']);
    const first = await rc.client.callTool({ name: 'remote__echo', arguments: { message: 'before' } });
    assert.equal(textOf(first), 'Echo: before');
    const before = backendOf(await healthOf(proxy), 'remote');
    assert.equal(before.state, 'up', JSON.stringify(before));
    const reconnectsBefore = before.reconnects ?? 0;

    const port = server.port;
    await server.kill('SIGKILL');
    const down = await waitForBackend(proxy, 'remote', (b) => b.state !== 'up', {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'remote no longer up after its server was killed',
    });
    assert.ok(['down', 'starting'].includes(down.state), JSON.stringify(down));
    // Calls to the other backend still work.
    const steady = await rc.client.callTool({ name: 'steady__echo', arguments: { message: 'during' } });
    assert.equal(textOf(steady), 'Echo: during');

    server = await startEverythingHttp('streamableHttp', { port });
    const back = await waitForBackend(proxy, 'remote', (b) => b.state === 'up' && b.reconnects >= reconnectsBefore + 1, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'remote up again with reconnects ≥ 1',
    });
    assert.equal(back.lastError === null || typeof back.lastError === 'string', true);
    await waitForTools(rc.client, ['remote__echo']);
    const again = await rc.client.callTool({ name: 'remote__echo', arguments: { message: 'after' } });
    assert.equal(textOf(again), 'Echo: after');
  });
});
