// translate with its LibreTranslate engine through the proxy, on server-everything with the
// official SDK client. The LibreTranslate server is a fixture speaking its API
// (support/libretranslate-api.mjs says why LibreTranslate itself cannot run here). Covers what
// the Apertium test does not: a list that waits for its translation (waitMs large enough),
// batches sliced to the server's limits, the API key sent but never shown, translated results
// ("results": true) and an engine that refuses (the list is served untranslated).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { connectStdio, serverPaths, startProxy } from './support/proxy.mjs';
import { startLibreTranslate, translateWords } from './support/libretranslate-api.mjs';

const apiKey = 'lt-key-4f9c2e7a81d3';  // reaches the proxy only through ${LT_KEY}
let engine;
let english;
const proxies = [];
const clients = [];

before(async () => {
  engine = await startLibreTranslate({ apiKey });
  const direct = await connectStdio({ command: process.execPath, args: [serverPaths().everything] });
  english = new Map((await direct.listTools()).tools.map((t) => [t.name, t]));
  await direct.close();
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const p of proxies) await p.stop();
  await engine?.close();
});

async function proxyWith(translateConfig, env = {}) {
  const proxy = await startProxy({
    mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
    httpServer: { middleware: { proxy: [{ type: 'translate', config: translateConfig }] } },
  }, { extraArgs: ['--log-level', 'debug'], env: { ...process.env, ...env } });
  proxies.push(proxy);
  return proxy;
}

async function connect(proxy) {
  const client = new Client({ name: 'translate-lt-test', version: '0.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  clients.push(client);
  return client;
}

async function counter(proxy, name) {
  const text = await (await fetch(new URL('/metrics', proxy.url))).text();
  return Number((text.match(new RegExp(`^${name}\\{engine="libretranslate"\\} (\\d+)$`, 'm')) ?? [])[1]);
}

const byName = (tools) => new Map(tools.map((t) => [t.name.replace(/^everything__/, ''), t]));

test('a list that may wait comes translated at once; slices respect batchTexts; the key is sent, never shown', async () => {
  const proxy = await proxyWith({
    language: 'es', waitMs: 20000, results: true,
    engine: { type: 'libretranslate', url: `${engine.url}/`, apiKey: '${LT_KEY}', batchTexts: 7 },
  }, { LT_KEY: apiKey });
  const client = await connect(proxy);
  const before = engine.requests.length;
  const tools = byName((await client.listTools()).tools);

  const echo = tools.get('echo');
  assert.equal(echo.description, translateWords(english.get('echo').description));
  assert.equal(echo.description, 'Repite de vuelta la entrada cadena');
  assert.equal(echo.inputSchema.properties.message.description,
    translateWords(english.get('echo').inputSchema.properties.message.description));

  const sent = engine.requests.slice(before);
  assert.ok(sent.length >= 2, `the batch went in slices (${sent.length} requests)`);
  for (const { contentType, body } of sent) {
    assert.match(contentType, /^application\/json/);
    assert.ok(Array.isArray(body.q) && body.q.length >= 1 && body.q.length <= 7, `slice of ${body.q.length}`);
    assert.equal(body.source, 'en');
    assert.equal(body.target, 'es');
    assert.equal(body.format, 'text');
    assert.equal(body.api_key, apiKey);
    for (const text of body.q)  // protected pieces never travel to the engine
      assert.doesNotMatch(text, /https?:\/\/|`|\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z]\w*\b/, text);
  }
  const texts = sent.reduce((n, r) => n + r.body.q.length, 0);
  assert.equal(await counter(proxy, 'mcproxy_translate_engine_runs_total'), 1, 'one batch');
  assert.equal(await counter(proxy, 'mcproxy_translate_cache_misses_total'), texts);

  // results: true: the text of a tools/call result is translated too.
  const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'hello world' } });
  assert.equal(result.content[0].text, 'Eco: hola mundo');
  assert.ok(engine.requests.some((r) => r.body.q.some((t) => t.includes('hello world'))), 'the result text went to the engine');

  assert.ok(!proxy.output().includes(apiKey), 'the API key is in no log line');
});

test('an engine that refuses serves the list untranslated, counts the failure, says why without the key', async () => {
  const wrongKey = 'wrong-key-77d1a09b';
  const proxy = await proxyWith({
    language: 'es', waitMs: 20000,
    engine: { type: 'libretranslate', url: engine.url, apiKey: '${LT_KEY}' },
  }, { LT_KEY: wrongKey });
  const client = await connect(proxy);
  const tools = byName((await client.listTools()).tools);
  assert.equal(tools.get('echo').description, english.get('echo').description);
  assert.equal(engine.requests.at(-1).body.api_key, wrongKey);
  assert.equal(await counter(proxy, 'mcproxy_translate_engine_failures_total'), 1);
  // The server echoed the key in its error; the log names the status and the reason, not the key.
  await proxy.waitForOutput(/HTTP 403: Invalid API key/);
  assert.ok(!proxy.output().includes(wrongKey), 'the API key is in no log line');
  // Within the 30 s back-off the engine is not asked again.
  const asked = engine.requests.length;
  await client.listTools();
  assert.equal(engine.requests.length, asked);
});
