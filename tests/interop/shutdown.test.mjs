// Shutdown: SIGTERM while calls are in flight. Every call ends (completed or rejected, none
// hangs), the proxy exits with code 0 within 15 s, and none of its descendants (the shared
// server-everything, the per-client one, and anything they started) outlives it.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/shutdown.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';

import { cmdlineOf, connectRecordingClient, isAlive, textOf, waitFor, waitForTools } from './support/forwarding.mjs';
import { serverPaths, startProxy } from './support/proxy.mjs';
import { descendantPids } from './support/remote.mjs';

const CALL_BOUND_MS = 20_000; // past this a call counts as hung
const EXIT_BOUND_MS = 15_000;

describe('SIGTERM with calls in flight', () => {
  let proxy;
  let rc;

  after(async () => {
    await rc?.client.close().catch(() => {});
    await proxy?.stop(); // only if the test failed before the proxy exited
  });

  test('calls end, the proxy exits 0 within 15 s, no descendant survives', { timeout: 60_000 }, async (t) => {
    const everything = serverPaths().everything;
    proxy = await startProxy({
      mcpServers: {
        shared: { command: process.execPath, args: [everything] },
        private: { command: process.execPath, args: [everything], sessionMode: 'per-client' },
      },
    });
    rc = await connectRecordingClient(proxy.url, { tag: 'shutdown' });
    await waitForTools(rc.client, ['shared__trigger-long-running-operation', 'private__trigger-long-running-operation']);

    // Four 3-second calls, two per backend; each reports progress once a second.
    const calls = ['shared', 'private', 'shared', 'private'].map((backend, i) => {
      const progress = [];
      const started = Date.now();
      const done = rc.client
        .callTool(
          { name: `${backend}__trigger-long-running-operation`, arguments: { duration: 3, steps: 3 } },
          undefined,
          { onprogress: (p) => progress.push(p), timeout: 30_000 },
        )
        .then(
          (result) => ({ outcome: 'completed', text: textOf(result), ms: Date.now() - started }),
          (err) => ({ outcome: 'rejected', error: String(err?.message ?? err), ms: Date.now() - started }),
        );
      const bounded = Promise.race([done, sleep(CALL_BOUND_MS, undefined, { ref: false }).then(() => ({ outcome: 'hung' }))]);
      return { backend, i, progress, bounded };
    });

    // In flight: each has reported its first progress step.
    await waitFor(() => calls.every((c) => c.progress.length >= 1), {
      timeoutMs: 5000,
      what: 'the first progress notification of every call',
    });

    const pid = proxy.proc.pid;
    const descendants = descendantPids(pid);
    const described = descendants.map((p) => `${p} ${cmdlineOf(p)}`);
    t.diagnostic(`descendants before SIGTERM: ${described.join('; ')}`);
    const everythings = descendants.filter((p) => cmdlineOf(p).includes('server-everything'));
    assert.ok(everythings.length >= 2, `expected the shared and the per-client server-everything: ${described}`);

    const exited = new Promise((resolve) =>
      proxy.proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const sentAt = Date.now();
    proxy.proc.kill('SIGTERM');

    const outcomes = await Promise.all(calls.map((c) => c.bounded));
    t.diagnostic(`outcomes: ${JSON.stringify(outcomes)}`);
    outcomes.forEach((o, i) => {
      assert.notEqual(o.outcome, 'hung', `call ${i} (${calls[i].backend}) neither completed nor failed within ${CALL_BOUND_MS} ms`);
      if (o.outcome === 'completed') assert.match(o.text, /Long running operation completed/, `call ${i}: ${o.text}`);
    });

    const exit = await Promise.race([exited, sleep(EXIT_BOUND_MS, undefined, { ref: false }).then(() => null)]);
    assert.ok(exit, `the proxy had not exited ${EXIT_BOUND_MS} ms after SIGTERM\n--- output ---\n${proxy.output()}`);
    t.diagnostic(`exited ${exit.at - sentAt} ms after SIGTERM (code ${exit.code}, signal ${exit.signal})`);
    assert.equal(exit.signal, null, `the proxy died of ${exit.signal}`);
    assert.equal(exit.code, 0, `exit code ${exit.code}\n--- output ---\n${proxy.output()}`);

    const survivors = descendants.filter(isAlive);
    if (survivors.length) {
      // Say whether they were merely late or really left behind, then clean up.
      await sleep(2000);
      const still = survivors.filter(isAlive);
      for (const p of still) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      assert.fail(
        `alive when the proxy exited: ${survivors.map((p) => `${p} ${cmdlineOf(p) || '(gone since)'}`).join('; ')}; ` +
          `still alive 2 s later: ${still.join(', ') || 'none'}`,
      );
    }
  });
});
