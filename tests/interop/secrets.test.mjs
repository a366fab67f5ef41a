// Secrets in backend URLs and arguments (issue 10, defect 9): a `${VAR}` in the password of a
// URL's user-info, in its query string, and in a stdio server's `args`, with the value taken
// from the environment or from a credentials file (`--credentials FILE`). The value must never
// show: not in /health, not in the proxy's log (stdout + stderr at --log-level debug), not in an
// error sent to a client (a backend made unreachable, so the error names it), not in
// `mcproxy check` nor in `mcproxy list`. URLs are still shown, with the secret parts redacted;
// the backends still work, and the real value is what goes on the wire (the recording server
// of support/remote.mjs sees the query; the stdio child's command line has the argument).
//
// Backends: the header recorder (support/remote.mjs) over Streamable HTTP, a URL where nothing
// listens, and server-everything over stdio with an extra argument it ignores
// (`dist/index.js stdio --token=…`: it reads only its first argument).
//
// The proxy does not turn a URL's user-info into an Authorization header (baseline), and
// nothing here asks it to: only the query string is checked on the wire.
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/secrets.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import { connectClient, serverPaths, startProxy } from './support/proxy.mjs';
import { backendOf, freePort, healthOf, startHeaderRecorder, waitForBackend } from './support/remote.mjs';
import { textOf, waitFor } from './support/forwarding.mjs';

const bin = process.env.MCPROXY_BIN;
const FAST_RECONNECT = { initialDelayMs: 200, maxDelayMs: 1000 };
const REDACTED = /\*\*\*|redacted/i;

const ENV_VAR = 'MCPROXY_INTEROP_SECRET';
const ENV_SECRET = `envS3cr3t${process.pid}x${crypto.randomBytes(6).toString('hex')}`;
const CRED_VAR = 'MCPROXY_INTEROP_CRED_SECRET';
const CRED_SECRET = `credS3cr3t${process.pid}x${crypto.randomBytes(6).toString('hex')}`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-secrets-'));
const credentialsFile = path.join(tmp, 'credentials.json');
fs.writeFileSync(credentialsFile, JSON.stringify({ [CRED_VAR]: CRED_SECRET }));
// No ~/.config/mcproxy/credentials.json of the machine, and neither variable unless given.
const baseEnv = { ...process.env, HOME: tmp };
delete baseEnv[ENV_VAR];
delete baseEnv[CRED_VAR];
const envWithSecret = { ...baseEnv, [ENV_VAR]: ENV_SECRET };

let recorder; // up for the whole file
let doomed; // a recorder closed by a test, so that calls to it fail
let deadPort; // nothing listens there

before(async () => {
  [recorder, doomed, deadPort] = await Promise.all([startHeaderRecorder(), startHeaderRecorder(), freePort()]);
});

after(async () => {
  await Promise.all([recorder?.close(), doomed?.close()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A URL with the variable in the user-info's password and in the query. */
const secretUrl = (port, variable) => `http://user:\${${variable}}@127.0.0.1:${port}/mcp?token=\${${variable}}`;

/** The config of this file, every secret taken from `variable`. */
function secretConfig(variable, { withDoomed = false } = {}) {
  const mcpServers = {
    remote: { url: secretUrl(recorder.port, variable), type: 'streamable-http', reconnect: FAST_RECONNECT },
    unreachable: { url: secretUrl(deadPort, variable), type: 'streamable-http', reconnect: FAST_RECONNECT },
    local: { command: process.execPath, args: [serverPaths().everything, 'stdio', `--token=\${${variable}}`] },
  };
  if (withDoomed)
    mcpServers.doomed = { url: secretUrl(doomed.port, variable), type: 'streamable-http', reconnect: FAST_RECONNECT };
  return { mcpServers };
}

/** Asserts `text` (named `where`) does not contain `secret`, showing the offending lines. */
function assertNoSecret(text, secret, where) {
  if (!text.includes(secret)) return;
  const lines = text.split('\n').filter((l) => l.includes(secret));
  assert.fail(`${where} shows the secret in ${lines.length} line(s), e.g.:\n${lines.slice(0, 5).join('\n')}`);
}

/** The command line of `pid` as an array of arguments. */
const argvOf = (pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

/** What `promise` rejected with (it must reject with an McpError). */
async function rejection(promise) {
  try {
    const r = await promise;
    assert.fail(`expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
  } catch (err) {
    if (err?.code === 'ERR_ASSERTION') throw err;
    assert.ok(err instanceof McpError, `not an McpError: ${err?.stack ?? err}`);
    return err;
  }
}

describe('secrets from the environment: backend URLs and args', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(secretConfig(ENV_VAR, { withDoomed: true }), { env: envWithSecret });
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
  });

  test('the backends work, with the real value on the wire', async () => {
    assert.equal(textOf(await client.callTool({ name: 'remote__whoami', arguments: {} })), 'recorded');
    const targets = recorder.requests.map((r) => r.url);
    assert.ok(targets.includes(`/mcp?token=${ENV_SECRET}`), `request targets seen by the recorder: ${targets}`);
    assert.equal(textOf(await client.callTool({ name: 'local__echo', arguments: { message: 'hi' } })), 'Echo: hi');
    const local = await waitForBackend(proxy, 'local', (b) => b.state === 'up' && b.pid > 0);
    assert.ok(argvOf(local.pid).includes(`--token=${ENV_SECRET}`), `argv of the stdio child: ${argvOf(local.pid)}`);
  });

  test('/health shows each URL with its secret parts redacted, and never the value', async () => {
    await waitForBackend(proxy, 'unreachable', (b) => b.lastError !== null);
    const health = await healthOf(proxy);
    assertNoSecret(JSON.stringify(health, null, 1), ENV_SECRET, '/health');
    for (const [name, port] of [['remote', recorder.port], ['unreachable', deadPort]]) {
      const b = backendOf(health, name);
      assert.ok(b.url.includes(`127.0.0.1:${port}/mcp`), `${name}: the URL is still shown: ${b.url}`);
      assert.match(b.url, REDACTED, `${name}: the URL says what was redacted: ${b.url}`);
    }
    assert.match(backendOf(health, 'unreachable').lastError, /unreachable|127\.0\.0\.1/, 'lastError still says what failed');
  });

  test('an error sent to a client names the backend, never the secret', { timeout: 20_000 }, async () => {
    assert.equal(textOf(await client.callTool({ name: 'doomed__whoami', arguments: {} })), 'recorded');
    await doomed.close(); // from now on, nothing listens on its port
    const err = await rejection(client.callTool({ name: 'doomed__whoami', arguments: {} }));
    assert.match(err.message, /doomed/, `the error names the backend: ${err.message}`);
    assertNoSecret(err.message, ENV_SECRET, 'the error sent to the client');
    assertNoSecret(JSON.stringify(err.data ?? null), ENV_SECRET, 'the error data sent to the client');
  });

  test('a stdio backend that dies under a call: the error names it, never its arguments', { timeout: 30_000 }, async () => {
    const local = await waitForBackend(proxy, 'local', (b) => b.state === 'up' && b.pid > 0);
    const call = client.callTool({
      name: 'local__trigger-long-running-operation',
      arguments: { duration: 20, steps: 20 },
    });
    const outcome = call.then(() => null, (e) => e);
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(local.pid, 'SIGKILL');
    const died = await outcome;
    assert.ok(died instanceof McpError, `the call under a killed backend: ${died}`);
    assert.notEqual(died.code, ErrorCode.RequestTimeout, died.message);
    assert.match(died.message, /local/, died.message);
    assertNoSecret(died.message, ENV_SECRET, 'the error sent to the client (stdio backend died)');
    await waitForBackend(proxy, 'local', (b) => b.state === 'up', { timeoutMs: 15_000 });
  });

  test('the log (stdout and stderr, --log-level debug) never shows the secret', async () => {
    const out = proxy.output();
    // The log did talk about these backends (so the check is not vacuous).
    for (const name of ['remote', 'unreachable', 'local', 'doomed']) assert.ok(out.includes(`[${name}]`), `no log line for ${name}`);
    assertNoSecret(out, ENV_SECRET, 'the proxy log');
  });
});

describe('secrets from a credentials file (--credentials)', () => {
  let proxy;
  let client;

  before(async () => {
    proxy = await startProxy(secretConfig(CRED_VAR), { env: baseEnv, extraArgs: ['--credentials', credentialsFile] });
    client = await connectClient(proxy.url);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await proxy?.stop();
  });

  test('the value from the file is used on the wire', async () => {
    assert.equal(textOf(await client.callTool({ name: 'remote__whoami', arguments: {} })), 'recorded');
    const targets = recorder.requests.map((r) => r.url);
    assert.ok(targets.includes(`/mcp?token=${CRED_SECRET}`), `request targets seen by the recorder: ${targets}`);
    const local = await waitForBackend(proxy, 'local', (b) => b.state === 'up' && b.pid > 0);
    assert.ok(argvOf(local.pid).includes(`--token=${CRED_SECRET}`), `argv of the stdio child: ${argvOf(local.pid)}`);
  });

  test('/health and the log never show it; the URL is shown redacted', async () => {
    await waitForBackend(proxy, 'unreachable', (b) => b.lastError !== null);
    const health = await healthOf(proxy);
    assertNoSecret(JSON.stringify(health, null, 1), CRED_SECRET, '/health');
    const remote = backendOf(health, 'remote');
    assert.ok(remote.url.includes(`127.0.0.1:${recorder.port}/mcp`), remote.url);
    assert.match(remote.url, REDACTED, remote.url);
    await waitFor(() => proxy.output().includes('[unreachable]'), { what: 'a log line about the unreachable backend' });
    assertNoSecret(proxy.output(), CRED_SECRET, 'the proxy log');
  });
});

describe('mcproxy check and mcproxy list', () => {
  const configFile = (variable) => {
    const file = path.join(tmp, `config-${variable}.json`);
    fs.writeFileSync(file, JSON.stringify(secretConfig(variable), null, 2));
    return file;
  };
  // Asynchronous: the recorder serving `list` runs in this process and must keep answering.
  const run = (args, env) =>
    new Promise((resolve, reject) => {
      const proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.on('data', (c) => (out += c));
      proc.stderr.on('data', (c) => (out += c));
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`mcproxy ${args[0]} did not finish within 60 s:\n${out}`));
      }, 60_000);
      proc.once('error', reject);
      proc.once('close', (status) => {
        clearTimeout(timer);
        resolve({ status, out });
      });
    });

  for (const [label, variable, secret, env, extra] of [
    ['environment', ENV_VAR, ENV_SECRET, envWithSecret, []],
    ['credentials file', CRED_VAR, CRED_SECRET, baseEnv, ['--credentials', credentialsFile]],
  ]) {
    test(`check (secret from the ${label}): URLs redacted, args without the value`, async () => {
      const r = await run(['check', configFile(variable), ...extra], env);
      assert.equal(r.status, 0, r.out);
      for (const name of ['remote', 'unreachable', 'local']) assert.match(r.out, new RegExp(`\\b${name}\\b`), r.out);
      assert.ok(r.out.includes(`127.0.0.1:${recorder.port}/mcp`), `the URL is still shown:\n${r.out}`);
      assertNoSecret(r.out, secret, '`mcproxy check`');
    });

    test(`list (secret from the ${label}): the catalogue, and no secret in it or its errors`, { timeout: 90_000 }, async () => {
      const r = await run(['list', configFile(variable), ...extra], env);
      assert.match(r.out, /whoami/, `the recorder's tool is listed:\n${r.out}`);
      assert.match(r.out, /local__echo/, `server-everything's tools are listed:\n${r.out}`);
      assert.match(r.out, /unreachable/, `the unreachable server is reported:\n${r.out}`);
      assertNoSecret(r.out, secret, '`mcproxy list`');
    });
  }
});
