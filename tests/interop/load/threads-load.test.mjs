// The proxy on several threads under the C++ load generator of bench/ (mcp_load): 32 workers
// on one session, each on its own keep-alive connection, as fast as they can. Every call must
// be answered, none may wait out the generator's 10 s deadline. Before the fix, the disconnect
// watch could peek with a blocking receive after a stale readiness and hold the core until a
// client gave up: under this load a few calls of each run then took 10 s. Only this generator
// is fast enough to show it (the SDK and fetch are not), so the file is registered only in the
// tree that builds bench/ (tests/CMakeLists.txt).
//
// Run: MCPROXY_BIN=build/mcproxy MCPROXY_LOAD_BIN=build/bench/mcp_load node --test tests/interop/load/threads-load.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { startProxy } from '../support/proxy.mjs';

const load = process.env.MCPROXY_LOAD_BIN;

test('20,000 calls at C=32 through 4 threads: all answered, none stuck', async () => {
  assert.ok(load, 'MCPROXY_LOAD_BIN names bench/mcp_load');
  const echo = load.replace(/mcp_load$/, 'echo_server');
  const proxy = await startProxy({ mcpServers: { echo: { command: echo } } }, { extraArgs: ['--threads', '4', '--log-level', 'info'] });
  try {
    for (let run = 0; run < 4; run++) {
      const r = spawnSync(load, ['--url', proxy.url, '--tool', 'echo__echo', '--calls', '5000', '--warmup', '100', '--concurrency', '32', '--label', `run ${run}`],
        { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.errors, 0, `run ${run}: ${r.stdout}`);
      assert.equal(report.calls, 5000, `run ${run}: every call answered: ${r.stdout}`);
      // Not a timing assertion: a call the proxy answers at all takes milliseconds; one that
      // waited for a client to give up takes the generator's whole deadline.
      assert.ok(report.max_us < 8_000_000, `run ${run}: a call waited ${report.max_us} µs: ${r.stdout}`);
    }
  } finally {
    await proxy.stop();
  }
});
