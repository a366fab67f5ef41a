// The command line as a user meets it: --help and --version, a bad config refused before
// anything starts (exit 2, every problem with its JSON path), a busy port named clearly, and a
// backend that cannot start reported while the others serve.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/cli.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { connectClient, repoRoot, serverPaths, startProxy } from './support/proxy.mjs';

const bin = process.env.MCPROXY_BIN;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args, { timeout = 20_000 } = {}) {
  return spawnSync(bin, args, { encoding: 'utf8', timeout });
}

function writeConfig(name, config) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

test('--help explains the options and shows examples', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const word of ['--config', '--port', '--host', '--log-level', 'Examples', '/health'])
    assert.ok(r.stdout.includes(word), `--help lacks ${word}:\n${r.stdout}`);
});

test('--version prints the version', () => {
  const r = run(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^mcproxy \d+\.\d+\.\d+/);
});

test('a config with wrong types is refused with every JSON path, before anything starts', () => {
  const file = writeConfig('bad.json', {
    mcpServers: { fs: { command: 'node', args: ['a', 'b', 3] }, broken: { args: [] } },
    httpServer: { port: 'eighty' },
  });
  const r = run(['--config', file]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /mcpServers\.fs\.args\[2\]: expected a string, found number 3/);
  assert.match(r.stderr, /mcpServers\.broken: expected "command" .* or "url"/);
  assert.match(r.stderr, /httpServer\.port: expected an integer, found string "eighty"/);
  assert.doesNotMatch(r.stderr, /listening/);
});

test('a config that is not JSON names the line and column', () => {
  const file = writeConfig('syntax.json', '{\n  "mcpServers": {\n    "a": { "command": "x", }\n  }\n}\n');
  const r = run(['--config', file]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /line 3, column \d+: not valid JSON/);
});

test('a missing config file says what to do', () => {
  const r = run(['--config', path.join(tmp, 'nope.json')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot open the file/);
});

test('a busy port is reported and nothing is left running', async () => {
  const blocker = net.createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address();
  const { everything } = serverPaths();
  const file = writeConfig('busy.json', { mcpServers: { everything: { command: process.execPath, args: [everything] } } });
  const r = run(['--config', file, '--port', String(port)]);
  blocker.close();
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*--port`));
});

test('a backend whose command does not exist, and a remote one that cannot be reached, are reported; the others serve', async () => {
  const { everything } = serverPaths();
  const proxy = await startProxy({
    mcpServers: {
      ghost: { command: 'mcproxy-no-such-command-xyz' },
      remote: { url: 'http://127.0.0.1:9/mcp' },
      everything: { command: process.execPath, args: [everything] },
    },
  });
  try {
    await proxy.waitForOutput(/\[ghost\] failed to start: command "mcproxy-no-such-command-xyz" not found in PATH/);
    const health = await (await fetch(new URL('/health', proxy.url))).json();
    assert.equal(health.status, 'degraded');
    const ghost = health.backends.find((b) => b.name === 'ghost');
    assert.equal(ghost.state, 'failed');
    assert.match(ghost.lastError, /not found/);
    const remote = health.backends.find((b) => b.name === 'remote');
    assert.equal(remote.state, 'failed');  // nothing listens there; it keeps retrying
    assert.match(remote.lastError, /cannot connect to 127\.0\.0\.1:9/);
    const client = await connectClient(proxy.url);
    const r = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    assert.match(r.content[0].text, /still here/);
    await client.close();
  } finally {
    await proxy.stop();
  }
});

test('mcproxy check: example-config.json and every config under examples/ are valid', () => {
  // examples/middleware/ needs its own binary (its middleware is compiled in): its own test runs it.
  const examples = fs
    .readdirSync(path.join(repoRoot, 'examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'middleware')
    .flatMap((d) => fs.readdirSync(path.join(repoRoot, 'examples', d.name)).filter((f) => /\.(json|ya?ml)$/.test(f)).map((f) => path.join('examples', d.name, f)));
  assert.ok(examples.length >= 1, 'there are example configs');
  for (const file of ['example-config.json', ...examples]) {
    const r = spawnSync(bin, ['check', path.join(repoRoot, file)], { encoding: 'utf8', env: process.env });
    assert.equal(r.status, 0, `${file}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /configuration is valid/, file);
  }
  // The team example needs its two keys; without them the error names the variable.
  const team = path.join(repoRoot, 'examples/team-config.json');
  const keys = { ALICE_KEY: 'a'.repeat(32), BOB_KEY: 'b'.repeat(32) };
  const ok = spawnSync(bin, ['check', team], { encoding: 'utf8', env: { ...process.env, ...keys } });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const { ALICE_KEY, ...withoutAlice } = { ...process.env, BOB_KEY: keys.BOB_KEY };
  const missing = spawnSync(bin, ['check', team], { encoding: 'utf8', env: withoutAlice });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /ALICE_KEY/);
  // The observability example (docs/OBSERVABILITY.md), with its three keys.
  const observability = path.join(repoRoot, 'examples/observability-config.json');
  const roles = { MCPROXY_ADMIN_KEY: 'a'.repeat(32), MCPROXY_METRICS_KEY: 'm'.repeat(32), MCPROXY_AGENT_KEY: 'g'.repeat(32) };
  const obs = spawnSync(bin, ['check', observability], { encoding: 'utf8', env: { ...process.env, ...roles } });
  assert.equal(obs.status, 0, obs.stdout + obs.stderr);
  const filter = spawnSync(bin, ['check', path.join(repoRoot, 'examples/content-filter-config.json')], { encoding: 'utf8', env: process.env });
  assert.equal(filter.status, 0, filter.stdout + filter.stderr);
  assert.match(filter.stdout, /client filesystem: content_filter/);
  const modules = spawnSync(bin, ['check', path.join(repoRoot, 'examples/modules-config.json')], { encoding: 'utf8', env: process.env });
  assert.equal(modules.status, 0, modules.stdout + modules.stderr);
  assert.match(modules.stdout, /proxy: module, module, module/);
});

test('mcproxy check: a good config exits 0 with a summary, secrets not shown', () => {
  process.env.MCPROXY_CHECK_SECRET = 'hunter2-secret';
  const file = writeConfig('check-good.json', {
    mcpServers: {
      local: { command: process.execPath, args: ['x.js'], env: { TOKEN: '${MCPROXY_CHECK_SECRET}' } },
      remote: { url: 'https://example.invalid/mcp', headers: { 'X-Api-Key': '${MCPROXY_CHECK_SECRET}' } },
    },
  });
  const r = spawnSync(bin, ['check', file], { encoding: 'utf8', env: process.env });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /configuration is valid/);
  assert.match(r.stdout, /local\s+stdio/);
  assert.match(r.stdout, /remote\s+auto\s+https:\/\/example\.invalid\/mcp/);
  assert.doesNotMatch(r.stdout + r.stderr, /hunter2-secret/);
});

test('mcproxy check: a bad config exits 1 naming the JSON path; a missing program is a problem', () => {
  const bad = writeConfig('check-bad.json', { mcpServers: { fs: { command: 'node', args: [1] } } });
  const r = run(['check', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mcpServers\.fs\.args\[0\]: expected a string, found number 1/);
  const missing = writeConfig('check-missing.json', { mcpServers: { ghost: { command: 'mcproxy-no-such-program-xyz' } } });
  const m = run(['check', missing]);
  assert.equal(m.status, 1);
  assert.match(m.stdout, /"mcproxy-no-such-program-xyz" is not found in PATH/);
});

test('mcproxy list: prints the real servers\' merged tools from example-config.json and exits', () => {
  const data = fs.mkdtempSync(path.join(tmp, 'list-'));
  const r = spawnSync(bin, ['list', path.join(repoRoot, 'example-config.json')], {
    encoding: 'utf8',
    timeout: 120_000,
    cwd: repoRoot,
    env: { ...process.env, MCPROXY_DATA: data },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^tools \(\d+\)$/m);
  for (const name of ['everything__echo', 'filesystem__read_text_file', 'memory__read_graph'])
    assert.match(r.stdout, new RegExp(`^  ${name}\\s`, 'm'));
  // The example's tool_filter hides the filesystem's write tools.
  assert.doesNotMatch(r.stdout, /^  filesystem__write_file\s/m);
  assert.match(r.stdout, /^resources \(\d+\)$/m);
  assert.match(r.stdout, /demo:\/\/resource\/static\/document\//);
});

test('a non-loopback address without auth is refused at start unless allowUnauthenticated says so', () => {
  const echo = path.join(repoRoot, 'tests/interop/support/echo-server.mjs');
  const open = writeConfig('open.json', { mcpServers: { echo: { command: process.execPath, args: [echo] } } });
  const r = run(['-c', open, '--host', '0.0.0.0', '--port', '0']);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /refusing to serve 0\.0\.0\.0 without authentication/);
  assert.match(r.stdout + r.stderr, /allowUnauthenticated/);
  // The bad config names its JSON path too.
  const bad = writeConfig('bad-auth.json', { mcpServers: { echo: { command: process.execPath, args: [echo] } },
    auth: { apiKeys: [{ name: 'x', key: 'short' }] } });
  const c = run(['check', bad]);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /auth\.apiKeys\[0\]\.key: expected a key of at least 16 characters/);
});
