// The Host header of upstream HTTP requests (issue 10, defect 11): a remote backend on a
// non-default port must get `Host: 127.0.0.1:<port>` (RFC 9110 §7.2: the port is part of Host
// unless it is the scheme's default), on every kind of request the proxy makes: the POSTs
// (initialize, lists, calls), the GET stream and the DELETE that ends the upstream session.
// Seen with the recording server of support/remote.mjs; server-everything accepts any Host, so
// it cannot show this.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/upstream-host.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { textOf, waitFor } from './support/forwarding.mjs';
import { connectClient, startProxy } from './support/proxy.mjs';
import { startHeaderRecorder } from './support/remote.mjs';

let recorder;
let proxy;
let client;

before(async () => {
  recorder = await startHeaderRecorder();
  proxy = await startProxy({ mcpServers: { recorder: { url: recorder.url, type: 'streamable-http' } } });
  client = await connectClient(proxy.url);
});

after(async () => {
  await client?.close().catch(() => {});
  await proxy?.stop();
  await recorder?.close();
});

test('every upstream request carries Host: 127.0.0.1:<port>', async () => {
  assert.notEqual(recorder.port, 80);
  assert.equal(textOf(await client.callTool({ name: 'recorder__whoami', arguments: {} })), 'recorded');
  // The GET stream is opened after initialize, in the background.
  await waitFor(() => recorder.requests.some((r) => r.method === 'GET'), { what: 'the upstream GET stream' });
  const hosts = recorder.requests.map((r) => `${r.method} ${r.headers.host}`);
  for (const r of recorder.requests)
    assert.equal(r.headers.host, `127.0.0.1:${recorder.port}`, `Host of ${r.method} ${r.url}; all: ${hosts.join(', ')}`);
});

test('the DELETE that ends the upstream session carries it too', async () => {
  const before = recorder.requests.length;
  await proxy.stop();
  const deletes = recorder.requests.slice(before).filter((r) => r.method === 'DELETE');
  // The proxy ends its upstream session on shutdown (it does today: kept as a requirement).
  assert.ok(deletes.length >= 1, `no DELETE on shutdown; requests after stop: ${JSON.stringify(recorder.requests.slice(before).map((r) => r.method))}`);
  for (const r of deletes) assert.equal(r.headers.host, `127.0.0.1:${recorder.port}`, `Host of DELETE ${r.url}`);
});
