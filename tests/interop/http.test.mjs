// MCProxy's Streamable HTTP endpoint spoken to with raw HTTP (no SDK): sessions, headers,
// JSON-RPC error handling, DNS-rebinding protection, body limits, /health, backend failure.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/http.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { startProxy, threeServerConfig } from './support/proxy.mjs';

const PROTOCOL_VERSION = '2025-11-25';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};

/**
 * POST `body` (an object, serialized; or a string, sent as is) to `url`.
 * Returns {status, headers, text, json} where json is the JSON-RPC message in the response:
 * the body itself for application/json, or the last `data:` message for text/event-stream.
 */
async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: parseBody(res.headers, text) };
}

function parseBody(headers, text) {
  if (!text) return undefined;
  const type = headers.get('content-type') ?? '';
  try {
    if (type.includes('text/event-stream')) {
      // Keep the last complete event's data (the response follows any notifications).
      let last;
      for (const event of text.split(/\r?\n\r?\n/)) {
        const data = event
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) last = JSON.parse(data);
      }
      return last;
    }
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Raw request through node:http, which (unlike fetch) lets us set Host and survive a close. */
function rawRequest(url, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    let response;
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method, headers, agent: false },
      (res) => {
        response = { status: res.statusCode, headers: res.headers, text: '' };
        res.setEncoding('utf8');
        res.on('data', (d) => (response.text += d));
        res.on('end', () => resolve(response));
        // The server may close the connection right after its answer: what we have is enough.
        res.on('error', () => resolve(response));
        res.on('aborted', () => resolve(response));
      },
    );
    req.on('error', (err) => {
      if (response) resolve(response);
      else reject(err);
    });
    req.end(body);
  });
}

describe('Streamable HTTP endpoint (raw HTTP)', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-http-')));
  let proxy;
  let url; // http://127.0.0.1:<port>/mcp
  let port;
  let session; // a session initialized in before()

  /** initialize + notifications/initialized; returns the session id. */
  async function newSession() {
    const init = await post(url, INITIALIZE);
    assert.equal(init.status, 200, init.text);
    const id = init.headers.get('mcp-session-id');
    assert.ok(id, 'no mcp-session-id header on the initialize response');
    const done = await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION },
    );
    assert.equal(done.status, 202, done.text);
    return id;
  }

  const sessionHeaders = (id = session) => ({
    'mcp-session-id': id,
    'mcp-protocol-version': PROTOCOL_VERSION,
  });

  let nextId = 100;
  const rpc = (method, params = {}) => ({ jsonrpc: '2.0', id: nextId++, method, params });

  async function toolsList(id = session) {
    const res = await post(url, rpc('tools/list'), sessionHeaders(id));
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json?.result?.tools), res.text);
    return res.json.result.tools.map((t) => t.name);
  }

  async function health() {
    const res = await fetch(new URL('/health', url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    return res.json();
  }

  before(async () => {
    proxy = await startProxy(threeServerConfig(dir));
    url = proxy.url;
    port = new URL(url).port;
    session = await newSession();
  });

  after(async () => {
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('listening URL is loopback /mcp', () => {
    const u = new URL(url);
    assert.equal(u.hostname, '127.0.0.1');
    assert.equal(u.pathname, '/mcp');
    assert.ok(Number(u.port) > 0);
  });

  test('initialize → 200, visible-ASCII session id, negotiated version; initialized → 202', async () => {
    const init = await post(url, INITIALIZE);
    assert.equal(init.status, 200, init.text);
    const id = init.headers.get('mcp-session-id');
    assert.ok(id && id.length > 0, 'mcp-session-id missing');
    assert.match(id, /^[\x21-\x7e]+$/);
    assert.notEqual(id, session, 'two sessions got the same id');
    assert.equal(init.json.jsonrpc, '2.0');
    assert.equal(init.json.id, 1);
    assert.equal(init.json.result.protocolVersion, PROTOCOL_VERSION);
    assert.ok(init.json.result.capabilities?.tools, 'proxy does not advertise tools');
    assert.ok(init.json.result.serverInfo?.name, 'serverInfo.name missing');

    const done = await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION },
    );
    assert.equal(done.status, 202);
    assert.equal(done.text, '');
  });

  test('tools/list on the session lists the prefixed tools', async () => {
    const names = await toolsList();
    assert.ok(names.includes('everything__echo'));
    assert.ok(names.includes('filesystem__read_text_file'));
    assert.ok(names.includes('memory__read_graph'));
  });

  test('malformed JSON → 400 with -32700, session still usable', async () => {
    const res = await post(url, '{"jsonrpc": "2.0", "id": ', sessionHeaders());
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json?.error?.code, -32700, res.text);
    assert.equal(res.json.id, null);
    const names = await toolsList();
    assert.ok(names.length > 0);
  });

  test('valid JSON that is not JSON-RPC → -32600', async () => {
    const res = await post(url, { foo: 1 }, sessionHeaders());
    assert.ok(res.status < 500, `status ${res.status}`);
    assert.equal(res.json?.error?.code, -32600, res.text);
    assert.ok((await toolsList()).length > 0);
  });

  test('foreign Origin → 403; localhost Origin accepted', async () => {
    const evil = await post(url, rpc('tools/list'), { ...sessionHeaders(), origin: 'http://evil.example' });
    assert.equal(evil.status, 403, evil.text);

    const local = await post(url, rpc('tools/list'), {
      ...sessionHeaders(),
      origin: `http://localhost:${port}`,
    });
    assert.notEqual(local.status, 403, local.text);
    assert.equal(local.status, 200, local.text);
  });

  test('foreign Host → 4xx (DNS rebinding protection)', async () => {
    const body = JSON.stringify(INITIALIZE);
    const res = await rawRequest(url, {
      headers: {
        host: 'evil.example',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'content-length': Buffer.byteLength(body),
      },
      body,
    });
    // The contract says 403 or 421; any 4xx is accepted here (the conformance suite does too).
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.text}`);
  });

  test('unknown session id → 404', async () => {
    const res = await post(url, rpc('tools/list'), sessionHeaders('does-not-exist'));
    assert.equal(res.status, 404, res.text);
  });

  test('DELETE ends a session; its id then → 404', async () => {
    const id = await newSession();
    assert.ok((await toolsList(id)).length > 0);
    const del = await fetch(url, { method: 'DELETE', headers: sessionHeaders(id) });
    await del.arrayBuffer();
    assert.ok([200, 204].includes(del.status), `DELETE status ${del.status}`);
    const res = await post(url, rpc('tools/list'), sessionHeaders(id));
    assert.equal(res.status, 404, res.text);
    // Other sessions are unaffected.
    assert.ok((await toolsList()).length > 0);
  });

  test('unsupported MCP-Protocol-Version → 400', async () => {
    const res = await post(url, rpc('tools/list'), {
      'mcp-session-id': session,
      'mcp-protocol-version': '1999-01-01',
    });
    assert.equal(res.status, 400, res.text);
  });

  test('unknown method → -32601, session keeps working', async () => {
    const res = await post(url, rpc('foo/bar'), sessionHeaders());
    assert.equal(res.json?.error?.code, -32601, res.text);
    assert.ok((await toolsList()).includes('everything__echo'));
  });

  test('a client that accepts only SSE gets the response as a text/event-stream event', async () => {
    const res = await post(url, rpc('tools/list'), { ...sessionHeaders(), accept: 'text/event-stream' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.match(res.text, /^event: message\ndata: \{/m);
    // No event ids on POST streams: they cannot be resumed, so an id would invite a
    // Last-Event-ID that the GET stream's replay would answer with the wrong events.
    assert.doesNotMatch(res.text, /^id:/m);
    assert.ok(res.json?.result?.tools?.some((t) => t.name === 'everything__echo'), res.text);
  });

  test('a request without a session id → 400 naming the header', async () => {
    const res = await post(url, rpc('tools/list'), { 'mcp-protocol-version': PROTOCOL_VERSION });
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /Mcp-Session-Id/);
  });

  test('a wrong Content-Type → 415; PUT → 405 with Allow', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'application/json, text/event-stream', ...sessionHeaders() },
      body: JSON.stringify(rpc('ping')),
    });
    assert.equal(res.status, 415);
    const put = await fetch(url, { method: 'PUT', headers: sessionHeaders(), body: '{}' });
    assert.equal(put.status, 405);
    assert.match(put.headers.get('allow') ?? '', /POST/);
  });

  test('GET opens the standalone SSE stream: one per session (409 for a second), 400 without a session', async () => {
    const noSession = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(noSession.status, 400);
    const id = await newSession();
    const controller = new AbortController();
    const first = await fetch(url, { headers: { accept: 'text/event-stream', ...sessionHeaders(id) }, signal: controller.signal });
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/);
    const second = await fetch(url, { headers: { accept: 'text/event-stream', ...sessionHeaders(id) } });
    assert.equal(second.status, 409);
    controller.abort();
    // Once the first stream is gone, a new GET is accepted again.
    let status;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await sleep(100);
      const again = await fetch(url, { headers: { accept: 'text/event-stream', ...sessionHeaders(id) }, signal: AbortSignal.timeout(2000) });
      status = again.status;
      if (status === 200) await again.body.cancel();
    }
    assert.equal(status, 200);
  });

  test('a 2025-03-26 batch gets one array of responses; notifications in it get none', async () => {
    const batch = [rpc('ping'), { jsonrpc: '2.0', method: 'notifications/initialized' }, rpc('nope/nope')];
    const res = await post(url, JSON.stringify(batch), sessionHeaders());
    assert.equal(res.status, 200, res.text);
    const replies = JSON.parse(res.text);
    assert.equal(replies.length, 2, res.text);
    assert.deepEqual(replies[0].result, {});
    assert.equal(replies[1].error.code, -32601);
  });

  test('GET /health → ok, three backends up', async () => {
    const h = await health();
    assert.equal(h.status, 'ok');
    assert.ok(Array.isArray(h.backends));
    assert.deepEqual(h.backends.map((b) => b.name).sort(), ['everything', 'filesystem', 'memory']);
    for (const b of h.backends) {
      assert.equal(b.state, 'up', `${b.name}: ${JSON.stringify(b)}`);
      assert.ok(Number.isInteger(b.pid) && b.pid > 0, `${b.name} pid: ${b.pid}`);
    }
    const everything = h.backends.find((b) => b.name === 'everything');
    if (everything.tools !== undefined) assert.ok(everything.tools >= 13, `tools ${everything.tools}`);
  });

  // Keep this last: it takes the memory backend away from the shared proxy.
  test('a killed backend is dropped, the others keep serving, status degraded', async () => {
    const initial = await health();
    const memory = initial.backends.find((b) => b.name === 'memory');
    assert.ok(Number.isInteger(memory?.pid) && memory.pid > 0, JSON.stringify(memory));
    assert.notEqual(memory.pid, proxy.proc.pid);
    process.kill(memory.pid, 'SIGKILL');

    // Wait until the proxy notices (not "up", or up again as a new process if it restarted it).
    const deadline = Date.now() + 10_000;
    let m;
    for (;;) {
      m = (await health()).backends.find((b) => b.name === 'memory');
      if (m.state !== 'up' || m.pid !== memory.pid) break;
      assert.ok(Date.now() < deadline, `memory still "up" 10 s after SIGKILL: ${JSON.stringify(m)}`);
      await sleep(50);
    }

    const names = await toolsList();
    const later = await health();
    const mAfter = later.backends.find((b) => b.name === 'memory');
    assert.ok(names.includes('everything__echo'), 'everything tools must stay listed');
    assert.ok(names.includes('filesystem__read_text_file'), 'filesystem tools must stay listed');
    if (m.state !== 'up' && mAfter.state !== 'up') {
      // Not up for the whole window. A backend that was up is reconnected at once and keeps
      // its catalogue during that one attempt ("starting"); otherwise it is left out of the
      // lists, and /health says so.
      const memoryTools = names.filter((n) => n.startsWith('memory__'));
      if (mAfter.state !== 'starting') assert.deepEqual(memoryTools, [], JSON.stringify(mAfter));
      assert.equal(later.status, 'degraded');
      // Either way it comes back as a new process, listed again.
      for (const until = Date.now() + 15_000; ; await sleep(100)) {
        const b = (await health()).backends.find((x) => x.name === 'memory');
        if (b.state === 'up' && b.pid !== memory.pid) break;
        assert.ok(Date.now() < until, `memory not back 15 s after SIGKILL: ${JSON.stringify(b)}`);
      }
      assert.ok((await toolsList()).some((n) => n.startsWith('memory__')), 'memory tools listed again');
    } else {
      // The proxy restarted it in between: then it must be a new process and listed again.
      assert.notEqual(mAfter.pid, memory.pid);
      assert.ok(names.some((n) => n.startsWith('memory__')) || mAfter.state !== 'up');
    }

    const echo = await post(
      url,
      rpc('tools/call', { name: 'everything__echo', arguments: { message: 'after the crash' } }),
      sessionHeaders(),
    );
    assert.equal(echo.status, 200, echo.text);
    assert.match(echo.json?.result?.content?.[0]?.text ?? '', /after the crash/);
  });
});

describe('request body limit (httpServer.maxBodyBytes)', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-http-limit-')));
  let proxy;

  before(async () => {
    proxy = await startProxy({ ...threeServerConfig(dir), httpServer: { maxBodyBytes: 65536 } });
  });

  after(async () => {
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a 200 kB body → 413', async () => {
    const msg = { ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(200 * 1024) } };
    const body = JSON.stringify(msg);
    // node:http, not fetch: the server may close the connection right after the 413 while
    // the body is still being sent; rawRequest keeps the response if one arrived.
    const res = await rawRequest(proxy.url, {
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'content-length': Buffer.byteLength(body),
      },
      body,
    });
    assert.equal(res.status, 413, res.text);

    // The proxy is still serving afterwards.
    const ok = await post(proxy.url, INITIALIZE);
    assert.equal(ok.status, 200, ok.text);
  });
});
