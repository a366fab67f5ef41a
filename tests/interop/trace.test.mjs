// W3C Trace Context through the proxy: a `traceparent` sent by an SDK client (as an HTTP
// header, or in the request's _meta) reaches an HTTP backend with the same trace id and the
// proxy's own span as the parent, both as a header and in _meta; without one (or with a
// malformed one) the proxy starts a trace. The audit line of the call carries the trace id.
// The backend is the header-recording fixture of support/remote.mjs: no reference server
// reports the headers it received.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startProxy } from './support/proxy.mjs';
import { startHeaderRecorder } from './support/remote.mjs';
import { waitFor } from './support/forwarding.mjs';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

let recorder;
let proxy;
let dataDir;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-trace-'));
  recorder = await startHeaderRecorder();
  proxy = await startProxy({
    mcpServers: { recorder: { transport: 'streamable-http', url: recorder.url } },
    audit: { file: path.join(dataDir, 'audit.log') },
  });
});

after(async () => {
  await proxy?.stop();
  await recorder?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function client(headers = {}) {
  const c = new Client({ name: 'trace-test', version: '0.0.0' }, { capabilities: {} });
  await c.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers } }));
  return c;
}

/** The recorder's view of the last tools/call: its traceparent header and _meta.traceparent. */
function lastCall() {
  const calls = recorder.requests.filter((r) => r.method === 'POST' && JSON.parse(r.body).method === 'tools/call');
  assert.ok(calls.length > 0, 'the backend saw no tools/call');
  const last = calls.at(-1);
  const body = JSON.parse(last.body);
  return { header: last.headers.traceparent, meta: body.params?._meta?.traceparent };
}

function auditTraceIds() {
  const file = path.join(dataDir, 'audit.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((l) => l.event === 'call').map((l) => l.traceId);
}

describe('traceparent', () => {
  test('an HTTP header from the client is continued: same trace id, the proxy’s span as parent', async () => {
    const c = await client({ traceparent: `00-${TRACE}-${PARENT}-01` });
    try {
      await c.callTool({ name: 'recorder__whoami', arguments: {} });
    } finally {
      await c.close();
    }
    const { header, meta } = lastCall();
    const m = TRACEPARENT_RE.exec(header ?? '');
    assert.ok(m, `no valid traceparent header upstream: ${header}`);
    assert.equal(m[1], TRACE);
    assert.notEqual(m[2], PARENT, 'the proxy must make a span of its own');
    assert.equal(m[3], '01', 'the sampled flag is kept');
    assert.equal(meta, header, '_meta.traceparent upstream is the same as the header');
    await waitFor(() => auditTraceIds().includes(TRACE), { what: 'an audit line with the trace id' });
  });

  test('_meta.traceparent in the request is continued when there is no header', async () => {
    const c = await client();
    const trace = 'abcdef0123456789abcdef0123456789';
    try {
      await c.callTool({ name: 'recorder__whoami', arguments: {}, _meta: { traceparent: `00-${trace}-1111111111111111-00` } });
    } finally {
      await c.close();
    }
    const { header, meta } = lastCall();
    const m = TRACEPARENT_RE.exec(header ?? '');
    assert.ok(m, `no valid traceparent header upstream: ${header}`);
    assert.equal(m[1], trace);
    assert.equal(m[3], '00', 'a client that does not sample is not sampled upstream either');
    assert.equal(meta, header);
  });

  test('without one, or with a malformed one, the proxy starts a trace per request', async () => {
    const c = await client({ traceparent: 'not-a-traceparent' });
    const seen = [];
    try {
      for (let i = 0; i < 2; i++) {
        await c.callTool({ name: 'recorder__whoami', arguments: {} });
        seen.push(lastCall().header);
      }
    } finally {
      await c.close();
    }
    const ids = seen.map((h) => {
      const m = TRACEPARENT_RE.exec(h ?? '');
      assert.ok(m, `no valid traceparent upstream: ${h}`);
      return m[1];
    });
    assert.notEqual(ids[0], ids[1], 'each request is a trace of its own');
    assert.ok(!ids.includes(TRACE));
    await waitFor(() => ids.every((id) => auditTraceIds().includes(id)), { what: 'audit lines with both trace ids' });
  });
});
