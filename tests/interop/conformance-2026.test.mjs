// The MCP conformance suite's 2026-07-28 requirement set (@modelcontextprotocol/conformance
// 0.2.0-alpha.10, the frozen anchor, pinned under the npm alias conformance-2026), run through
// MCProxy's stateless edge against the SDK v2 fixture server (tests/conformance/
// modern-fixture-server.mjs, over stdio, prefixing off so the suite sees the fixture's names).
// Twice, to cover both roads a 2026-07-28 client can take through the proxy:
//   - the fixture spoken to in its own era (2026-07-28): input_required, requestState and the
//     rest travel end to end;
//   - the same fixture forced into the initialize era ("protocol": "legacy"): its questions
//     come as server-to-client requests, and MCProxy's era bridge turns them into
//     input_required with a requestState of its own (the suite's tampered-state scenario then
//     checks MCProxy's signature, not the fixture's).
// One subtest per scenario, named after it, with the failed checks' messages. Four scenarios
// cannot pass on the second road, and are asserted to fail with the check that says why (so a
// change either way is noticed): one shared initialize-era session upstream cannot carry each
// stateless client's own capabilities, nor the input keys a 2025-11-25 server never names.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/conformance-2026.test.mjs
// (The fixture alone: node tests/conformance/modern-fixture-server.mjs --http PORT.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { conformance2026Cli, describeFailure, formatTable, nodeArgs, runConformance } from '../conformance/run-conformance.mjs';
import { startProxy } from './support/proxy.mjs';

const fixturePath = fileURLToPath(new URL('../conformance/modern-fixture-server.mjs', import.meta.url));
const SPEC = ['--spec-version', '2026-07-28'];
const CLI_TIMEOUT_MS = 180_000;
const SUITE_TIMEOUT_MS = 600_000;

/** Every server scenario of the 2026-07-28 requirement set in 0.2.0-alpha.10. */
const SCENARIOS = Object.freeze([
  'server-stateless',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-error',
  'tools-call-with-progress',
  'json-schema-2020-12',
  'server-sse-multiple-streams',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'sep-2164-resource-not-found',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
  'caching',
  'http-header-validation',
  'http-custom-header-server-validation',
  'input-required-result-basic-elicitation',
  'input-required-result-basic-sampling',
  'input-required-result-basic-list-roots',
  'input-required-result-request-state',
  'input-required-result-multiple-input-requests',
  'input-required-result-multi-round',
  'input-required-result-missing-input-response',
  'input-required-result-non-tool-request',
  'input-required-result-result-type',
  'input-required-result-unsupported-methods',
  'input-required-result-tampered-state',
  'input-required-result-capability-check',
  'input-required-result-ignore-extra-params',
  'input-required-result-validate-input',
]);

/** Scenarios that fail when the fixture is spoken to in the initialize era, with the reason. */
const EXPECTED_FAILURES_LEGACY = Object.freeze({
  // The server's own key for its question is not on a 2025-11-25 wire (a server-to-client
  // request has no key): MCProxy names the question itself.
  'input-required-result-basic-elicitation': ['sep-2322-elicitation-incomplete', /missing expected key/],
  // The shared upstream session does not declare roots (one client's roots would become every
  // client's), so the server does not ask for them.
  'input-required-result-basic-list-roots': ['sep-2322-list-roots-incomplete', /roots/],
  'input-required-result-multiple-input-requests': ['sep-2322-multiple-inputs-incomplete', /roots/],
  // The server chooses what to ask by the shared session's capabilities, not this request's;
  // MCProxy then refuses, with -32021, a question the client cannot answer.
  'input-required-result-capability-check': ['sep-2322-respect-client-capabilities', /needs the client capability/],
});


test('the pinned suite lists exactly these 2026-07-28 scenarios', () => {
  const listed = spawnSync(process.execPath, [...nodeArgs(), conformance2026Cli, 'list', '--server', ...SPEC], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const names = [...listed.stdout.matchAll(/^ {2}- (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual([...names].sort(), [...SCENARIOS].sort());
});

for (const era of ['2026-07-28', 'legacy']) {
  describe(`conformance 0.2.0-alpha.10 (2026-07-28) through MCProxy, fixture in the ${era} era`, { timeout: SUITE_TIMEOUT_MS }, () => {
    let proxy;
    let run;
    let setupError;

    before(async () => {
      try {
        proxy = await startProxy({
          mcpServers: { fixture: { command: process.execPath, args: [fixturePath], protocol: era } },
          naming: { prefix: 'never' },
        }, { extraArgs: ['--log-level', 'info'] });
        // dns-rebinding-protection only runs against a localhost URL.
        const url = proxy.url.replace('127.0.0.1', 'localhost');
        // One CLI run for the whole set (--suite all, filtered by the revision): the same 40
        // scenarios, one after the other, without 40 starts of the CLI.
        run = await runConformance({ url, cli: conformance2026Cli, extraArgs: SPEC, suite: 'all', timeoutMs: CLI_TIMEOUT_MS });
        console.log(`conformance 0.2.0-alpha.10 against ${url} (fixture: ${era})\n${formatTable(run.results)}`);
        if (!run.ok) console.log(`--- last lines of MCProxy output ---\n${proxy.output().split('\n').slice(-60).join('\n')}`);
      } catch (err) {
        setupError = err;
      }
    }, { timeout: SUITE_TIMEOUT_MS });

    after(async () => {
      await proxy?.stop();
    });

    test('the backend was spoken to in the era asked for', async () => {
      if (setupError) throw setupError;
      const health = await (await fetch(new URL('/health', proxy.url))).json();
      assert.equal(health.backends[0].protocolVersion, era === 'legacy' ? '2025-11-25' : '2026-07-28');
    });

    for (const scenario of SCENARIOS) {
      const expected = era === 'legacy' ? EXPECTED_FAILURES_LEGACY[scenario] : undefined;
      test(expected ? `${scenario} (fails as expected: ${expected[0]})` : scenario, (t) => {
        if (setupError) throw setupError;
        const result = run.results.find((r) => r.scenario === scenario);
        assert.ok(result, `no result for ${scenario}`);
        for (const w of result.warningChecks) t.diagnostic(`warning ${w.id}: ${w.errorMessage ?? ''}`);
        if (expected) {
          const [id, message] = expected;
          assert.equal(result.status, 'FAIL', `${scenario} passes now: take it out of EXPECTED_FAILURES_LEGACY`);
          assert.deepEqual(result.failures.map((f) => f.id), [id], result.failures.map(describeFailure).join('\n'));
          assert.match(`${result.failures[0].errorMessage} ${JSON.stringify(result.failures[0].details ?? '')}`, message);
          return;
        }
        assert.equal(result.status, 'PASS',
          `${scenario} failed ${result.failed} check(s):\n    ${result.failures.map(describeFailure).join('\n    ')}`);
      });
    }
  });
}
