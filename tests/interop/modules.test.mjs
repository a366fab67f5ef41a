// External modules (docs/MODULES.md) through the proxy, against the real reference servers and
// the official SDK client: the three examples of modules/examples (a Python PII redactor, a
// policy module typed for TypeScript, a description rewriter) change real traffic at proxy
// level; a module that crashes is started again, one that hangs hits its timeout, and the
// failure policy (closed: refused with -32006; open: let through) is applied meanwhile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { connectClient, repoRoot, serverPaths, startProxy } from './support/proxy.mjs';
import { waitFor } from './support/forwarding.mjs';

const example = (...p) => path.join(repoRoot, 'modules', 'examples', ...p);
const crashy = path.join(repoRoot, 'tests', 'interop', 'support', 'crashy-module.mjs');
const text = (result) => result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

describe('the example modules', () => {
  let dir;
  let proxy;
  let client;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-modules-'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'shared notes');
    fs.writeFileSync(path.join(dir, 'keys.secret'), 'hunter2');
    const p = serverPaths();
    proxy = await startProxy({
      mcpServers: {
        everything: { command: process.execPath, args: [p.everything] },
        filesystem: { command: process.execPath, args: [p.filesystem, dir] },
      },
      httpServer: {
        middleware: {
          proxy: [
            { type: 'module', config: { name: 'policy', command: process.execPath, args: [example('policy', 'policy.mjs')],
              config: { deny: [{ tool: 'read', argument: 'path', pattern: '\\.secret$', reason: 'secret files stay private' }] } } },
            { type: 'module', config: { name: 'pii', command: 'python3', args: [example('pii-redactor', 'pii_redactor.py')] } },
            { type: 'module', config: { name: 'rewriter', command: process.execPath,
              args: [example('description-rewriter', 'rewriter.mjs')], config: { prefix: '[reviewed] ' } } },
          ],
        },
      },
    }, { extraArgs: ['--log-level', 'info'] });
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the rewriter (Node) changes every description in tools/list', async () => {
    const { tools } = await client.listTools();
    assert.ok(tools.length > 10);
    for (const t of tools) assert.ok(t.description.startsWith('[reviewed] '), `${t.name}: ${t.description}`);
  });

  test('the PII redactor (Python) redacts a tool result', async () => {
    const out = text(await client.callTool({ name: 'everything__echo',
      arguments: { message: 'write to bob@example.com or call +1 415 555 0100' } }));
    assert.match(out, /write to \[redacted by pii-redactor\] or call \[redacted by pii-redactor\]/);
    assert.ok(!out.includes('bob@example.com'));
  });

  test('the policy module (TypeScript-typed) refuses a call by argument, with its reason', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const read = tools.includes('filesystem__read_text_file') ? 'filesystem__read_text_file' : 'filesystem__read_file';
    const refused = await client.callTool({ name: read, arguments: { path: path.join(dir, 'keys.secret') } }).catch((e) => e);
    assert.equal(refused.code, -32602);
    assert.match(refused.message, /Refused by policy: secret files stay private/);
    const ok = text(await client.callTool({ name: read, arguments: { path: path.join(dir, 'notes.txt') } }));
    assert.match(ok, /shared notes/);
    await proxy.waitForOutput(/policy: refused filesystem__read/);
  });
});

describe('failure policy, restart, timeout', () => {
  const start = (failure) => startProxy({
    mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
    httpServer: { middleware: { proxy: [{ type: 'module', config: {
      name: 'crashy', command: process.execPath, args: [crashy], timeoutMs: 500, failure } }] } },
  }, { extraArgs: ['--log-level', 'info'] });
  const echo = (client, message) => client.callTool({ name: 'everything__echo', arguments: { message } });

  test('closed: a hang times out and a crash is refused (-32006); the module is started again', async () => {
    const proxy = await start('closed');
    const client = await connectClient(proxy.url);
    try {
      assert.match(text(await echo(client, 'hello')), /hello/);
      const t0 = Date.now();
      const hung = await echo(client, 'hang').catch((e) => e);
      assert.equal(hung.code, -32006, String(hung));
      assert.match(hung.message, /Module 'module crashy' could not check this request: .*within 500 ms/);
      assert.ok(Date.now() - t0 < 5000);
      const crashed = await echo(client, 'crash').catch((e) => e);
      assert.equal(crashed.code, -32006, String(crashed));
      // Started again after its backoff: the calls go through once more.
      const back = await waitFor(async () => {
        try {
          return text(await echo(client, 'again'));
        } catch {
          return false;
        }
      }, { timeoutMs: 10_000, intervalMs: 300, what: 'the module to be started again' });
      assert.match(back, /again/);
      const starts = proxy.output().match(/crashy-module started, pid \d+/g) ?? [];
      assert.ok(starts.length >= 2, proxy.output());
      await proxy.waitForOutput(/the module stopped: /);
    } finally {
      await client.close();
      await proxy.stop();
    }
  });

  test('open: a module that hangs lets the call through unchanged', async () => {
    const proxy = await start('open');
    const client = await connectClient(proxy.url);
    try {
      assert.match(text(await echo(client, 'hang')), /hang/);
      await proxy.waitForOutput(/failed \(.*\): let through unchanged \(failure: open\)/);
    } finally {
      await client.close();
      await proxy.stop();
    }
  });

  test('a module config without a command is refused at start with its JSON path', async () => {
    await assert.rejects(startProxy({
      mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
      httpServer: { middleware: { proxy: [{ type: 'module', config: { failure: 'maybe' } }] } },
    }), /httpServer\.middleware\.proxy\[0\]\.config(\.failure)?: expected/);
  });
});

describe('a remote module over HTTP', () => {
  test('it is called with its headers and refuses a call; a wrong credential fails closed', async () => {
    const { serveModule, refuse, proceed } = await import('../../modules/sdk/node/mcproxy-module.mjs');
    const seen = [];
    const server = await serveModule({
      name: 'remote-policy',
      requests: ['tools/call'],
      onRequest({ params, context }) {
        seen.push(context.session);
        return params.arguments?.message === 'forbidden' ? refuse('Not over there') : proceed();
      },
    }, { authorize: (headers) => headers.authorization === 'Bearer module-token' });
    const url = `http://127.0.0.1:${server.address().port}/module`;
    const start = (token) => startProxy({
      mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
      httpServer: { middleware: { proxy: [{ type: 'module', config: {
        name: 'remote', url, headers: { Authorization: `Bearer ${token}` }, timeoutMs: 1000 } }] } },
    });
    const good = await start('module-token');
    const bad = await start('wrong-token');
    try {
      const client = await connectClient(good.url);
      assert.match(text(await client.callTool({ name: 'everything__echo', arguments: { message: 'fine' } })), /fine/);
      const refused = await client.callTool({ name: 'everything__echo', arguments: { message: 'forbidden' } }).catch((e) => e);
      assert.equal(refused.code, -32602);
      assert.match(refused.message, /Not over there/);
      assert.ok(seen.length >= 2 && seen.every((s) => typeof s === 'string'), JSON.stringify(seen));
      await client.close();
      const other = await connectClient(bad.url);
      const failed = await other.callTool({ name: 'everything__echo', arguments: { message: 'fine' } }).catch((e) => e);
      assert.equal(failed.code, -32006);
      assert.match(failed.message, /HTTP 401/);
      await other.close();
    } finally {
      await good.stop();
      await bad.stop();
      server.close();
    }
  });
});
