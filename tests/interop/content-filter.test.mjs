// content_filter through the proxy, against the real reference servers and the official SDK
// client: at proxy level on every result (server-everything's echo gives back what it is sent,
// so PII in the message comes back through the filter), and at client level for the filesystem
// server only (a file with an IBAN, ANSI colours and more text than the budget).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { connectClient, serverPaths, startProxy } from './support/proxy.mjs';

let dir;
let proxy;
let client;
const MAX_BYTES = 2000;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-filter-'));
  const body = `Statement for account GB82 WEST 1234 5698 7654 32\n\x1b[31mOVERDUE\x1b[0m\x07\n${'x'.repeat(5000)}\nEND`;
  fs.writeFileSync(path.join(dir, 'statement.txt'), body);
  const p = serverPaths();
  proxy = await startProxy({
    mcpServers: {
      everything: { command: process.execPath, args: [p.everything] },
      filesystem: { command: process.execPath, args: [p.filesystem, dir] },
    },
    httpServer: {
      middleware: {
        proxy: [{ type: 'content_filter', config: {
          redact: ['email', 'credit-card', 'phone'],
          rules: [{ name: 'tickets', pattern: 'ticket-([0-9]+)', replace: 'T#\\1' }],
        } }],
        client: { servers: { filesystem: [{ type: 'content_filter', config: { maxBytes: MAX_BYTES } }] } },
      },
    },
  }, { extraArgs: ['--log-level', 'info'] });
  client = await connectClient(proxy.url);
});

after(async () => {
  await client?.close().catch(() => {});
  await proxy?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const text = (result) => result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

test('PII in a result is redacted at proxy level, look-alikes are not, a rule rewrites', async () => {
  const message = 'mail bob@example.com, card 4111 1111 1111 1111, call +1 415 555 0100, ' +
    'not a card 4111 1111 1111 1112, on 2026-12-02 about ticket-42';
  const out = text(await client.callTool({ name: 'everything__echo', arguments: { message } }));
  assert.match(out, /mail \[REDACTED:email\], card \[REDACTED:credit-card\], call \[REDACTED:phone\]/);
  assert.match(out, /not a card 4111 1111 1111 1112, on 2026-12-02 about T#42/);
  assert.ok(!out.includes('bob@example.com'));
  await proxy.waitForOutput(/content_filter: redacted 1 email, 1 credit-card, 1 phone, 1 by rule tickets in a tools\/call result/);
  const metrics = await (await fetch(new URL('/metrics', proxy.url))).text();
  assert.match(metrics, /^mcproxy_content_filter_redactions_total\{site="proxy",detector="email"\} 1$/m);
  assert.match(metrics, /^mcproxy_content_filter_redactions_total\{site="proxy",detector="credit-card"\} 1$/m);
  assert.match(metrics, /^mcproxy_content_filter_rule_replacements_total\{site="proxy",rule="tickets"\} 1$/m);
});

test('a client-level filter on one server: IBAN redacted, ANSI stripped, cut to its budget with a marker', async () => {
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const read = tools.includes('filesystem__read_text_file') ? 'filesystem__read_text_file' : 'filesystem__read_file';
  const out = text(await client.callTool({ name: read, arguments: { path: path.join(dir, 'statement.txt') } }));
  assert.match(out, /^Statement for account \[REDACTED:iban\]\nOVERDUE\n/);
  assert.ok(!/\x1b|\x07/.test(out), 'control characters are gone');
  assert.match(out, /\[MCProxy content_filter: \d+ of \d+ bytes cut \(maxBytes 2000\)\]$/);
  assert.ok(!out.includes('END'), 'the tail past the budget is cut');
  const metrics = await (await fetch(new URL('/metrics', proxy.url))).text();
  assert.match(metrics, /^mcproxy_content_filter_truncations_total\{site="filesystem"\} 1$/m);
  assert.match(metrics, /^mcproxy_content_filter_redactions_total\{site="filesystem",detector="iban"\} [12]$/m);  // in the text and in structuredContent
  assert.ok(Buffer.byteLength(out) <= MAX_BYTES + 100, `${Buffer.byteLength(out)} bytes`);
  // The same server's other results are filtered too; the other server's are not cut.
  const long = 'y'.repeat(4000);
  const echoed = text(await client.callTool({ name: 'everything__echo', arguments: { message: long } }));
  assert.ok(echoed.includes(long), 'the budget applies to the filesystem server only');
});

test('a bad content_filter config is refused at start with its JSON path', async () => {
  await assert.rejects(
    startProxy({
      mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
      httpServer: { middleware: { proxy: [{ type: 'content_filter', config: { redact: ['emails'] } }] } },
    }),
    /httpServer\.middleware\.proxy\[0\]\.config\.redact\[0\]: unknown detector "emails"/,
  );
});
