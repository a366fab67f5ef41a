// The caching hints of protocol 2026-07-28 (ttlMs, cacheScope) through MCProxy's list cache: a
// server's list that says ttlMs is fetched again when that runs out (without any client asking),
// a merged list lasts as long as its shortest-lived contributor's (a 2025-11-25 server, which
// says nothing and may change any time, makes it 0), and the merged order is the same on every
// call: servers in config order, each server's items in its own order. The server is the SDK v2
// fixture (support/modern-server.mjs with cacheHints); the legacy one is server-everything.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/list-ttl.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { modernPost, modernServer, readLog } from './support/modern-fixture.mjs';
import { serverPaths, startProxy } from './support/proxy.mjs';

const TTL = 1500;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-list-ttl-'));
const soloLog = path.join(dir, 'solo.jsonl');
const mixedLog = path.join(dir, 'mixed.jsonl');
let solo;   // only the modern server
let mixed;  // the modern server and server-everything
const modern = (log) => ({
  command: process.execPath, args: [modernServer], env: { MODERN_SERVER_LOG: log, MODERN_LIST_TTL_MS: String(TTL) },
});

before(async () => {
  solo = await startProxy({ mcpServers: { modern: modern(soloLog) } });
  mixed = await startProxy({
    mcpServers: { modern: modern(mixedLog), everything: { command: process.execPath, args: [serverPaths().everything] } },
  });
});
after(async () => {
  await solo?.stop();
  await mixed?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const toolsList = async (proxy) => {
  const r = await modernPost(proxy.url, 'tools/list');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.result;
};
const listsSeen = (log) => readLog(log).filter((e) => e.method === 'tools/list').length;

test('a merged list carries the ttlMs of its only contributor, and the proxy fetches it again when it runs out', async () => {
  const result = await toolsList(solo);
  assert.equal(result.ttlMs, TTL);
  assert.equal(result.cacheScope, 'public');
  const before = listsSeen(soloLog);
  assert.ok(before >= 1, 'the proxy listed the tools once it was up');
  // No client asks meanwhile: the refreshes are the proxy's own, one per ttlMs.
  const deadline = Date.now() + 10 * TTL;
  while (listsSeen(soloLog) < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.ok(listsSeen(soloLog) >= before + 2, `tools/list upstream ${before} → ${listsSeen(soloLog)} times`);
  // The list did not move, so clients were not told it did, and the answer is unchanged.
  assert.deepEqual((await toolsList(solo)).tools, result.tools);
});

test('a 2025-11-25 contributor, which gives no ttlMs, makes the merged ttlMs 0', async () => {
  const result = await toolsList(mixed);
  assert.equal(result.ttlMs, 0);
  assert.ok(result.tools.some((t) => t.name.startsWith('everything__')));
});

test('the merged tools/list order is the same on every call: servers in config order, then each server\'s own', async () => {
  const first = (await toolsList(mixed)).tools.map((t) => t.name);
  for (let i = 0; i < 3; i++) assert.deepEqual((await toolsList(mixed)).tools.map((t) => t.name), first);
  const servers = first.map((n) => n.split('__')[0]);
  const lastModern = servers.lastIndexOf('modern');
  const firstEverything = servers.indexOf('everything');
  assert.ok(lastModern >= 0 && firstEverything > lastModern, servers.join(','));
  // The modern server's own order (it registers greet first).
  assert.equal(first[0], 'modern__greet');
});
