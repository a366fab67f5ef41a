// Large messages go through MCProxy both ways (HTTP body in, stdio line to the backend,
// stdio line back, HTTP body out) without truncation.
//
// Quirk: the SDK's StdioServerTransport (1.32.x, used by server-everything) closes the
// connection on any incoming line over 10 MiB (STDIO_DEFAULT_MAX_BUFFER_SIZE), and
// server-everything then exits. So a 20 MiB echo cannot go to server-everything whatever the
// proxy does: the real server gets 9 MiB, and 20 MiB goes to an SDK-built fixture with the limit
// raised (support/echo-server.mjs). The last test checks the proxy fails, not hangs, when a
// backend dies on an oversized line.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/huge-message.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connectClient, echoFixturePath, serverPaths, startProxy } from './support/proxy.mjs';

const MiB = 1024 * 1024;
const textOf = (result) => result.content.find((c) => c.type === 'text')?.text ?? '';

describe('huge messages', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy({
      mcpServers: {
        everything: { command: process.execPath, args: [serverPaths().everything] },
        fixture: { command: process.execPath, args: [echoFixturePath] },
      },
      httpServer: { maxBodyBytes: 67108864 },
    });
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
  });

  const callEcho = (name, message) =>
    client.callTool({ name, arguments: { message } }, undefined, { timeout: 60_000 });

  test('fixture__echo with a 20 MiB message', { timeout: 60_000 }, async () => {
    const message = 'x'.repeat(20 * MiB);
    const result = await callEcho('fixture__echo', message);
    assert.notEqual(result.isError, true);
    const text = textOf(result);
    assert.ok(text.length >= 20 * MiB, `echo came back with ${text.length} chars`);
    assert.ok(text === message, 'message altered in transit');
  });

  test('everything__echo with a 9 MiB message (the real server’s limit is 10 MiB a line)', { timeout: 60_000 }, async () => {
    const message = 'y'.repeat(9 * MiB);
    const result = await callEcho('everything__echo', message);
    assert.notEqual(result.isError, true);
    const text = textOf(result); // "Echo: <message>"
    assert.ok(text.length >= 9 * MiB, `echo came back with ${text.length} chars`);
    assert.ok(text.slice(-message.length) === message, 'message altered in transit');
  });

  // Keep last: it kills the everything backend.
  test('a backend that dies on a 20 MiB line → the call fails, the proxy keeps serving', { timeout: 60_000 }, async () => {
    const started = Date.now();
    let outcome;
    try {
      const result = await callEcho('everything__echo', 'z'.repeat(20 * MiB));
      outcome = result.isError === true ? 'isError' : `success (${textOf(result).length} chars)`;
    } catch (err) {
      outcome = 'rejected';
      assert.ok(err.code !== undefined, `not a JSON-RPC error: ${err}`);
    }
    assert.notEqual(outcome.split(' ')[0], 'success', 'server-everything cannot accept a 20 MiB line');
    assert.ok(Date.now() - started < 30_000, 'the failure took more than 30 s to be reported');

    const small = await callEcho('fixture__echo', 'still serving');
    assert.equal(textOf(small), 'still serving');
  });
});
