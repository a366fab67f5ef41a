// The MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, "active" server suite,
// 30 scenarios) run against MCProxy's Streamable HTTP endpoint, with the SDK-built fixture
// server (tests/conformance/fixture-server.mjs) as the proxy's only stdio backend and prefixing
// off, so the suite sees the fixture's tool/prompt/resource names unchanged.
//
// One subtest per scenario, named after it; a failing one reports the failed checks' messages
// from checks.json. The per-scenario table is printed once the suite has run.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/conformance.test.mjs
// (The fixture alone, without the proxy: node tests/conformance/fixture-server.mjs --http PORT,
//  then node tests/conformance/run-conformance.mjs --url http://localhost:PORT/mcp.)
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import {
  ACTIVE_SERVER_SCENARIOS,
  describeFailure,
  formatTable,
  runConformance,
} from '../conformance/run-conformance.mjs';
import { startProxy } from './support/proxy.mjs';

const fixturePath = fileURLToPath(new URL('../conformance/fixture-server.mjs', import.meta.url));

const SUITE_TIMEOUT_MS = 300_000;
const CLI_TIMEOUT_MS = 240_000;

const config = {
  mcpServers: {
    fixture: { command: process.execPath, args: [fixturePath] },
  },
  naming: { prefix: 'never' },
};


describe('conformance suite (0.1.16, active server scenarios) through MCProxy', { timeout: SUITE_TIMEOUT_MS }, () => {
  let proxy;
  let run;
  let setupError;

  before(async () => {
    try {
      proxy = await startProxy(config);
      // dns-rebinding-protection only runs against a localhost URL (and sends Host: localhost:P).
      const url = proxy.url.replace('127.0.0.1', 'localhost');
      run = await runConformance({ url, timeoutMs: CLI_TIMEOUT_MS });
      console.log(`conformance 0.1.16 against ${url} (MCProxy → fixture over stdio)\n${formatTable(run.results)}`);
      if (!run.ok) {
        const tail = proxy.output().split('\n').slice(-60).join('\n');
        console.log(`--- last lines of MCProxy output ---\n${tail}`);
      }
    } catch (err) {
      setupError = err;
    }
  }, { timeout: SUITE_TIMEOUT_MS });

  after(async () => {
    await proxy?.stop();
  });

  test('the suite ran every active scenario', () => {
    if (setupError) throw setupError;
    const ran = run.results.map((r) => r.scenario);
    assert.deepEqual([...ran].sort(), [...ACTIVE_SERVER_SCENARIOS].sort());
  });

  for (const scenario of ACTIVE_SERVER_SCENARIOS) {
    test(scenario, (t) => {
      if (setupError) throw setupError;
      const result = run.results.find((r) => r.scenario === scenario);
      assert.ok(result, `no result for ${scenario}`);
      for (const w of result.warningChecks) t.diagnostic(`warning ${w.id}: ${w.errorMessage ?? ''}`);
      assert.equal(
        result.status,
        'PASS',
        `${scenario} failed ${result.failed} check(s):\n    ${result.failures.map(describeFailure).join('\n    ')}`,
      );
    });
  }
});
