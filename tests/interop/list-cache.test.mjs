// The list cache ("serialize once", issue [3 of 9]): through MCProxy, against server-everything
// and the dynamic SDK fixture, seen by the official TypeScript SDK client. A list whose proxy
// middleware are all pure is serialized once per catalogue, protocol version, pipeline and
// page; later requests (of any session sharing the catalogue) are answered from those bytes.
// The proxy's debug log names each answer served from the cache, which is how these tests see
// a hit. They check what a client must be able to rely on: a cached answer equals a computed
// one, it follows every change of the catalogue at once, it is never shared across protocol
// versions, and a list a middleware computes per session is never cached.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/list-cache.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dynamicFixturePath, everythingConfig, waitFor, waitForTools } from './support/forwarding.mjs';
import { initSession, rpc } from './support/faults.mjs';
import { connectClient, listAll, startProxy } from './support/proxy.mjs';

const CACHE_HIT = /req#\d+ (\S+) answered from the list cache/g;

/** The methods answered from the cache in the proxy's log so far. */
const hits = (proxy) => [...proxy.output().matchAll(CACHE_HIT)].map((m) => m[1]);

function config({ proxyMiddleware, httpServer } = {}) {
  const c = everythingConfig({
    httpServer,
    extraServers: { fixture: { command: process.execPath, args: [dynamicFixturePath] } },
  });
  c.httpServer = {
    ...(c.httpServer ?? {}),
    middleware: { proxy: proxyMiddleware ?? [{ type: 'description_enricher', config: { prefix: '[{server}] ' } }] },
  };
  return c;
}

describe('lists through pure proxy middleware come from the cache', () => {
  let proxy;
  let a;
  let b;

  before(async () => {
    proxy = await startProxy(config());
    a = await connectClient(proxy.url, { name: 'cache-a' });
    b = await connectClient(proxy.url, { name: 'cache-b' });
  });

  after(async () => {
    await a?.close().catch(() => {});
    await b?.close().catch(() => {});
    await proxy?.stop();
  });

  test('a second tools/list, from either session, is a cache hit and equals the first', async () => {
    const before = hits(proxy).filter((m) => m === 'tools/list').length;
    const first = await a.listTools();
    const second = await a.listTools();
    const other = await b.listTools();
    assert.deepEqual(second, first);
    assert.deepEqual(other, first);
    // Computed once (by whichever came first), then served twice from the cache.
    await waitFor(() => hits(proxy).filter((m) => m === 'tools/list').length >= before + 2, {
      what: 'two tools/list cache hits in the log',
    });
    // The middleware's work is in the cached bytes.
    const echo = first.tools.find((t) => t.name === 'everything__echo');
    assert.ok(echo?.description.startsWith('[everything] '), `enriched description: ${echo?.description}`);
  });

  test('prompts/list and resources/list are cached as well', async () => {
    const prompts1 = await a.listPrompts();
    const prompts2 = await b.listPrompts();
    assert.deepEqual(prompts2, prompts1);
    const resources1 = await a.listResources();
    const resources2 = await a.listResources();
    assert.deepEqual(resources2, resources1);
    await waitFor(() => hits(proxy).includes('prompts/list') && hits(proxy).includes('resources/list'), {
      what: 'prompts/list and resources/list cache hits',
    });
  });

  test('a backend that changes its tools invalidates the cache at once', async () => {
    await a.listTools();
    await a.listTools();  // cached now
    const added = `cached-${Date.now()}`;
    await a.callTool({ name: 'fixture__add-tool', arguments: { name: added } });
    // The first list after list_changed must already show the tool (no stale cached answer)...
    const names = await waitForTools(b, [`fixture__${added}`]);
    assert.ok(names.includes('everything__echo'));
    // ...with the middleware applied to it, and the same for the other session.
    const tool = (await a.listTools()).tools.find((t) => t.name === `fixture__${added}`);
    assert.ok(tool?.description.startsWith('[fixture] '), `enriched: ${tool?.description}`);
  });
});

describe('cache keys: protocol version and pages', () => {
  let proxy;

  before(async () => {
    proxy = await startProxy(config({ httpServer: { pageSize: 5 } }));
  });

  after(async () => {
    await proxy?.stop();
  });

  test('pages are cached one by one and walk the same list as an uncached walk', async () => {
    const client = await connectClient(proxy.url);
    try {
      const walk1 = await listAll(client, 'tools');
      const hitsBefore = hits(proxy).filter((m) => m === 'tools/list').length;
      const walk2 = await listAll(client, 'tools');
      assert.deepEqual(walk2, walk1);
      assert.ok(walk1.length > 5, `several pages (${walk1.length} tools)`);
      const pages = Math.ceil(walk1.length / 5);
      await waitFor(() => hits(proxy).filter((m) => m === 'tools/list').length >= hitsBefore + pages, {
        what: `${pages} page hits`,
      });
      // A bad cursor is still refused, not answered from some cache entry.
      await assert.rejects(client.listTools({ cursor: 'not-a-cursor' }), /cursor/);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test('a 2025-03-26 session never gets the answer cached for 2025-11-25, and the reverse', async () => {
    // Raw sessions: the SDK client always asks for its newest version.
    const current = await versionSession(proxy.url, '2025-11-25');
    const older = await versionSession(proxy.url, '2025-03-26');
    const withSchema = (r) => r.tools.filter((t) => t.outputSchema).length;
    const current1 = await current.list(1);  // computed, cached for 2025-11-25
    const older1 = await older.list(2);      // must not be that entry
    const older2 = await older.list(3);
    const current2 = await current.list(4);
    // outputSchema is 2025-06-18 and later: the adapter removes it for older clients.
    assert.ok(withSchema(current1) > 0, 'server-everything has tools with an outputSchema');
    assert.equal(withSchema(older1), 0, 'a 2025-03-26 client sees no outputSchema');
    assert.deepEqual(older2, older1);
    assert.deepEqual(current2, current1);
  });
});

/** A session initialized with `version` over plain fetch; list(id) walks tools/list. */
async function versionSession(url, version) {
  const sessionId = await initSession(url, { protocolVersion: version });
  return {
    // Every page, concatenated; each page's answer must carry its own request's id.
    list: async (id) => {
      const tools = [];
      let cursor;
      for (let page = 0; page < 100; ++page) {
        const requestId = `${id}-${page}`;
        const params = cursor === undefined ? {} : { cursor };
        const answer = await rpc(url, sessionId, { jsonrpc: '2.0', id: requestId, method: 'tools/list', params }, { protocolVersion: version });
        assert.equal(answer.id, requestId, 'the cached bytes carry this request\'s id');
        tools.push(...answer.result.tools);
        cursor = answer.result.nextCursor;
        if (cursor === undefined) break;
      }
      return { tools };
    },
  };
}

describe('a list a middleware computes per session is never cached', () => {
  let proxy;

  before(async () => {
    // tool_search with maxTools > 0: each session's list grows with its own searches.
    proxy = await startProxy(config({ proxyMiddleware: [{ type: 'tool_search', config: { maxTools: 2 } }] }));
  });

  after(async () => {
    await proxy?.stop();
  });

  test('tools/list is computed every time; prompts/list (passed through) is cached', async () => {
    const client = await connectClient(proxy.url);
    try {
      const first = await client.listTools();
      assert.equal(first.tools.length, 3, 'two tools and search_tools');
      await client.callTool({ name: 'search_tools', arguments: { query: 'add numbers sum' } });
      const grown = await client.listTools();
      assert.ok(grown.tools.length > first.tools.length, 'the search added what it found to this session');
      await client.listPrompts();
      await client.listPrompts();
      await waitFor(() => hits(proxy).includes('prompts/list'), { what: 'a prompts/list cache hit' });
      assert.ok(!hits(proxy).includes('tools/list'), 'no tools/list answered from the cache');
    } finally {
      await client.close().catch(() => {});
    }
  });
});
