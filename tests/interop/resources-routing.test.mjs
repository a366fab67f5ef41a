// Where a resources/read goes (issue 10, defect 11), with the real server-everything (7 static
// documents demo://resource/static/document/*.md and two templates
// demo://resource/dynamic/{text,blob}/{resourceId}):
//
// - a resource template hidden by `tool_filter` cannot be read through a concrete URI it
//   expands to (exactly like a hidden resource: -32002 "Resource not found"), while visible
//   resources and the other template still read;
// - two servers listing the same resource URIs (two server-everything processes under different
//   names): the proxy logs a warning naming both servers and the URI, and the first server in
//   config order serves resources/read;
// - with `"namespaceResources": true` (a new per-server setting) on the second server, its
//   resources and templates appear as `<server>+<original URI>` (e.g.
//   everything2+demo://resource/static/document/architecture.md), reading such a URI reaches
//   that server with the original URI, and its resources/updated come back prefixed.
//
// Which backend served a request is read from a per-server `logging` middleware file.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/resources-routing.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { connectRecordingClient, textOf, waitFor } from './support/forwarding.mjs';
import { fileLines, makeTempDir, mcpErrorOf } from './support/middleware.mjs';
import { connectClient, listAll, serverPaths, startProxy } from './support/proxy.mjs';

const DOC = 'demo://resource/static/document/architecture.md';
const DOC_PREFIX = 'demo://resource/static/document/';
const TEXT_TEMPLATE = 'demo://resource/dynamic/text/{resourceId}';
const BLOB_TEMPLATE = 'demo://resource/dynamic/blob/{resourceId}';
const RESOURCE_NOT_FOUND = -32002;

const everything = () => ({ command: process.execPath, args: [serverPaths().everything] });

/** The resourceTemplates list (one page; the proxy is not paginated here). */
const templatesOf = async (client) => (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);

/** The `resources/read` lines of a logging middleware file. */
const readLines = (file) => fileLines(file).filter((l) => l.includes('resources/read') && l.includes('->'));

describe('tool_filter: a hidden resource template cannot be read through a URI it expands to', () => {
  // [label, block patterns, templates hidden, concrete URIs that must be refused, URIs that must read]
  const CASES = [
    ['the exact template string', [TEXT_TEMPLATE], [TEXT_TEMPLATE], ['demo://resource/dynamic/text/1'], [DOC, 'demo://resource/dynamic/blob/1']],
    ['a pattern over templates (*{resourceId})', ['*{resourceId}'], [TEXT_TEMPLATE, BLOB_TEMPLATE],
      ['demo://resource/dynamic/text/2', 'demo://resource/dynamic/blob/3'], [DOC]],
    // A glob that also matches the concrete URIs: refused today already (a guard).
    ['a glob matching templates and URIs (demo://resource/dynamic/*)', ['demo://resource/dynamic/*'],
      [TEXT_TEMPLATE, BLOB_TEMPLATE], ['demo://resource/dynamic/text/4'], [DOC]],
  ];

  for (const [label, block, hidden, refused, readable] of CASES) {
    describe(`blocked by ${label}`, () => {
      let proxy;
      let client;

      before(async () => {
        proxy = await startProxy({
          mcpServers: { everything: everything() },
          httpServer: {
            middleware: { client: { servers: { everything: [{ type: 'tool_filter', config: { resources: { block } } }] } } },
          },
        });
        client = await connectClient(proxy.url);
      });

      after(async () => {
        await client?.close().catch(() => {});
        await proxy?.stop();
      });

      test('the template is left out of resources/templates/list', async () => {
        const templates = await templatesOf(client);
        for (const t of hidden) assert.ok(!templates.includes(t), `${t} listed: ${templates}`);
        for (const t of [TEXT_TEMPLATE, BLOB_TEMPLATE].filter((x) => !hidden.includes(x)))
          assert.ok(templates.includes(t), `${t} missing: ${templates}`);
      });

      test('a concrete URI of the hidden template is refused like a hidden resource (-32002)', async () => {
        for (const uri of refused) {
          const err = await mcpErrorOf(client.readResource({ uri }), RESOURCE_NOT_FOUND);
          assert.match(err.message, /Resource not found/, err.message);
          assert.doesNotMatch(err.message, /plaintext|blob created/, err.message);
        }
      });

      test('visible resources (and the other template) still read', async () => {
        for (const uri of readable) {
          const r = await client.readResource({ uri });
          assert.equal(r.contents[0].uri, uri);
          assert.ok(r.contents[0].text ?? r.contents[0].blob, JSON.stringify(r).slice(0, 200));
        }
      });
    });
  }
});

describe('two servers listing the same resource URIs', () => {
  // Config order zulu, alpha: not alphabetical, so "first" cannot be an accident of sorting.
  const dir = makeTempDir('mcproxy-res-dup-');
  const logs = { zulu: path.join(dir, 'zulu.log'), alpha: path.join(dir, 'alpha.log') };
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy({
      mcpServers: { zulu: everything(), alpha: everything() },
      httpServer: {
        middleware: {
          client: {
            servers: {
              zulu: [{ type: 'logging', config: { file: logs.zulu } }],
              alpha: [{ type: 'logging', config: { file: logs.alpha } }],
            },
          },
        },
      },
    });
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a warning names both servers and the URI', async () => {
    await listAll(client, 'resources'); // the merged catalogue exists by now
    const warnings = () =>
      proxy
        .output()
        .split('\n')
        .filter((l) => /\bwarn/i.test(l) && l.includes('zulu') && l.includes('alpha') && l.includes(DOC_PREFIX));
    await waitFor(() => warnings().length > 0, {
      timeoutMs: 5000,
      what: `a warning naming zulu, alpha and a ${DOC_PREFIX}* URI; warnings seen:\n${proxy
        .output()
        .split('\n')
        .filter((l) => /\bwarn/i.test(l))
        .join('\n')}`,
    });
  });

  test('resources/read goes to the first server in config order', async () => {
    const before = { zulu: readLines(logs.zulu).length, alpha: readLines(logs.alpha).length };
    const r = await client.readResource({ uri: DOC });
    assert.equal(r.contents[0].uri, DOC);
    assert.ok(r.contents[0].text.length > 0);
    await waitFor(() => readLines(logs.zulu).length > before.zulu, { what: 'the read in zulu’s log' });
    assert.equal(readLines(logs.alpha).length, before.alpha, `alpha served it: ${readLines(logs.alpha).slice(-1)}`);
  });
});

describe('"namespaceResources": true on the second server', () => {
  const dir = makeTempDir('mcproxy-res-ns-');
  const logs = { everything: path.join(dir, 'everything.log'), everything2: path.join(dir, 'everything2.log') };
  const PREFIXED_DOC = `everything2+${DOC}`;
  let proxy;
  let rc;

  before(async () => {
    proxy = await startProxy({
      mcpServers: { everything: everything(), everything2: { ...everything(), namespaceResources: true } },
      httpServer: {
        middleware: {
          client: {
            servers: {
              everything: [{ type: 'logging', config: { file: logs.everything, payloads: true } }],
              everything2: [{ type: 'logging', config: { file: logs.everything2, payloads: true } }],
            },
          },
        },
      },
    });
    rc = await connectRecordingClient(proxy.url, { tag: 'namespaced' });
  });

  after(async () => {
    await rc?.client.transport?.terminateSession?.().catch(() => {});
    await rc?.client.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('its resources and templates are listed under "everything2+", the first server’s unchanged', async () => {
    const uris = (await listAll(rc.client, 'resources')).map((r) => r.uri);
    assert.ok(uris.includes(PREFIXED_DOC), `${PREFIXED_DOC} not listed: ${uris.join(', ')}`);
    assert.equal(uris.filter((u) => u === DOC).length, 1, `${DOC} must be listed once (everything's): ${uris.join(', ')}`);
    const docs = uris.filter((u) => u.startsWith(DOC_PREFIX)).length;
    assert.equal(uris.filter((u) => u.startsWith(`everything2+${DOC_PREFIX}`)).length, docs, uris.join(', '));
    const templates = await templatesOf(rc.client);
    for (const t of [TEXT_TEMPLATE, BLOB_TEMPLATE]) {
      assert.ok(templates.includes(t), `${t} missing: ${templates}`);
      assert.ok(templates.includes(`everything2+${t}`), `everything2+${t} missing: ${templates}`);
    }
  });

  test('reading a prefixed URI reaches everything2 with the original URI', async () => {
    const before = readLines(logs.everything).length;
    const r = await rc.client.readResource({ uri: PREFIXED_DOC });
    const plain = await rc.client.readResource({ uri: DOC });
    assert.equal(r.contents[0].text, plain.contents[0].text, 'the same document, from the other server');
    const served = await waitFor(() => readLines(logs.everything2).at(-1), { what: 'a read in everything2’s log' });
    assert.ok(served.includes(DOC) && !served.includes('everything2+'), `everything2 got: ${served}`);
    // The plain read went to everything, the prefixed one did not. (The traffic log is flushed
    // once a second: wait for the plain read's line first.)
    await waitFor(() => readLines(logs.everything).length >= before + 1, { what: 'the plain read in everything’s log' });
    assert.equal(readLines(logs.everything).length, before + 1, readLines(logs.everything).slice(before).join('\n'));
  });

  test('a prefixed URI of a template reaches everything2', async () => {
    const r = await rc.client.readResource({ uri: 'everything2+demo://resource/dynamic/text/5' });
    assert.match(r.contents[0].text, /^Resource 5: This is a plaintext resource/, JSON.stringify(r));
    // The traffic log is flushed once a second: wait for the line of this read.
    const served = await waitFor(
      () => readLines(logs.everything2).find((l) => l.includes('resources/read') && l.includes('dynamic/text/5')),
      { what: 'the read in everything2’s log' },
    );
    assert.ok(!served.includes('everything2+'), served);
  });

  test('its resources/updated come back with the prefixed URI', { timeout: 30_000 }, async () => {
    await rc.client.subscribeResource({ uri: PREFIXED_DOC });
    const on = await rc.client.callTool({ name: 'everything2__toggle-subscriber-updates', arguments: {} });
    assert.match(textOf(on), /Started simulated resource updated/);
    try {
      await waitFor(() => rc.seen.updated.includes(PREFIXED_DOC), {
        timeoutMs: 7000,
        what: `resources/updated for ${PREFIXED_DOC} (got ${JSON.stringify(rc.seen.updated)})`,
      });
      assert.ok(!rc.seen.updated.includes(DOC), `an update came with the original URI: ${rc.seen.updated}`);
    } finally {
      await rc.client.callTool({ name: 'everything2__toggle-subscriber-updates', arguments: {} });
      await rc.client.unsubscribeResource({ uri: PREFIXED_DOC }).catch(() => {});
    }
  });
});
