// Middleware through MCProxy, against the real reference servers, seen by the official
// TypeScript SDK client: tool_filter, security, rename, logging (client middleware, one chain
// per backend), description_enricher and tool_search (proxy middleware, one per proxy), the
// onion order of a chain, and invalid middleware configs refused before anything starts.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/middleware.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { textOf, waitFor } from './support/forwarding.mjs';
import {
  escapeRegex,
  fileLines,
  makeTempDir,
  mcpErrorOf,
  middlewareConfig,
  searchHits,
} from './support/middleware.mjs';
import { connectClient, listAll, serverPaths, startProxy } from './support/proxy.mjs';

const WRITE_TOOLS = ['write_file', 'edit_file', 'create_directory', 'move_file'];
const FS_READ_TOOLS = [
  'filesystem__read_text_file',
  'filesystem__read_file',
  'filesystem__read_multiple_files',
  'filesystem__read_media_file',
];

/** The first 8 characters of the client's Mcp-Session-Id: how the proxy labels a session. */
const sessionLabel = (client) => client.transport.sessionId.slice(0, 8);

describe('tool_filter on filesystem hides write tools for real', () => {
  const dir = makeTempDir('mcproxy-mw-filter-');
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(
      middlewareConfig(
        dir,
        { client: { servers: { filesystem: [{ type: 'tool_filter', config: { tools: { block: WRITE_TOOLS } } }] } } },
        { servers: ['everything', 'filesystem'] },
      ),
    );
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('blocked tools are absent from tools/list, the others are there', async () => {
    const names = (await listAll(client, 'tools')).map((t) => t.name);
    for (const t of WRITE_TOOLS) assert.ok(!names.includes(`filesystem__${t}`), `filesystem__${t} listed`);
    for (const t of ['filesystem__read_text_file', 'filesystem__list_directory', 'everything__echo'])
      assert.ok(names.includes(t), `${t} missing`);
  });

  test('calling a blocked tool is refused exactly like a tool that never existed; nothing is written', async () => {
    const target = path.join(dir, 'should-not-exist.txt');
    const blocked = await mcpErrorOf(
      client.callTool({ name: 'filesystem__write_file', arguments: { path: target, content: 'x' } }),
      ErrorCode.InvalidParams,
    );
    const unknown = await mcpErrorOf(
      client.callTool({ name: 'filesystem__no_such_tool', arguments: { path: target, content: 'x' } }),
      ErrorCode.InvalidParams,
    );
    assert.equal(
      blocked.message.replaceAll('filesystem__write_file', '<NAME>'),
      unknown.message.replaceAll('filesystem__no_such_tool', '<NAME>'),
    );
    assert.deepEqual(blocked.data, unknown.data);
    assert.ok(!fs.existsSync(target), 'the blocked write_file reached the server');

    // Other blocked tools too.
    await mcpErrorOf(
      client.callTool({ name: 'filesystem__create_directory', arguments: { path: path.join(dir, 'newdir') } }),
      ErrorCode.InvalidParams,
    );
    assert.ok(!fs.existsSync(path.join(dir, 'newdir')));
  });

  test('read tools still work', async () => {
    const file = path.join(dir, 'readable.txt');
    fs.writeFileSync(file, 'readable through the filter');
    const r = await client.callTool({ name: 'filesystem__read_text_file', arguments: { path: file } });
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal(textOf(r), 'readable through the filter');
  });
});

describe('security rules on filesystem', () => {
  const dir = makeTempDir('mcproxy-mw-sec-');
  const outside = makeTempDir('mcproxy-mw-outside-');
  let proxy;
  let client;

  before(async () => {
    const security = {
      type: 'security',
      config: {
        preset: 'default',
        rules: [
          {
            name: 'data-only',
            tools: 'read_*',
            arguments: { path: `^${escapeRegex(dir)}/` },
            negate: true,
            message: 'only files in the data directory may be read',
          },
        ],
      },
    };
    proxy = await startProxy(
      middlewareConfig(dir, { client: { servers: { filesystem: [security] } } }, { servers: ['filesystem'] }),
    );
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('a file outside the allowed prefix is blocked with -32602 naming the rule', async () => {
    const secret = path.join(outside, 'secret.txt');
    fs.writeFileSync(secret, 'top secret');
    const err = await mcpErrorOf(
      client.callTool({ name: 'filesystem__read_text_file', arguments: { path: secret } }),
      ErrorCode.InvalidParams,
    );
    assert.match(err.message, /data-only/);
    assert.match(err.message, /only files in the data directory may be read/);
    assert.doesNotMatch(err.message, /top secret/);
  });

  test('a file inside the allowed prefix passes and its content comes back', async () => {
    const file = path.join(dir, 'inside.txt');
    fs.writeFileSync(file, 'inside content');
    const r = await client.callTool({ name: 'filesystem__read_text_file', arguments: { path: file } });
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal(textOf(r), 'inside content');
  });

  test('preset "default" blocks a ../ path (even one that stays under the allowed prefix)', async () => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'inside.txt'), 'inside content');
    const err = await mcpErrorOf(
      client.callTool({
        name: 'filesystem__read_text_file',
        arguments: { path: `${dir}/sub/../inside.txt` },
      }),
      ErrorCode.InvalidParams,
    );
    assert.match(err.message, /traversal/i);
    assert.doesNotMatch(err.message, /data-only/);
  });

  test('tools the rule does not cover are untouched', async () => {
    const r = await client.callTool({ name: 'filesystem__list_allowed_directories', arguments: {} });
    assert.notEqual(r.isError, true, textOf(r));
    assert.ok(textOf(r).includes(dir), textOf(r));
  });
});

describe('rename on everything', () => {
  const dir = makeTempDir('mcproxy-mw-rename-');
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(
      middlewareConfig(
        dir,
        { client: { servers: { everything: [{ type: 'rename', config: { tools: { echo: 'say' } } }] } } },
        { servers: ['everything'] },
      ),
    );
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('tools/list shows `say`, neither everything__echo nor everything__say', async () => {
    const names = (await listAll(client, 'tools')).map((t) => t.name);
    assert.ok(names.includes('say'), `say missing: ${names}`);
    assert.ok(!names.includes('everything__echo'), 'everything__echo still listed');
    assert.ok(!names.includes('everything__say'), 'everything__say listed');
    assert.ok(names.includes('everything__get-sum'), 'other tools keep their prefixed names');
  });

  test('calling `say` reaches echo', async () => {
    const r = await client.callTool({ name: 'say', arguments: { message: 'renamed hello' } });
    assert.notEqual(r.isError, true, textOf(r));
    assert.match(textOf(r), /renamed hello/);
  });

  test('the old name everything__echo is unknown (-32602)', async () => {
    await mcpErrorOf(
      client.callTool({ name: 'everything__echo', arguments: { message: 'x' } }),
      ErrorCode.InvalidParams,
    );
  });
});

describe('description_enricher at proxy level', () => {
  const dir = makeTempDir('mcproxy-mw-enrich-');
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(
      middlewareConfig(
        dir,
        { proxy: [{ type: 'description_enricher', config: { prefix: '[{server}] ' } }] },
        { servers: ['everything', 'filesystem'] },
      ),
    );
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every description starts with its server, exactly once, and listing again does not accumulate', async () => {
    const lists = [];
    for (let i = 0; i < 3; ++i) lists.push(await listAll(client, 'tools'));
    const tools = lists[0];
    assert.ok(tools.length > 10);
    for (const server of ['everything', 'filesystem'])
      assert.ok(tools.some((t) => t.name.startsWith(`${server}__`)), `no ${server} tools`);
    for (const t of tools) {
      const server = t.name.split('__')[0];
      const prefix = `[${server}] `;
      assert.equal(typeof t.description, 'string', t.name);
      assert.ok(t.description.startsWith(prefix), `${t.name}: ${JSON.stringify(t.description)}`);
      assert.ok(!t.description.slice(prefix.length).startsWith(prefix), `${t.name}: prefixed twice`);
      assert.equal(t.description.split(prefix).length - 1, 1, `${t.name}: ${t.description}`);
    }
    const descriptions = (list) => list.map((t) => [t.name, t.description]);
    assert.deepEqual(descriptions(lists[1]), descriptions(lists[0]));
    assert.deepEqual(descriptions(lists[2]), descriptions(lists[0]));
  });
});

describe('tool_search at proxy level', () => {
  const dir = makeTempDir('mcproxy-mw-search-');
  const servers = { servers: ['everything', 'filesystem', 'memory'] };

  describe('maxTools 0: every tool plus search_tools', () => {
    let proxy;
    let client;

    before(async () => {
      proxy = await startProxy(middlewareConfig(dir, { proxy: [{ type: 'tool_search' }] }, servers));
      client = await connectClient(proxy.url);
    });

    after(async () => {
      await client?.close().catch(() => {});
      await proxy?.stop();
    });

    test('search_tools is listed with the full catalogue', async () => {
      const names = (await listAll(client, 'tools')).map((t) => t.name);
      assert.ok(names.includes('search_tools'));
      assert.ok(names.includes('everything__echo'));
      assert.ok(names.includes('filesystem__read_text_file'));
      assert.ok(names.includes('memory__create_entities'));
    });

    test('"read a file" ranks filesystem read tools first, with their input schemas', async () => {
      const r = await client.callTool({ name: 'search_tools', arguments: { query: 'read a file' } });
      assert.notEqual(r.isError, true, textOf(r));
      const hits = searchHits(r);
      assert.ok(hits.length > 0, 'no hits');
      const names = hits.map((h) => h.name);
      assert.ok(FS_READ_TOOLS.includes(names[0]), `top hit is ${names[0]} (all: ${names})`);
      assert.ok(
        names.slice(0, 2).every((n) => FS_READ_TOOLS.includes(n)),
        `first two hits are not filesystem read tools: ${names}`,
      );
      for (const h of hits) {
        assert.equal(typeof h.inputSchema, 'object', `${h.name} lacks inputSchema`);
        assert.equal(h.inputSchema.type, 'object', h.name);
      }
      const top = hits[0];
      assert.ok(top.inputSchema.properties && Object.keys(top.inputSchema.properties).length > 0);
    });
  });

  describe('maxTools 3: searches grow only the searching session’s list', () => {
    let proxy;
    let a;
    let b;
    const changed = { a: 0, b: 0 };

    before(async () => {
      proxy = await startProxy(
        middlewareConfig(dir, { proxy: [{ type: 'tool_search', config: { maxTools: 3 } }] }, servers),
      );
      a = await connectClient(proxy.url, { name: 'client-a' });
      b = await connectClient(proxy.url, { name: 'client-b' });
      a.setNotificationHandler(ToolListChangedNotificationSchema, () => void ++changed.a);
      b.setNotificationHandler(ToolListChangedNotificationSchema, () => void ++changed.b);
    });

    after(async () => {
      await a?.close().catch(() => {});
      await b?.close().catch(() => {});
      await proxy?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('both lists: 3 tools + search_tools; a search notifies A alone and grows A’s list alone', async () => {
      const initialA = (await listAll(a, 'tools')).map((t) => t.name);
      const initialB = (await listAll(b, 'tools')).map((t) => t.name);
      assert.equal(initialA.length, 4, `A: ${initialA}`);
      assert.ok(initialA.includes('search_tools'));
      assert.deepEqual(initialB, initialA);

      const r = await a.callTool({ name: 'search_tools', arguments: { query: 'read a file' } });
      assert.notEqual(r.isError, true, textOf(r));
      const found = searchHits(r).map((h) => h.name);
      assert.ok(FS_READ_TOOLS.includes(found[0]), `top hit ${found[0]}`);
      const newlyFound = found.filter((n) => !initialA.includes(n));
      assert.ok(newlyFound.length > 0, 'the search found nothing that was not listed already');

      await waitFor(() => changed.a > 0, { what: 'notifications/tools/list_changed at A' });
      const afterA = (await listAll(a, 'tools')).map((t) => t.name);
      for (const n of found) assert.ok(afterA.includes(n), `${n} not in A's list after the search: ${afterA}`);
      for (const n of initialA) assert.ok(afterA.includes(n), `${n} dropped from A's list`);

      await sleep(300); // a stray list_changed for B would have arrived by now
      assert.equal(changed.b, 0, 'B got tools/list_changed for A’s search');
      const afterB = (await listAll(b, 'tools')).map((t) => t.name);
      assert.deepEqual(afterB, initialB);
    });

    test('a found tool is callable at once', async () => {
      const file = path.join(dir, 'found.txt');
      fs.writeFileSync(file, 'found by search');
      const r = await a.callTool({ name: 'filesystem__read_text_file', arguments: { path: file } });
      assert.notEqual(r.isError, true, textOf(r));
      assert.equal(textOf(r), 'found by search');
    });
  });
});

describe('logging client middleware', () => {
  const dir = makeTempDir('mcproxy-mw-log-');
  const message = 'L'.repeat(500);

  describe('text format with payloads cut at 64 bytes', () => {
    const logFile = path.join(dir, 'traffic.log');
    let proxy;
    let client;

    before(async () => {
      proxy = await startProxy(
        middlewareConfig(
          dir,
          {
            client: {
              default: [{ type: 'logging', config: { file: logFile, payloads: true, maxPayloadBytes: 64 } }],
            },
          },
          { servers: ['everything'] },
        ),
      );
      client = await connectClient(proxy.url);
    });

    after(async () => {
      await client?.close().catch(() => {});
      await proxy?.stop();
    });

    test('a tools/call is logged with session and req#, its payload cut', async () => {
      const r = await client.callTool({ name: 'everything__echo', arguments: { message } });
      assert.match(textOf(r), new RegExp(message)); // the client still gets everything
      const label = sessionLabel(client);
      const calls = await waitFor(
        () => {
          const lines = fileLines(logFile).filter((l) => l.includes('tools/call'));
          return lines.length >= 2 ? lines : null;
        },
        { what: `two tools/call lines in ${logFile}` },
      );
      for (const line of calls) {
        assert.ok(line.includes(label), `session ${label} not in: ${line}`);
        assert.match(line, /req#\d+/);
        assert.ok(line.length < 400, `line not cut: ${line.length} chars`);
      }
      assert.ok(calls.some((l) => l.includes('request')), calls.join('\n'));
      assert.ok(calls.some((l) => /\bok\b/.test(l)), calls.join('\n'));
      const whole = fs.readFileSync(logFile, 'utf8');
      assert.ok(!whole.includes(message), 'the 500-character message appears whole in the log');
      assert.ok(whole.includes('LLLL'), 'the payload (its start) is not logged at all');
    });
  });

  describe('json format', () => {
    const logFile = path.join(dir, 'traffic.jsonl');
    let proxy;
    let client;

    before(async () => {
      proxy = await startProxy(
        middlewareConfig(
          dir,
          {
            client: {
              default: [
                { type: 'logging', config: { file: logFile, payloads: true, maxPayloadBytes: 64, format: 'json' } },
              ],
            },
          },
          { servers: ['everything'] },
        ),
      );
      client = await connectClient(proxy.url);
    });

    after(async () => {
      await client?.close().catch(() => {});
      await proxy?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('one JSON object per line', async () => {
      await client.callTool({ name: 'everything__echo', arguments: { message } });
      const label = sessionLabel(client);
      const entries = await waitFor(
        () => {
          const parsed = fileLines(logFile).map((l) => {
            const v = JSON.parse(l);
            assert.equal(typeof v, 'object', l);
            assert.ok(v !== null && !Array.isArray(v), l);
            return v;
          });
          return parsed.filter((e) => e.method === 'tools/call').length >= 2 ? parsed : null;
        },
        { what: `two tools/call entries in ${logFile}` },
      );
      const calls = entries.filter((e) => e.method === 'tools/call');
      for (const e of calls) {
        assert.equal(e.session, label);
        assert.equal(e.server, 'everything');
        assert.ok(!JSON.stringify(e).includes(message), 'payload not cut');
      }
    });
  });
});

describe('invalid middleware configs are refused before anything starts', () => {
  const bin = process.env.MCPROXY_BIN;
  const tmp = makeTempDir('mcproxy-mw-cfg-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function runWith(name, middleware) {
    const file = path.join(tmp, name);
    const config = {
      mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
      httpServer: { middleware },
    };
    fs.writeFileSync(file, JSON.stringify(config));
    return spawnSync(bin, ['--config', file, '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
  }

  test('an unknown type: exit 2, its JSON path, the known types', () => {
    const r = runWith('unknown.json', { proxy: [{ type: 'no_such_middleware' }] });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /httpServer\.middleware\.proxy\[0\]\.type/);
    assert.match(r.stderr, /no_such_middleware/);
    assert.match(r.stderr, /description_enricher/);
    assert.match(r.stderr, /tool_search/);
    assert.doesNotMatch(r.stderr, /listening/);
  });

  test('an invalid regex in tool_filter: exit 2, its JSON path', () => {
    const r = runWith('regex.json', {
      client: { default: [{ type: 'tool_filter', config: { tools: { block: ['echo', 're:('] } } }] },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /httpServer\.middleware\.client\.default\[0\]\.config\.tools\.block\[1\]/);
    assert.match(r.stderr, /re:\(/);
    assert.doesNotMatch(r.stderr, /listening/);
  });

  test('a disabled entry with a bad config is still an error', () => {
    const r = runWith('disabled.json', {
      client: {
        servers: {
          everything: [{ type: 'tool_filter', enabled: false, config: { tools: { block: ['re:('] } } }],
        },
      },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /httpServer\.middleware\.client\.servers\.everything\[0\]\.config\.tools\.block\[0\]/);

    const unknown = runWith('disabled-unknown.json', { proxy: [{ type: 'no_such_middleware', enabled: false }] });
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /httpServer\.middleware\.proxy\[0\]\.type/);
  });
});

describe('the onion: the first middleware in a list is the outermost', () => {
  const dir = makeTempDir('mcproxy-mw-onion-');
  const outerLog = path.join(dir, 'outer.log'); // logging before security
  const innerLog = path.join(dir, 'inner.log'); // logging after security
  const noEcho = {
    type: 'security',
    config: { rules: [{ name: 'no-echo', tools: 'echo', arguments: '.*', message: 'echo is off' }] },
  };
  let proxy;
  let client;

  before(async () => {
    const { everything } = serverPaths();
    const config = middlewareConfig(
      dir,
      {
        client: {
          servers: {
            everything: [{ type: 'logging', config: { file: outerLog, payloads: true } }, noEcho],
            second: [noEcho, { type: 'logging', config: { file: innerLog, payloads: true } }],
          },
        },
      },
      { servers: ['everything'] },
    );
    config.mcpServers.second = { command: process.execPath, args: [everything] };
    proxy = await startProxy(config);
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('[logging, security]: the blocked call is logged, request and -32602 outcome', async () => {
    const names = (await listAll(client, 'tools')).map((t) => t.name);
    assert.ok(names.includes('everything__echo'), 'security must not hide the tool');
    const err = await mcpErrorOf(
      client.callTool({ name: 'everything__echo', arguments: { message: 'onion' } }),
      ErrorCode.InvalidParams,
    );
    assert.match(err.message, /no-echo/);
    const label = sessionLabel(client);
    const calls = await waitFor(
      () => {
        const lines = fileLines(outerLog).filter((l) => l.includes('tools/call'));
        return lines.length >= 2 ? lines : null;
      },
      { what: `two tools/call lines in ${outerLog}` },
    );
    const request = calls.find((l) => l.includes('request'));
    const outcome = calls.find((l) => l.includes('-32602'));
    assert.ok(request, calls.join('\n'));
    assert.ok(request.includes(label) && request.includes('echo'), request);
    assert.ok(outcome, `no -32602 outcome logged:\n${calls.join('\n')}`);
    assert.match(outcome, /error/);
    assert.match(outcome, /no-echo/);
    // Same correlation id on both lines.
    assert.equal(/req#(\d+)/.exec(request)[1], /req#(\d+)/.exec(outcome)[1]);

    // Allowed calls still pass and are logged as ok.
    const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } });
    assert.match(textOf(sum), /\b3\b/);
  });

  test('[security, logging]: the blocked call never reaches the inner logging', async () => {
    await mcpErrorOf(
      client.callTool({ name: 'second__echo', arguments: { message: 'onion' } }),
      ErrorCode.InvalidParams,
    );
    const ok = await client.callTool({ name: 'second__get-sum', arguments: { a: 2, b: 2 } });
    assert.match(textOf(ok), /\b4\b/);
    const calls = await waitFor(
      () => {
        const lines = fileLines(innerLog).filter((l) => l.includes('tools/call'));
        return lines.length >= 2 ? lines : null;
      },
      { what: `the get-sum call in ${innerLog}` },
    );
    assert.ok(calls.every((l) => !l.includes('"echo"') && !l.includes('-32602')), calls.join('\n'));
    assert.ok(calls.some((l) => l.includes('get-sum')), calls.join('\n'));
  });
});

describe('a security rule with `tools` but no `arguments`', () => {
  // Either it covers every call to those tools, or the config is refused; a rule that is
  // accepted and silently never fires would be a hole.
  const dir = makeTempDir('mcproxy-mw-noargs-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is never accepted as a silent no-op', async () => {
    const config = middlewareConfig(
      dir,
      {
        client: {
          servers: {
            everything: [{ type: 'security', config: { rules: [{ name: 'no-echo', tools: 'echo' }] } }],
          },
        },
      },
      { servers: ['everything'] },
    );
    let proxy;
    try {
      proxy = await startProxy(config);
    } catch (err) {
      // Refused: fine if it is a configuration error naming the rule.
      assert.match(err.message, /exited \(code 2/, err.message);
      assert.match(err.message, /httpServer\.middleware\.client\.servers\.everything\[0\]\.config\.rules\[0\]/);
      return;
    }
    const client = await connectClient(proxy.url);
    try {
      const err = await mcpErrorOf(
        client.callTool({ name: 'everything__echo', arguments: { message: 'should be blocked' } }),
        ErrorCode.InvalidParams,
      );
      assert.match(err.message, /no-echo/);
    } finally {
      await client.close().catch(() => {});
      await proxy.stop();
    }
  });
});
