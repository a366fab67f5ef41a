// The README's run command serves example-config.json as is: three real servers started with
// npx at pinned versions. This runs the proxy on that very file (only the port and the data
// folder differ) and checks the merged catalogue with the SDK client, then that stopping the
// proxy leaves none of the backends' processes behind.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/example-config.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { connectClient, repoRoot, startProxy } from './support/proxy.mjs';

let proxy;
let client;
let dataDir;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-example-'));
  fs.writeFileSync(path.join(dataDir, 'hello.txt'), 'hello from the example');
  // npx may download the pinned packages on a machine that never ran them: allow for it.
  proxy = await startProxy(path.join(repoRoot, 'example-config.json'), {
    env: { ...process.env, MCPROXY_DATA: dataDir },
    cwd: repoRoot,
  });
  client = await connectClient(proxy.url);
});

after(async () => {
  await client?.close().catch(() => {});
  await proxy?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('example-config.json serves the three servers, prefixed, with its middleware stack', async () => {
  const { tools } = await client.listTools();
  const names = new Set(tools.map((t) => t.name));
  for (const name of ['everything__echo', 'everything__get-sum', 'filesystem__read_text_file',
    'filesystem__list_allowed_directories', 'memory__create_entities', 'memory__read_graph',
    'search_tools']) {
    assert.ok(names.has(name), `${name} missing from ${[...names].join(', ')}`);
  }
  // tool_filter makes the filesystem read-only.
  for (const name of ['filesystem__write_file', 'filesystem__edit_file', 'filesystem__move_file',
    'filesystem__create_directory']) {
    assert.ok(!names.has(name), `${name} should be hidden by tool_filter`);
  }
  for (const name of names) {
    if (name !== 'search_tools') assert.match(name, /^(everything|filesystem|memory)__[A-Za-z0-9_.-]+$/);
  }
  assert.ok(tools.length >= 13 + 10 + 9 + 1, `only ${tools.length} tools`);
  // description_enricher says where each tool comes from.
  const echo = tools.find((t) => t.name === 'everything__echo');
  assert.match(echo.description, /^\[everything\] /);
});

test('search_tools finds the filesystem read tools', async () => {
  const result = await client.callTool({ name: 'search_tools', arguments: { query: 'read a file' } });
  const found = result.structuredContent.tools.map((t) => t.name);
  assert.match(found[0], /^filesystem__read_/, JSON.stringify(found));
});

test('the filesystem server is rooted at MCPROXY_DATA', async () => {
  const result = await client.callTool({
    name: 'filesystem__read_text_file',
    arguments: { path: path.join(dataDir, 'hello.txt') },
  });
  assert.equal(result.isError ?? false, false, JSON.stringify(result));
  assert.match(result.content[0].text, /hello from the example/);
});

test('the memory server writes its file in MCPROXY_DATA', async () => {
  await client.callTool({
    name: 'memory__create_entities',
    arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote notes'] }] },
  });
  assert.ok(fs.existsSync(path.join(dataDir, 'memory.jsonl')), 'memory.jsonl not created in MCPROXY_DATA');
});

test('the logging middleware writes the traffic log in MCPROXY_DATA', async () => {
  // The traffic log is flushed once a second: give it up to three.
  const file = path.join(dataDir, 'traffic.log');
  let log = '';
  for (let i = 0; i < 30 && !/\[memory\] <- tools\/call/.test(log); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }
  assert.match(log, /\[filesystem\] -> tools\/call session=\w+ req#\d+/);
  assert.match(log, /\[memory\] <- tools\/call .* ok \d+us/);
});

test('stopping the proxy stops every backend process', async () => {
  const health = await (await fetch(new URL('/health', proxy.url))).json();
  const pids = health.backends.map((b) => b.pid);
  assert.equal(pids.length, 3);
  for (const pid of pids) assert.ok(alive(pid), `backend pid ${pid} not running before stop`);
  await client.close();
  client = undefined;
  const code = await proxy.stop();
  assert.equal(code, 0, `mcproxy exit code ${code}\n${proxy.output()}`);
  for (const pid of pids) assert.equal(alive(pid), false, `backend pid ${pid} survived the proxy`);
});
