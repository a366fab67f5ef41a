// The out-of-tree middleware of examples/middleware/, built by its own few lines of CMake into
// its own mcproxy executable ($MCPROXY_EXAMPLE_BIN), registered at compile time: a config that
// names it works against the real server-everything through the official SDK client, its
// config is validated with JSON paths, and the stock mcproxy does not know it. The second one
// (reverse_tag, a proxy middleware) shows the reverse path end to end: a server's log message
// and its sampling request pass the proxy-level middleware on their way to the client, and the
// client's sampling answer passes it on its way back to the server.
//
// Run: MCPROXY_EXAMPLE_BIN=build/examples/middleware/mcproxy-example \
//        node --test tests/interop/example-middleware.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

import { connectRecordingClient, textOf, waitFor, waitForTools } from './support/forwarding.mjs';
import { mcpErrorOf, middlewareConfig } from './support/middleware.mjs';
import { connectClient, startProxy } from './support/proxy.mjs';

const exampleBin = process.env.MCPROXY_EXAMPLE_BIN;
const stockBin = process.env.MCPROXY_BIN;
assert.ok(exampleBin, 'MCPROXY_EXAMPLE_BIN is not set: point it at build/examples/middleware/mcproxy-example');
assert.ok(stockBin, 'MCPROXY_BIN is not set');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-example-mw-'));
const limited = (config) =>
  middlewareConfig(dir, { client: { default: [{ type: 'arguments_limit', config }] } }, { servers: ['everything'] });

function check(bin, config) {
  const file = path.join(dir, `check-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  return spawnSync(bin, ['check', file], { encoding: 'utf8', env: process.env });
}

describe('the example middleware (arguments_limit) in its own mcproxy', () => {
  let proxy;
  let client;

  before(async () => {
    process.env.MCPROXY_BIN = exampleBin;  // startProxy runs $MCPROXY_BIN
    try {
      proxy = await startProxy(limited({ maxBytes: 64 }));
    } finally {
      process.env.MCPROXY_BIN = stockBin;
    }
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a small call reaches the server, and its result carries the mark next to the server\'s own _meta', async () => {
    const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
    assert.match(JSON.stringify(result.content), /Echo: hi/);
    assert.equal(result._meta?.['example/checkedBy'], 'arguments_limit', JSON.stringify(result));
  });

  test('a call with arguments over the limit is refused by the middleware, never reaching the server', async () => {
    const error = await mcpErrorOf(
      client.callTool({ name: 'everything__echo', arguments: { message: 'x'.repeat(100) } }),
      ErrorCode.InvalidParams,
    );
    assert.match(error.message, /arguments too large: \d+ bytes, the limit is 64/);
    assert.equal(error.data?.limit, 64);
  });

  test('other methods pass through untouched', async () => {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'everything__echo'));
  });

  test('its config is validated with the JSON path of the problem', () => {
    const r = check(exampleBin, limited({ maxBytes: 0, maxBites: 3 }));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /httpServer\.middleware\.client\.default\[0\]\.config\.maxBytes/);
    assert.match(r.stdout + r.stderr, /did you mean "maxBytes"/);
    const good = check(exampleBin, limited({ maxBytes: 10 }));
    assert.equal(good.status, 0, good.stdout + good.stderr);
  });

  test('the stock mcproxy does not know it: the type comes from the example\'s own object file', () => {
    const r = check(stockBin, limited({ maxBytes: 10 }));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /"arguments_limit"/);
    assert.match(r.stdout + r.stderr, /known: content_filter, logging, module, rename, security, tool_filter, translate/);
  });
});

describe('the example proxy middleware (reverse_tag) on the reverse path', () => {
  const rdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-example-rev-'));
  let proxy;
  let rc;

  before(async () => {
    const config = middlewareConfig(rdir, { proxy: [{ type: 'reverse_tag', config: { suffix: ' [tagged]' } }] }, {
      servers: ['everything'],
    });
    // One server per client session: its log messages are this client's beyond doubt.
    config.mcpServers.everything.sessionMode = 'per-client';
    process.env.MCPROXY_BIN = exampleBin;
    try {
      proxy = await startProxy(config);
    } finally {
      process.env.MCPROXY_BIN = stockBin;
    }
    rc = await connectRecordingClient(proxy.url, { tag: 'rev' });
  });

  after(async () => {
    await rc?.client.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(rdir, { recursive: true, force: true });
  });

  test('a sampling request is changed on its way to the client, and the answer on its way back', async () => {
    await waitForTools(rc.client, ['everything__trigger-sampling-request'], { timeoutMs: 20_000 });
    const result = await rc.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'hello', maxTokens: 10 },
    });
    assert.equal(rc.seen.sampling.length, 1);
    assert.equal(rc.seen.sampling[0].systemPrompt, 'You are a helpful test server. [tagged]');
    // server-everything prints the answer it got: the middleware's mark is in it.
    assert.match(textOf(result), /sampled-by-rev/);
    assert.match(textOf(result), /"example\/seenBy": "reverse_tag"/);
  });

  test('a server log message reaches the client through the proxy middleware', { timeout: 30_000 }, async () => {
    await rc.client.setLoggingLevel('debug');
    await rc.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
    const logs = await waitFor(() => (rc.seen.logs.length > 0 ? rc.seen.logs : null), {
      timeoutMs: 15_000,
      what: 'a simulated log message',
    });
    for (const log of logs) assert.equal(log._meta?.['example/seenBy'], 'reverse_tag@everything', JSON.stringify(log));
  });
});
