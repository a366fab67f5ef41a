// httpServer.pageSize: the merged lists come in pages of that size with an opaque nextCursor;
// following the cursors yields exactly the unpaginated list, each item once; a cursor the
// proxy never issued is refused with -32602.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/pagination.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import { connectClient, startProxy, threeServerConfig } from './support/proxy.mjs';

const PAGE_SIZE = 5;

/** Every page of a list method, following nextCursor. */
async function pages(client, method, key) {
  const out = [];
  let cursor;
  for (let i = 0; i < 1000; i++) {
    const page = await client[method](cursor === undefined ? undefined : { cursor });
    out.push({ items: page[key], nextCursor: page.nextCursor });
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error(`${method}: more than 1000 pages (a cursor loop?)`);
}

function assertRejectsInvalidParams(promise, what) {
  return assert.rejects(promise, (err) => {
    assert.ok(err instanceof McpError, `${what}: not an McpError: ${err}`);
    assert.equal(err.code, ErrorCode.InvalidParams, `${what}: ${err.message}`);
    return true;
  });
}

describe('pagination with httpServer.pageSize = 5 (everything + filesystem + memory)', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-pagination-')));
  let paged;
  let whole;
  let pagedClient;
  let wholeClient;

  before(async () => {
    const config = threeServerConfig(dir);
    paged = await startProxy({ ...config, httpServer: { pageSize: PAGE_SIZE } });
    whole = await startProxy(config);
    pagedClient = await connectClient(paged.url);
    wholeClient = await connectClient(whole.url);
  });

  after(async () => {
    await pagedClient?.close().catch(() => {});
    await wholeClient?.close().catch(() => {});
    await paged?.stop();
    await whole?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without pageSize, tools/list is one page', async () => {
    const all = await pages(wholeClient, 'listTools', 'tools');
    assert.equal(all.length, 1);
    assert.ok(all[0].items.length > PAGE_SIZE * 2, `only ${all[0].items.length} tools`);
  });

  test('tools/list pages carry nextCursor and together are the full list, each tool once', async () => {
    const expected = (await wholeClient.listTools()).tools.map((t) => t.name);
    const got = await pages(pagedClient, 'listTools', 'tools');
    assert.equal(got.length, Math.ceil(expected.length / PAGE_SIZE), `pages for ${expected.length} tools`);
    got.forEach((page, i) => {
      const last = i === got.length - 1;
      if (!last) {
        assert.equal(page.items.length, PAGE_SIZE, `page ${i} size`);
        assert.equal(typeof page.nextCursor, 'string', `page ${i} has no nextCursor`);
        assert.ok(page.nextCursor.length > 0);
      } else {
        assert.ok(page.items.length >= 1 && page.items.length <= PAGE_SIZE, `last page size ${page.items.length}`);
        assert.equal(page.nextCursor, undefined, 'the last page has a nextCursor');
      }
    });
    const names = got.flatMap((p) => p.items.map((t) => t.name));
    assert.equal(new Set(names).size, names.length, `duplicates: ${names}`);
    assert.deepEqual([...names].sort(), [...expected].sort());
    // The tools themselves are unchanged by paging.
    const wholeByName = new Map((await wholeClient.listTools()).tools.map((t) => [t.name, t]));
    for (const t of got.flatMap((p) => p.items)) assert.deepEqual(t, wholeByName.get(t.name), t.name);
  });

  test('resources/list and prompts/list page the same way', async () => {
    for (const [method, key, id] of [
      ['listResources', 'resources', 'uri'],
      ['listPrompts', 'prompts', 'name'],
    ]) {
      const expected = (await wholeClient[method]())[key].map((x) => x[id]).sort();
      const got = await pages(pagedClient, method, key);
      for (const page of got) assert.ok(page.items.length <= PAGE_SIZE, `${key}: page of ${page.items.length}`);
      const ids = got.flatMap((p) => p.items.map((x) => x[id]));
      assert.equal(new Set(ids).size, ids.length, `${key}: duplicates`);
      assert.deepEqual([...ids].sort(), expected, key);
      assert.equal(got.length, Math.max(1, Math.ceil(expected.length / PAGE_SIZE)), `${key}: pages`);
    }
  });

  test('a made-up cursor → -32602, and the session keeps working', async () => {
    await assertRejectsInvalidParams(pagedClient.listTools({ cursor: 'not-a-cursor-the-proxy-issued' }), 'made-up');
    const first = await pagedClient.listTools();
    assert.equal(first.tools.length, PAGE_SIZE);
  });

  test('a cursor of one list is refused by another', async () => {
    const first = await pagedClient.listTools();
    assert.ok(first.nextCursor);
    await assertRejectsInvalidParams(pagedClient.listPrompts({ cursor: first.nextCursor }), 'tools cursor on prompts');
  });

  test('without pageSize, any cursor → -32602', async () => {
    await assertRejectsInvalidParams(wholeClient.listTools({ cursor: 'anything' }), 'unpaginated');
  });
});
