// translate through the proxy with the real Apertium engine (Debian's apertium and
// apertium-eng-spa, installed by the README's test command) on server-everything's
// descriptions, with the official SDK client. waitMs is 0, so the first tools/list is served
// untranslated and list_changed announces the translation; cache hits are read from /metrics
// (never from timing).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { connectStdio, repoRoot, serverPaths, startProxy } from './support/proxy.mjs';

let proxy;
let direct;
let english;  // server-everything's tools as the server itself describes them
const clients = [];

before(async () => {
  const p = serverPaths();
  proxy = await startProxy({
    mcpServers: { everything: { command: process.execPath, args: [p.everything] } },
    httpServer: {
      middleware: {
        proxy: [{ type: 'translate', config: { language: 'es', waitMs: 0, engine: { type: 'apertium' } } }],
      },
    },
  }, { extraArgs: ['--log-level', 'info'] });
  direct = await connectStdio({ command: process.execPath, args: [p.everything] });
  english = new Map((await direct.listTools()).tools.map((t) => [t.name, t]));
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await direct?.close().catch(() => {});
  await proxy?.stop();
});

async function connect(acceptLanguage) {
  const client = new Client({ name: 'translate-test', version: '0.0.0' }, { capabilities: {} });
  const headers = acceptLanguage ? { 'Accept-Language': acceptLanguage } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

async function counters() {
  const text = await (await fetch(new URL('/metrics', proxy.url))).text();
  const read = (name) => Number((text.match(new RegExp(`^${name}\\{engine="apertium"\\} (\\d+)$`, 'm')) ?? [])[1]);
  return {
    hits: read('mcproxy_translate_cache_hits_total'),
    misses: read('mcproxy_translate_cache_misses_total'),
    runs: read('mcproxy_translate_engine_runs_total'),
    failures: read('mcproxy_translate_engine_failures_total'),
  };
}

const byName = (tools) => new Map(tools.map((t) => [t.name.replace(/^everything__/, ''), t]));

test('the first list is served untranslated at once, list_changed follows, the next one is Spanish from the cache', async () => {
  const client = await connect('es-ES,es;q=0.9,en;q=0.5');
  const changed = new Promise((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, resolve));
  const first = byName((await client.listTools()).tools);
  assert.equal(first.get('echo').description, english.get('echo').description);
  await changed;  // the batch is done
  const before = await counters();
  assert.equal(before.runs, 1, 'the whole list went to Apertium in one run');
  assert.ok(before.misses > 20, `misses: ${before.misses}`);
  assert.equal(before.failures, 0);

  const second = byName((await client.listTools()).tools);
  const after = await counters();
  assert.equal(after.runs, 1, 'no new engine run');
  assert.equal(after.misses, before.misses, 'nothing new to translate');
  assert.ok(after.hits >= before.misses, `every text came from the cache (hits ${after.hits})`);

  const echo = second.get('echo');
  assert.notEqual(echo.description, english.get('echo').description);
  assert.match(echo.description, /entrada/i, echo.description);  // "input"
  assert.match(echo.title, /eco/i, echo.title);
  // Names and schema keys never change; schema descriptions do.
  assert.deepEqual(Object.keys(echo.inputSchema.properties), Object.keys(english.get('echo').inputSchema.properties));
  assert.deepEqual(echo.inputSchema.required, english.get('echo').inputSchema.required);
  assert.notEqual(echo.inputSchema.properties.message.description,
    english.get('echo').inputSchema.properties.message.description);
  // Identifiers, numbers and URLs of the English text survive as they are.
  for (const [name, tool] of second) {
    if (!english.has(name)) continue;  // what the proxy itself adds
    const original = english.get(name).description ?? '';
    for (const token of original.match(/`[^`]+`|https?:\/\/\S+|\b\w+_\w+\b|\b\d+\b/g) ?? [])
      assert.ok(tool.description.includes(token.replace(/[.,;:)]+$/, '')), `${name}: "${token}" in ${tool.description}`);
  }
});

test('another session in Spanish gets the translated list without a new engine run', async () => {
  const client = await connect();  // no header: the configured language
  const tools = byName((await client.listTools()).tools);
  assert.notEqual(tools.get('echo').description, english.get('echo').description);
  assert.equal((await counters()).runs, 1);
});

test('a client that prefers English gets the servers\' own text', async () => {
  const client = await connect('en-GB, es;q=0.5');
  const tools = byName((await client.listTools()).tools);
  for (const [name, tool] of tools) if (english.has(name)) assert.equal(tool.description, english.get(name).description, name);
});

test('a request may choose its language in _meta', async () => {
  const client = await connect('es');
  const result = await client.request({ method: 'tools/list', params: { _meta: { 'mcproxy/language': 'en' } } },
    (await import('@modelcontextprotocol/sdk/types.js')).ListToolsResultSchema);
  const echo = result.tools.find((t) => t.name === 'everything__echo');
  assert.equal(echo.description, english.get('echo').description);
});

test('examples/translate-config.json as it ships serves the three reference servers in Spanish', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-translate-example-'));
  const example = await startProxy(path.join(repoRoot, 'examples/translate-config.json'),
    { env: { ...process.env, MCPROXY_DATA: dataDir }, cwd: repoRoot, extraArgs: ['--log-level', 'info'] });
  try {
    const client = new Client({ name: 'translate-example-test', version: '0.0.0' }, { capabilities: {} });
    await client.connect(new StreamableHTTPClientTransport(new URL(example.url)));
    clients.push(client);
    // waitMs 5000 in the example: the first list usually waits for the one Apertium run; on a
    // loaded machine (the sanitizer passes) it may come in English, then list_changed follows.
    const changed = new Promise((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, resolve));
    let tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
    if (tools.get('everything__echo')?.description === english.get('echo').description) {
      await changed;
      tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
    }
    for (const name of ['everything__echo', 'filesystem__read_text_file', 'memory__create_entities']) {
      assert.ok(tools.has(name), `${name} is served`);
    }
    assert.match(tools.get('everything__echo').description, /entrada/i);
    const read = tools.get('filesystem__read_text_file').description;
    assert.match(read, /\b(el|la|los|las|de|del)\b/, `Spanish: ${read}`);
    assert.doesNotMatch(read, /\bthe\b/i, `no English article left: ${read}`);
  } finally {
    await example.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
