// `mcproxy status URL`: the dashboard's summary in a terminal, read from a running proxy with
// auth (the admin bearer from $MCPROXY_TOKEN): its backends, sessions and the busiest tools,
// after an SDK client made calls through it. Without the token it fails saying what to set.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { serverPaths, startProxy } from './support/proxy.mjs';

const ADMIN_KEY = crypto.randomBytes(18).toString('hex');
const AGENT_KEY = crypto.randomBytes(18).toString('hex');
let proxy;
let base;

before(async () => {
  proxy = await startProxy({
    mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
    auth: { apiKeys: [{ name: 'ops', key: ADMIN_KEY, roles: ['admin'] }, { name: 'agent', key: AGENT_KEY }] },
  });
  base = new URL(proxy.url).origin;
  const client = new Client({ name: 'status-test-agent', version: '1.2.3' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), {
    requestInit: { headers: { authorization: `Bearer ${AGENT_KEY}` } },
  }));
  for (let i = 0; i < 2; i++) await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
  await client.close();
});

after(async () => {
  await proxy?.stop();
});

function status(args, token) {
  const env = { ...process.env };
  delete env.MCPROXY_TOKEN;
  if (token) env.MCPROXY_TOKEN = token;
  return spawnSync(process.env.MCPROXY_BIN, ['status', ...args], { env, encoding: 'utf8', timeout: 20_000 });
}

test('status prints backends, sessions and the busiest tools', () => {
  const r = status([base], ADMIN_KEY);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^MCProxy \S+ at http:\/\/127\.0\.0\.1:\d+: up /m);
  assert.match(r.stdout, /^\s+everything\s+up\s+stdio\s+\d+/m);
  assert.match(r.stdout, /Top tools by calls\n\s+everything__echo\s+everything\s+2 calls\s+0 errors/);
  assert.match(r.stdout, /^Tools: \d+$/m);
  assert.ok(!r.stdout.includes(ADMIN_KEY), 'the token was printed');
});

test('status --json is the state and catalogue as JSON', () => {
  const r = status([base, '--json'], ADMIN_KEY);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.state.backends[0].name, 'everything');
  const echo = doc.catalogue.tools.find((t) => t.name === 'everything__echo');
  assert.equal(echo.calls, 2);
});

test('without an admin token it fails and says to set MCPROXY_TOKEN', () => {
  for (const token of [undefined, AGENT_KEY]) {
    const r = status([base], token);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /MCPROXY_TOKEN/);
  }
  const bad = status(['not a url']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /expected e\.g\. http:\/\/127\.0\.0\.1:8080/);
});
