// `mcproxy stdio --config FILE`: MCP on stdin/stdout for clients that start their servers
// (Claude Desktop), driven by the SDK's StdioClientTransport: same catalogue as HTTP mode,
// calls and a sampling round-trip work, and the process (with its backends) ends when the
// client goes away.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/stdio-downstream.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import {
  GATED_TOOLS,
  childPids,
  cmdlineOf,
  connectRecordingClient,
  everythingConfig,
  isAlive,
  recordingClient,
  textOf,
  waitFor,
  waitForTools,
} from './support/forwarding.mjs';
import { listAll, startProxy } from './support/proxy.mjs';

const bin = process.env.MCPROXY_BIN;
const GATED = GATED_TOOLS.map((t) => `everything__${t}`);

/**
 * A recording client (see support/forwarding.mjs) connected to a new `mcproxy stdio` process.
 * Returns it with `pid` (the proxy's) and `stderr()` (everything it logged so far).
 */
async function connectStdioProxy(configFile, options = {}) {
  const rc = recordingClient(options);
  const transport = new StdioClientTransport({
    command: bin,
    args: ['stdio', '--config', configFile, '--log-level', 'debug'],
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (chunk) => {
    err += chunk.toString('utf8');
  });
  await rc.client.connect(transport);
  return { ...rc, transport, pid: transport.pid, stderr: () => err };
}

/** Names of every item of `kind` the client lists, sorted. */
async function sortedNames(client, kind, key = 'name') {
  return (await listAll(client, kind)).map((x) => x[key]).sort();
}

describe('mcproxy stdio (server-everything in per-client mode)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-stdio-'));
  const configFile = path.join(tmp, 'config.json');
  const config = everythingConfig({ sessionMode: 'per-client' });
  let stdio;

  before(async () => {
    if (!bin) throw new Error('MCPROXY_BIN is not set: point it at the built mcproxy executable');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    stdio = await connectStdioProxy(configFile, { tag: 'stdio-client' });
  });

  after(async () => {
    await stdio?.client.close().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the catalogue is the one HTTP mode serves (prefixed names)', async () => {
    const proxy = await startProxy(config);
    const http = await connectRecordingClient(proxy.url, { tag: 'http-client' });
    try {
      // Both clients declared sampling, elicitation and roots: wait for the gated tools.
      await waitForTools(http.client, GATED);
      await waitForTools(stdio.client, GATED);
      const tools = await sortedNames(stdio.client, 'tools');
      assert.deepEqual(tools, await sortedNames(http.client, 'tools'));
      assert.ok(tools.includes('everything__echo'), tools.join(', '));
      assert.ok(tools.every((n) => n.startsWith('everything__')), tools.join(', '));
      assert.deepEqual(await sortedNames(stdio.client, 'prompts'), await sortedNames(http.client, 'prompts'));
      assert.deepEqual(
        await sortedNames(stdio.client, 'resources', 'uri'),
        await sortedNames(http.client, 'resources', 'uri'),
      );
      assert.deepEqual(stdio.client.getServerCapabilities(), http.client.getServerCapabilities());
    } finally {
      await http.client.close().catch(() => {});
      await proxy.stop();
    }
  });

  test('everything__echo works', async () => {
    const r = await stdio.client.callTool({ name: 'everything__echo', arguments: { message: 'over stdio' } });
    assert.equal(textOf(r), 'Echo: over stdio');
  });

  test('a sampling round-trip reaches the stdio client’s handler', async () => {
    await waitForTools(stdio.client, ['everything__trigger-sampling-request']);
    const r = await stdio.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'sample over stdio' },
    });
    assert.notEqual(r.isError, true, textOf(r));
    assert.match(textOf(r), /sampled-by-stdio-client/);
    assert.equal(stdio.seen.sampling.length, 1);
    assert.match(stdio.seen.sampling[0].messages[0].content.text, /sample over stdio/);
  });

  test('progress arrives over stdio with the client’s token', async () => {
    // Steps 400 ms apart; the SDK client may drop a progress notification that arrives in the
    // same read as the response (INTEROP-NOTES), so the last one is not required.
    const events = [];
    const r = await stdio.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1.6, steps: 4 } },
      undefined,
      { onprogress: (p) => events.push(p) },
    );
    assert.match(textOf(r), /Steps: 4\./);
    const values = events.map((e) => e.progress);
    assert.ok(values.length >= 3, `progress events: ${JSON.stringify(events)}`);
    assert.deepEqual(values, [1, 2, 3, 4].slice(0, values.length));
  });

  test('closing the client ends the proxy and its backend processes', async () => {
    const pid = stdio.pid;
    assert.ok(pid && isAlive(pid), 'the stdio proxy is running');
    const children = childPids(pid);
    const backends = children.filter((c) => cmdlineOf(c).includes('server-everything'));
    assert.ok(backends.length >= 1, `no server-everything child of ${pid}: ${children.map(cmdlineOf)}`);

    await stdio.client.close();
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `mcproxy stdio (pid ${pid}) to exit` });
    await waitFor(() => children.every((c) => !isAlive(c)), {
      timeoutMs: 10_000,
      what: `its children to exit: ${children.filter(isAlive).map((c) => `${c} ${cmdlineOf(c)}`)}`,
    });
    stdio = undefined;
  });
});

test('mcproxy stdio exits on its own when stdin closes (no signal), backends included', { timeout: 60_000 }, async () => {
  // The SDK's StdioClientTransport.close() sends SIGTERM 2 s after closing stdin: this test
  // closes stdin only, so it sees whether end-of-input alone is enough.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-stdio-eof-'));
  const configFile = path.join(tmp, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(everythingConfig({ sessionMode: 'per-client' })));
  const proc = spawn(bin, ['stdio', '--config', configFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    // Newline-delimited JSON-RPC, just enough to start the session and its backend.
    const responses = new Map();
    let buffered = '';
    proc.stdout.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line);
        if (msg.id !== undefined && (msg.result !== undefined || msg.error !== undefined)) responses.set(msg.id, msg);
      }
    });
    const send = (msg) => proc.stdin.write(`${JSON.stringify(msg)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-stdio', version: '0' } },
    });
    await waitFor(() => responses.get(1), { timeoutMs: 30_000, what: `the initialize response; stderr:\n${stderr}` });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const list = await waitFor(() => responses.get(2), { timeoutMs: 30_000, what: 'the tools/list response' });
    assert.ok(list.result.tools.some((t) => t.name === 'everything__echo'), JSON.stringify(list));

    const children = childPids(proc.pid);
    assert.ok(
      children.some((c) => cmdlineOf(c).includes('server-everything')),
      `no server-everything child: ${children.map(cmdlineOf)}`,
    );

    const closedAt = Date.now();
    proc.stdin.end();
    const outcome = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve(null), 10_000)),
    ]);
    assert.ok(outcome, `still running 10 s after stdin closed; stderr:\n${stderr}`);
    assert.deepEqual(outcome, { code: 0, signal: null }, `stderr:\n${stderr}`);
    assert.ok(Date.now() - closedAt < 10_000);
    await waitFor(() => children.every((c) => !isAlive(c)), {
      timeoutMs: 5000,
      what: `the backends to exit: ${children.filter(isAlive).map(cmdlineOf)}`,
    });
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
