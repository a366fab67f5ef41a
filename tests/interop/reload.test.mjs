// Hot reload with real servers: a connected SDK client sees server-memory's tools appear when
// it is added to the config file and disappear when it is removed, without reconnecting; a
// call in flight on an unchanged backend completes across the reload; an invalid edit leaves
// everything running and is logged; SIGHUP reloads too.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/reload.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { connectClient, serverPaths, startProxy } from './support/proxy.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-reload-'));
const configFile = path.join(dir, 'config.json');
const { everything, memory } = serverPaths();
const everythingOnly = { mcpServers: { everything: { command: process.execPath, args: [everything] } } };
const withMemory = {
  mcpServers: {
    ...everythingOnly.mcpServers,
    memory: { command: process.execPath, args: [memory], env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
  },
};

let proxy;
let client;
let listChanged = 0;

async function health() {
  return (await fetch(new URL('/health', proxy.url))).json();
}

async function until(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- proxy output ---\n${proxy.output().slice(-3000)}`);
    await sleep(100);
  }
}

const toolNames = async () => (await client.listTools()).tools.map((t) => t.name);

// Replace the file the way editors do: write a new file, rename it over the old one.
function writeConfig(config) {
  const tmp = `${configFile}.tmp`;
  fs.writeFileSync(tmp, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  fs.renameSync(tmp, configFile);
}

before(async () => {
  writeConfig(everythingOnly);
  proxy = await startProxy(configFile);
  client = await connectClient(proxy.url);
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged += 1; });
});

after(async () => {
  await client?.close().catch(() => {});
  await proxy?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('adding a server to the file: its tools appear, the client is told, a call in flight completes', async () => {
  assert.ok(!(await toolNames()).some((n) => n.startsWith('memory__')));
  const generation = (await health()).config.generation;
  const everythingPid = (await health()).backends.find((b) => b.name === 'everything').pid;
  const before = listChanged;
  // A call in flight on the unchanged backend while the file changes.
  const inFlight = client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 2, steps: 2 } });
  await sleep(300);
  writeConfig(withMemory);
  await until('memory tools', async () => (await toolNames()).includes('memory__read_graph'));
  const result = await inFlight;
  assert.match(result.content[0].text, /Long running operation completed/);
  await until('tools/list_changed', () => listChanged > before);
  const h = await health();
  assert.equal(h.config.generation, generation + 1);
  assert.equal(h.config.lastReloadError, null);
  // The unchanged backend kept its process.
  assert.equal(h.backends.find((b) => b.name === 'everything').pid, everythingPid);
  const echo = await client.callTool({ name: 'memory__read_graph', arguments: {} });
  assert.ok(echo.content?.length);
});

test('an invalid edit changes nothing and is logged with its path', async () => {
  const generation = (await health()).config.generation;
  writeConfig({ mcpServers: { everything: { command: process.execPath, args: [everything, 42] } } });
  await until('the reload error', async () => (await health()).config.lastReloadError);
  const h = await health();
  assert.equal(h.config.generation, generation);
  assert.match(h.config.lastReloadError, /mcpServers\.everything\.args\[1\]: expected a string, found number 42/);
  await proxy.waitForOutput(/the new configuration is invalid; still running the previous one/);
  assert.ok((await toolNames()).includes('memory__read_graph'));
  const r = await client.callTool({ name: 'everything__echo', arguments: { message: 'still serving' } });
  assert.match(r.content[0].text, /still serving/);
});

test('removing the server: its tools disappear and its process stops, same client', async () => {
  const memoryPid = (await health()).backends.find((b) => b.name === 'memory').pid;
  writeConfig(everythingOnly);
  await until('memory tools gone', async () => !(await toolNames()).some((n) => n.startsWith('memory__')));
  await until('memory process gone', () => {
    try { process.kill(memoryPid, 0); return false; } catch { return true; }
  });
  assert.ok(!(await health()).backends.some((b) => b.name === 'memory'));
});

test('SIGHUP reloads the file', async () => {
  const generation = (await health()).config.generation;
  proxy.proc.kill('SIGHUP');
  await until('a new generation', async () => (await health()).config.generation > generation);
  await proxy.waitForOutput(/reloading .* \(SIGHUP\)/);
});
