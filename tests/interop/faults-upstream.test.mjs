// Fault injection from a hostile HTTP upstream (issue 10, defects 7 and 8). No real MCP
// server misbehaves like this, so a node:http fixture (support/hostile-http.mjs) plays a
// Streamable HTTP backend that answers initialize properly and then answers tools/call with
// an endless SSE `data:` line, a 200 MB JSON body, garbage, or a reply nested 100 levels
// deep; and a legacy HTTP+SSE backend whose GET stream starts an endless `data:` line.
// For each: the call fails with a JSON-RPC error naming the backend well before
// requestTimeoutMs (60 s here; for the deep reply at once), the proxy's resident memory stays
// under 400 MB throughout, and server-everything, another backend of the same proxy, answers
// meanwhile. A reply 60 levels deep is within what the proxy must accept from a backend.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/faults-upstream.test.mjs
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';

import { connectRecordingClient, textOf, waitForTools } from './support/forwarding.mjs';
import { running, watchRss } from './support/faults.mjs';
import { startHostileServer } from './support/hostile-http.mjs';
import { serverPaths, startProxy } from './support/proxy.mjs';

// 400 MB; a sanitizer build may need more (ASan keeps up to 256 MB of freed memory in its
// quarantine by default): MCPROXY_TEST_RSS_LIMIT_MB overrides it.
const RSS_LIMIT = Number(process.env.MCPROXY_TEST_RSS_LIMIT_MB ?? 400) * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
const MB = (n) => `${(n / 1024 / 1024).toFixed(0)} MB`;

let proxy;
let hostile;
let rc;
afterEach(async () => {
  hostile?.stop();
  await rc?.client.close().catch(() => {});
  await proxy?.stop();
  await hostile?.close();
  proxy = hostile = rc = undefined;
});

/**
 * Settles with {ok, value|error, ms} once `promise` does, or {hung: true} after `ms`, or
 * {hung: true, memory: true} as soon as `overLimit` resolves.
 */
async function within(promise, ms, overLimit = new Promise(() => {})) {
  const started = Date.now();
  return Promise.race([
    promise.then(
      (value) => ({ ok: true, value, ms: Date.now() - started }),
      (error) => ({ ok: false, error, ms: Date.now() - started }),
    ),
    sleep(ms, undefined, { ref: false }).then(() => ({ hung: true, ms })),
    overLimit.then(() => ({ hung: true, memory: true, ms: Date.now() - started })),
  ]);
}

/**
 * Proxy with server-everything and the hostile fixture (`streamable-http` or `sse`); calls
 * hostile__<tool> and, while it is in flight, everything__echo. Resolves what happened.
 */
async function hostileCall(tool, { type = 'streamable-http', boundMs }) {
  hostile = await startHostileServer();
  proxy = await startProxy({
    mcpServers: {
      everything: { command: process.execPath, args: [serverPaths().everything] },
      hostile: {
        url: type === 'sse' ? hostile.sseUrl : hostile.url,
        type,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        healthCheckIntervalMs: 0,
        reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
      },
    },
  });
  rc = await connectRecordingClient(proxy.url, { tag: `hostile-${tool}` });
  await waitForTools(rc.client, [`hostile__${tool}`, 'everything__echo'], { timeoutMs: 20_000 });
  // Protects the machine too: past the limit the fixture stops feeding the proxy.
  let overLimit;
  const exceeded = new Promise((resolve) => (overLimit = resolve));
  const rss = watchRss(proxy.proc.pid, {
    onSample: (bytes) => {
      if (bytes > RSS_LIMIT) {
        hostile.stop();
        overLimit();
      }
    },
  });
  const call = within(
    rc.client.callTool({ name: `hostile__${tool}`, arguments: {} }, undefined, { timeout: REQUEST_TIMEOUT_MS + 10_000 }),
    boundMs,
    exceeded,
  );
  await sleep(300);
  const echo = await within(rc.client.callTool({ name: 'everything__echo', arguments: { message: `during ${tool}` } }, undefined, { timeout: 30_000 }), 10_000);
  const outcome = await call;
  hostile.stop();
  const peak = rss.stop();
  return { tool, outcome, echo, peak, sent: hostile.stats.bytesSent };
}

/** The assertions every hostile case shares; all problems are reported together. */
function assertContained({ tool, outcome, echo, peak, sent }, { what, boundMs }) {
  assert.ok(running(proxy), `the proxy died (signal ${proxy.proc.signalCode}, code ${proxy.proc.exitCode})\n${proxy.output().slice(-3000)}`);
  const problems = [];
  if (peak >= RSS_LIMIT) problems.push(`the proxy's resident memory reached ${MB(peak)} (limit ${MB(RSS_LIMIT)}; the fixture had sent ${MB(sent)})`);
  if (outcome.hung) {
    problems.push(
      outcome.memory
        ? `no answer to the call before the memory limit was crossed (${what})`
        : `no answer to the call within ${boundMs} ms (${what}; requestTimeoutMs is ${REQUEST_TIMEOUT_MS}); the fixture had sent ${MB(sent)}`,
    );
  } else if (outcome.ok) {
    problems.push(`the call succeeded: ${JSON.stringify(outcome.value ?? null).slice(0, 300)}`);
  } else if (!/hostile/.test(String(outcome.error?.message))) {
    problems.push(`the error does not name the backend: ${outcome.error?.message}`);
  }
  if (echo.hung) problems.push('everything__echo did not answer within 10 s while the hostile call was in flight');
  else if (!echo.ok) problems.push(`everything__echo failed meanwhile: ${echo.error?.message}`);
  else if (textOf(echo.value) !== `Echo: during ${tool}`) problems.push(`everything__echo answered ${textOf(echo.value)}`);
  assert.deepEqual(problems, []);
}

describe('D7/D8: a hostile Streamable HTTP upstream', () => {
  test('an SSE answer whose data: line never ends', { timeout: 90_000 }, async () => {
    const boundMs = 15_000;
    const r = await hostileCall('endless-sse', { boundMs });
    assertContained(r, { what: 'endless data: line', boundMs });
  });

  test('an SSE answer of data: lines that never completes an event', { timeout: 90_000 }, async () => {
    const boundMs = 15_000;
    const r = await hostileCall('endless-lines', { boundMs });
    assertContained(r, { what: 'endless data: lines', boundMs });
  });

  test('a 200 MB JSON body', { timeout: 90_000 }, async () => {
    const boundMs = 15_000;
    const r = await hostileCall('huge-json', { boundMs });
    assertContained(r, { what: '200 MB body', boundMs });
  });

  test('garbage bytes as the JSON body', { timeout: 90_000 }, async () => {
    const boundMs = 10_000;
    const r = await hostileCall('garbage', { boundMs });
    assertContained(r, { what: 'garbage body', boundMs });
  });

  test('a valid result nested 100 levels deep: an error at once, not after the timeout', { timeout: 90_000 }, async () => {
    const boundMs = 5000;
    const r = await hostileCall('deep-100', { boundMs });
    assertContained(r, { what: 'reply nested 100 deep', boundMs });
  });

  test('a valid result nested 60 levels deep is delivered (backends may nest up to at least 64)', { timeout: 90_000 }, async () => {
    const boundMs = 5000;
    const { outcome } = await hostileCall('deep-60', { boundMs });
    assert.ok(!outcome.hung, `no answer within ${boundMs} ms to a reply nested 60 deep`);
    assert.ok(outcome.ok, `the call failed: ${outcome.error?.message}`);
    assert.equal(textOf(outcome.value), 'deep 60');
    let depth = 0;
    for (let v = outcome.value.deep; Array.isArray(v); v = v[0]) depth++;
    assert.equal(depth, 58, 'the nesting arrived changed');
  });
});

describe('D7: a hostile legacy HTTP+SSE upstream', () => {
  test('the GET stream starts a data: line that never ends', { timeout: 90_000 }, async () => {
    const boundMs = 15_000;
    const r = await hostileCall('endless-stream', { type: 'sse', boundMs });
    assertContained(r, { what: 'endless data: line on the legacy GET stream', boundMs });
  });

  test('the GET stream starts data: lines that never complete an event', { timeout: 90_000 }, async () => {
    const boundMs = 15_000;
    const r = await hostileCall('endless-stream-lines', { type: 'sse', boundMs });
    assertContained(r, { what: 'endless data: lines on the legacy GET stream', boundMs });
  });
});
