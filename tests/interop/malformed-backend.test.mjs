// Malformed backend answers (issue 10, defect 8): a backend that answers `tasks/list` with
// something that is not a list of tasks ({"tasks": 5}, {"tasks": [1, "x", null]}, a result that
// is not an object, ...) must not crash the proxy, and the client's tasks/list must be
// answered: with an error, or with the valid items only.
//
// The backend is support/raw-backend.mjs, an SDK-free stdio fixture: no reference server (and
// no SDK-built one) sends a malformed result. The client side is raw HTTP (rawSession), to see
// exactly what the proxy answers: the SDK client would reject a malformed list itself.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/malformed-backend.test.mjs
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import { rawSession } from './support/forwarding.mjs';
import { startProxy } from './support/proxy.mjs';
import { healthOf } from './support/remote.mjs';

const rawBackendPath = fileURLToPath(new URL('./support/raw-backend.mjs', import.meta.url));

const VALID_TASK = {
  taskId: 'valid-task-1',
  status: 'working',
  ttl: 60000,
  createdAt: '2026-01-01T00:00:00Z',
  lastUpdatedAt: '2026-01-01T00:00:00Z',
};

// [label, the `result` the backend sends (JSON text), the valid items the client may get (a subset)]
const CASES = [
  ['"tasks" is a number', '{"tasks": 5}', []],
  ['"tasks" holds a number, a string and null', '{"tasks": [1, "x", null]}', []],
  ['"tasks" holds garbage and one valid task', `{"tasks": [1, "x", null, ${JSON.stringify(VALID_TASK)}]}`, [VALID_TASK]],
  ['a task whose taskId is a number', '{"tasks": [{"taskId": 7, "status": "working"}]}', []],
  ['no "tasks" key', '{}', []],
  ['the result is a number', '5', []],
  ['the result is a string', '"tasks"', []],
  ['the result is null', 'null', []],
  ['the result is an array', '[]', []],
  ['the result is true', 'true', []],
];

/** Every JSON-RPC message of one raw POST, within 15 s. */
async function exchange(session, message) {
  const res = await session.post(message, { signal: AbortSignal.timeout(15_000) });
  const messages = [];
  for await (const m of res.messages) messages.push(m);
  return { status: res.status, messages };
}

describe('a malformed tasks/list answer from a backend', () => {
  for (const [label, resultText, validItems] of CASES) {
    test(`${label}: the proxy stays up and answers with an error or the valid items only`, { timeout: 30_000 }, async () => {
      const proxy = await startProxy({
        mcpServers: { raw: { command: process.execPath, args: [rawBackendPath, '--tasks-result', resultText] } },
      });
      let session;
      try {
        session = await rawSession(proxy.url);
        let answer;
        try {
          answer = await exchange(session, { jsonrpc: '2.0', id: 1, method: 'tasks/list', params: {} });
        } catch (err) {
          // Give a crashed proxy a moment to be reaped, to say how it ended.
          await Promise.race([once(proxy.proc, 'exit'), sleep(1000)]);
          const how = proxy.proc.signalCode ?? proxy.proc.exitCode ?? 'still running';
          assert.fail(`tasks/list got no answer (${err.cause?.code ?? err.message}); proxy: ${how}`);
        }
        assert.equal(answer.status, 200, JSON.stringify(answer));
        const reply = answer.messages.find((m) => m.id === 1);
        assert.ok(reply, `no reply to tasks/list: ${JSON.stringify(answer.messages)}`);
        if (reply.error) {
          assert.equal(typeof reply.error.code, 'number', JSON.stringify(reply));
          assert.equal(typeof reply.error.message, 'string', JSON.stringify(reply));
        } else {
          assert.ok(Array.isArray(reply.result?.tasks), `result.tasks is not an array: ${JSON.stringify(reply)}`);
          for (const t of reply.result.tasks)
            assert.ok(t && typeof t === 'object' && typeof t.taskId === 'string', `invalid item passed on: ${JSON.stringify(t)}`);
          // Valid items only, unchanged. A proxy that shows a session only its own tasks may
          // leave out the valid one too (this session did not create it through the proxy).
          for (const t of reply.result.tasks)
            assert.ok(validItems.some((v) => JSON.stringify(v) === JSON.stringify(t)), `not a valid item: ${JSON.stringify(t)}`);
        }

        // Still serving: the same session, and /health.
        const ping = await exchange(session, { jsonrpc: '2.0', id: 2, method: 'ping' });
        assert.deepEqual(ping.messages.find((m) => m.id === 2)?.result, {}, JSON.stringify(ping));
        const health = await healthOf(proxy);
        assert.equal(health.backends.find((b) => b.name === 'raw')?.state, 'up', JSON.stringify(health));
        await session.close();
        assert.equal(await proxy.stop(), 0, 'the proxy did not exit cleanly on SIGTERM');
      } finally {
        await session?.close();
        await proxy.stop();
      }
    });
  }
});
