// The out-of-tree middleware of examples/middleware/, built by its own few lines of CMake into
// its own mcproxy executable ($MCPROXY_EXAMPLE_BIN), registered at compile time: a config that
// names it works against the real server-everything through the official SDK client, its
// config is validated with JSON paths, and the stock mcproxy does not know it.
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
    assert.match(r.stdout + r.stderr, /known: logging, rename, security, tool_filter/);
  });
});
