// Aggregation through MCProxy, seen by the official TypeScript SDK client:
// the proxied catalogue is exactly the union of the three reference servers' own catalogues
// (tools and prompts prefixed `<server>__`, resource URIs unchanged), and calls are routed.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/aggregate.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import {
  connectClient,
  connectStdio,
  directServerParams,
  listAll,
  startProxy,
  threeServerConfig,
} from './support/proxy.mjs';

// server-everything registers these only when the *client* declared roots / sampling /
// elicitation (or tasks) in initialize. The direct reference client below declares nothing, so
// they are absent from the reference list; a proxy that initializes its upstream sessions with
// capabilities of its own may legitimately show them. Anything else extra is a bug.
const CAPABILITY_GATED_EVERYTHING_TOOLS = new Set([
  'get-roots-list',
  'trigger-sampling-request',
  'trigger-elicitation-request',
  'trigger-url-elicitation',
  'trigger-sampling-request-async',
  'trigger-elicitation-request-async',
]);

const textOf = (result) =>
  result.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

const sorted = (iterable) => [...iterable].sort();

describe('aggregation of everything + filesystem + memory', () => {
  // realpath: server-filesystem compares resolved paths, and os.tmpdir() may be a symlink.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-aggregate-')));
  /** name → {tools, prompts, resources} as listed by a direct stdio connection. */
  const reference = {};
  let proxy;
  let client;

  before(async () => {
    // Reference catalogues, straight from each server over stdio (no proxy involved).
    // The direct memory server gets its own file so it does not touch the proxied one.
    const params = directServerParams(path.join(dir, 'direct'));
    fs.mkdirSync(path.join(dir, 'direct'));
    for (const [name, p] of Object.entries(params)) {
      const c = await connectStdio(p);
      try {
        const caps = c.getServerCapabilities() ?? {};
        // filesystem declares neither prompts nor resources, memory no prompts:
        // asking anyway answers -32601, so only list what is declared.
        reference[name] = {
          tools: caps.tools ? await listAll(c, 'tools') : [],
          prompts: caps.prompts ? await listAll(c, 'prompts') : [],
          resources: caps.resources ? await listAll(c, 'resources') : [],
        };
      } finally {
        await c.close();
      }
    }

    proxy = await startProxy(threeServerConfig(dir));
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('reference servers answered (sanity of the reference data)', () => {
    assert.ok(reference.everything.tools.some((t) => t.name === 'echo'));
    assert.ok(reference.filesystem.tools.some((t) => t.name === 'read_text_file'));
    assert.ok(reference.memory.tools.some((t) => t.name === 'create_entities'));
    assert.ok(reference.everything.prompts.some((p) => p.name === 'args-prompt'));
    assert.ok(reference.everything.resources.length > 0);
  });

  test('tools/list is exactly the prefixed union of the backends’ tools', async () => {
    const expected = new Set();
    for (const [server, ref] of Object.entries(reference)) {
      for (const t of ref.tools) expected.add(`${server}__${t.name}`);
    }
    const proxied = (await listAll(client, 'tools')).map((t) => t.name);
    assert.equal(new Set(proxied).size, proxied.length, `duplicate tool names: ${proxied}`);

    const missing = sorted([...expected].filter((n) => !proxied.includes(n)));
    const extra = proxied.filter((n) => !expected.has(n));
    const unexplained = sorted(
      extra.filter(
        (n) =>
          !(n.startsWith('everything__') &&
            CAPABILITY_GATED_EVERYTHING_TOOLS.has(n.slice('everything__'.length))),
      ),
    );
    assert.deepEqual(missing, [], 'tools missing from the proxied list');
    assert.deepEqual(unexplained, [], 'unexpected tools in the proxied list');
    for (const n of ['everything__echo', 'filesystem__read_text_file', 'memory__create_entities']) {
      assert.ok(proxied.includes(n), n);
    }
  });

  test('proxied tools keep their schemas', async () => {
    const proxied = await listAll(client, 'tools');
    const echo = proxied.find((t) => t.name === 'everything__echo');
    const ref = reference.everything.tools.find((t) => t.name === 'echo');
    assert.deepEqual(echo.inputSchema, ref.inputSchema);
    assert.equal(echo.description, ref.description);
  });

  test('prompts/list is exactly the prefixed union of the backends’ prompts', async () => {
    const expected = [];
    for (const [server, ref] of Object.entries(reference)) {
      for (const p of ref.prompts) expected.push(`${server}__${p.name}`);
    }
    const proxied = (await listAll(client, 'prompts')).map((p) => p.name);
    assert.deepEqual(sorted(proxied), sorted(expected));
    assert.ok(proxied.includes('everything__simple-prompt'));
  });

  test('resources/list has exactly the backends’ resource URIs, unprefixed', async () => {
    const expected = [];
    for (const ref of Object.values(reference)) {
      for (const r of ref.resources) expected.push(r.uri);
    }
    const proxied = await listAll(client, 'resources');
    assert.deepEqual(sorted(proxied.map((r) => r.uri)), sorted(expected));
    // Names may be prefixed by the proxy, but must still be there.
    for (const r of proxied) assert.ok(typeof r.name === 'string' && r.name.length > 0, r.uri);
  });

  test('everything__echo and everything__get-sum are routed to server-everything', async () => {
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'hello proxy' } });
    assert.notEqual(echo.isError, true);
    assert.match(textOf(echo), /hello proxy/);

    const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } });
    assert.notEqual(sum.isError, true);
    assert.match(textOf(sum), /\b5\b/); // "The sum of 2 and 3 is 5."
  });

  test('filesystem__read_text_file reads a file the test wrote', async () => {
    const file = path.join(dir, 'greeting.txt');
    const content = `written by the interop test ${process.pid} ${Date.now()}`;
    fs.writeFileSync(file, content);
    const result = await client.callTool({ name: 'filesystem__read_text_file', arguments: { path: file } });
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal(textOf(result), content);
  });

  test('memory__create_entities then memory__read_graph returns the entity', async () => {
    const entity = { name: `proxy-entity-${process.pid}`, entityType: 'test', observations: ['created through MCProxy'] };
    const created = await client.callTool({ name: 'memory__create_entities', arguments: { entities: [entity] } });
    assert.notEqual(created.isError, true, textOf(created));

    const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    assert.notEqual(graph.isError, true, textOf(graph));
    // The text content is the graph as pretty-printed JSON (structuredContent carries the same).
    const parsed = JSON.parse(textOf(graph));
    const found = parsed.entities.find((e) => e.name === entity.name);
    assert.ok(found, `entity not in graph: ${textOf(graph)}`);
    assert.deepEqual(found.observations, entity.observations);
    // And it went to the file configured through the proxy's env, not into node_modules.
    assert.match(fs.readFileSync(path.join(dir, 'memory.jsonl'), 'utf8'), new RegExp(entity.name));
  });

  test('prompts/get is routed: simple-prompt and args-prompt', async () => {
    const simple = await client.getPrompt({ name: 'everything__simple-prompt' });
    assert.ok(simple.messages.length >= 1);

    // args-prompt takes `city` (required) and `state` (optional) in the reference listing.
    const argsPrompt = reference.everything.prompts.find((p) => p.name === 'args-prompt');
    const required = (argsPrompt.arguments ?? []).filter((a) => a.required).map((a) => a.name);
    assert.deepEqual(required, ['city']);
    const withArgs = await client.getPrompt({
      name: 'everything__args-prompt',
      arguments: { city: 'Reykjavik', state: 'Capital Region' },
    });
    assert.ok(withArgs.messages.length >= 1);
    const text = withArgs.messages.map((m) => m.content?.text ?? '').join('\n');
    assert.match(text, /Reykjavik/);
  });

  test('resources/read is routed by URI', async () => {
    const listed = await listAll(client, 'resources');
    const doc = listed.find((r) => r.uri.startsWith('demo://resource/static/document/'));
    assert.ok(doc, 'no demo://resource/static/document/ resource listed through the proxy');
    const read = await client.readResource({ uri: doc.uri });
    assert.ok(read.contents.length >= 1);
    assert.equal(read.contents[0].uri, doc.uri);
    assert.ok((read.contents[0].text ?? read.contents[0].blob ?? '').length > 0);
  });

  test('unknown tool → -32602, and the session keeps working', async () => {
    // Quirk: server-everything itself answers an unknown tool with a *result* carrying
    // isError: true ("MCP error -32602: Tool nope not found"). `nope__nothing` names no
    // backend, so the proxy answers on its own, with a JSON-RPC error (DESIGN.md §5).
    await assert.rejects(
      client.callTool({ name: 'nope__nothing', arguments: {} }),
      (err) => {
        assert.ok(err instanceof McpError, `not an McpError: ${err}`);
        assert.equal(err.code, ErrorCode.InvalidParams);
        return true;
      },
    );
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    assert.match(textOf(echo), /still here/);
  });
});
