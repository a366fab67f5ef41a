// Each hop negotiates its own protocol version: a 2025-03-26 client behind the proxy gets
// results it can parse even though server-everything speaks 2025-11-25 (no structuredContent,
// no resource_link blocks, no outputSchema), while a 2025-11-25 client gets them unchanged.
// Tasks requests pass through to the backend that offers them.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/versions.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { serverPaths, startProxy } from './support/proxy.mjs';

let proxy;

before(async () => {
  proxy = await startProxy({ mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } } });
});
after(async () => proxy?.stop());

// A JSON-only raw client speaking `version`.
async function session(version) {
  let id = 0;
  let sessionId;
  const post = async (method, params = {}) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (sessionId) Object.assign(headers, { 'mcp-session-id': sessionId, 'mcp-protocol-version': version });
    const res = await fetch(proxy.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
    if (!sessionId) sessionId = res.headers.get('mcp-session-id');
    return res.json();
  };
  const init = await post('initialize', { protocolVersion: version, capabilities: {}, clientInfo: { name: `v${version}`, version: '0' } });
  await fetch(proxy.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-session-id': sessionId, 'mcp-protocol-version': version },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return { init, post };
}

test('a 2025-03-26 client gets down-levelled results; a 2025-11-25 client gets them unchanged', async () => {
  const old = await session('2025-03-26');
  assert.equal(old.init.result.protocolVersion, '2025-03-26');
  const current = await session('2025-11-25');
  assert.equal(current.init.result.protocolVersion, '2025-11-25');

  const structuredNew = await current.post('tools/call', { name: 'everything__get-structured-content', arguments: { location: 'New York' } });
  assert.ok(structuredNew.result.structuredContent, JSON.stringify(structuredNew));
  const structuredOld = await old.post('tools/call', { name: 'everything__get-structured-content', arguments: { location: 'New York' } });
  assert.equal(structuredOld.result.structuredContent, undefined, JSON.stringify(structuredOld));
  assert.ok(structuredOld.result.content.some((b) => b.type === 'text'));

  const linksNew = await current.post('tools/call', { name: 'everything__get-resource-links', arguments: { count: 2 } });
  assert.ok(linksNew.result.content.some((b) => b.type === 'resource_link'), JSON.stringify(linksNew));
  const linksOld = await old.post('tools/call', { name: 'everything__get-resource-links', arguments: { count: 2 } });
  assert.ok(linksOld.result.content.every((b) => b.type !== 'resource_link'), JSON.stringify(linksOld));
  assert.ok(linksOld.result.content.some((b) => b.type === 'text' && /^Resource: .*\(demo:\/\//.test(b.text)));

  const toolsOld = await old.post('tools/list');
  assert.ok(toolsOld.result.tools.every((t) => t.outputSchema === undefined));
  const toolsNew = await current.post('tools/list');
  assert.ok(toolsNew.result.tools.some((t) => t.outputSchema !== undefined));
});

test('an unsupported version is answered with the proxy\'s latest', async () => {
  const s = await session('1999-01-01');
  assert.equal(s.init.result.protocolVersion, '2025-11-25');
});

test('tasks requests pass through to the backend that offers tasks', async () => {
  const s = await session('2025-11-25');
  assert.ok(s.init.result.capabilities.tasks, JSON.stringify(s.init.result.capabilities));
  const list = await s.post('tasks/list');
  assert.ok(Array.isArray(list.result?.tasks), JSON.stringify(list));
  const unknown = await s.post('tasks/get', { taskId: 'no-such-task' });
  assert.equal(unknown.error?.code, -32602, JSON.stringify(unknown));
});
