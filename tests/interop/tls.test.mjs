// TLS to a remote backend: server-everything (Streamable HTTP) behind an HTTPS front on
// loopback, with a CA and a server certificate for localhost / 127.0.0.1 made here with
// openssl. The front is nginx (installed from Debian if missing and we are root); without it,
// a Node.js `https` proxy plays the same role (the test says which in its name;
// MCPROXY_INTEROP_TLS_FRONT=node forces it).
//
// Run: MCPROXY_BIN=build/mcproxy node --test tests/interop/tls.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { connectRecordingClient, textOf, waitForTools } from './support/forwarding.mjs';
import { startProxy } from './support/proxy.mjs';
import {
  backendOf,
  ensureNginx,
  healthOf,
  makeCertificates,
  startEverythingHttp,
  startTlsFront,
  waitForBackend,
} from './support/remote.mjs';

const FAST_RECONNECT = { initialDelayMs: 200, maxDelayMs: 1000 };
// Decided before the tests are declared, so that their names say which front is used.
// MCPROXY_INTEROP_TLS_FRONT=node forces the Node.js front.
const USE_NGINX = process.env.MCPROXY_INTEROP_TLS_FRONT !== 'node' && Boolean(ensureNginx());
const FRONT = USE_NGINX ? 'nginx' : 'a Node.js https proxy';

describe(`TLS to a remote backend (HTTPS front: ${FRONT})`, () => {
  let tmp;
  let certs;
  let upstream;
  let front;
  let proxy;
  let rc;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-tls-'));
    certs = makeCertificates(tmp);
    upstream = await startEverythingHttp('streamableHttp');
    front = await startTlsFront({ dir: tmp, cert: certs.cert, key: certs.key, upstreamPort: upstream.port, preferNginx: USE_NGINX });
    const at = (host) => `https://${host}:${front.port}/mcp`;
    proxy = await startProxy({
      mcpServers: {
        verified: { url: at('localhost'), type: 'streamable-http', tls: { caFile: certs.ca }, reconnect: FAST_RECONNECT },
        verifiedip: { url: at('127.0.0.1'), type: 'streamable-http', tls: { caFile: certs.ca }, reconnect: FAST_RECONNECT },
        wrongca: {
          url: at('localhost'),
          type: 'streamable-http',
          tls: { caFile: certs.wrongCa },
          startupTimeoutMs: 5000,
          reconnect: { ...FAST_RECONNECT, maxAttempts: 2 },
        },
        insecure: { url: at('localhost'), type: 'streamable-http', tls: { insecure: true }, reconnect: FAST_RECONNECT },
      },
    });
    rc = await connectRecordingClient(proxy.url, { tag: 'tls' });
  });

  after(async () => {
    await rc?.client.transport?.terminateSession?.().catch(() => {});
    await rc?.client.close().catch(() => {});
    await proxy?.stop();
    await front?.stop();
    await upstream?.kill();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test(`the front is ${FRONT}`, () => {
    assert.equal(front.kind === 'nginx' ? 'nginx' : 'a Node.js https proxy', FRONT);
  });

  for (const [name, label] of [
    ['verified', 'https://localhost with tls.caFile = the CA'],
    ['verifiedip', 'https://127.0.0.1 (IP subjectAltName) with tls.caFile = the CA'],
  ]) {
    test(`${label}: up, and echo works`, async () => {
      const b = backendOf(await healthOf(proxy), name);
      assert.equal(b.state, 'up', JSON.stringify(b));
      assert.equal(b.lastError, null, JSON.stringify(b));
      await waitForTools(rc.client, [`${name}__echo`]);
      const r = await rc.client.callTool({ name: `${name}__echo`, arguments: { message: `over TLS to ${name}` } });
      assert.equal(textOf(r), `Echo: over TLS to ${name}`);
    });
  }

  test('tls.caFile = another CA: the backend fails, and lastError names the certificate problem', async (t) => {
    const b = await waitForBackend(proxy, 'wrongca', (x) => x.state === 'failed' && x.lastError, {
      timeoutMs: 10_000,
      what: 'wrongca failed',
    });
    t.diagnostic(`lastError: ${b.lastError}`);
    assert.match(b.lastError, /TLS|ssl/i, b.lastError);
    assert.match(b.lastError, /certificate verify failed|unable to get local issuer|self.signed|certificate/i, b.lastError);
    const names = (await rc.client.listTools()).tools.map((t) => t.name);
    assert.ok(!names.some((n) => n.startsWith('wrongca__')), names.join(', '));
    const err = await rc.client.callTool({ name: 'wrongca__echo', arguments: { message: 'x' } }).then(
      (r) => r,
      (e) => e,
    );
    assert.ok(err instanceof Error || err.isError, `a call to the failed backend succeeded: ${JSON.stringify(err)}`);
  });

  test('tls.insecure without a CA: works, and the proxy warns about tls.insecure', async () => {
    const b = backendOf(await healthOf(proxy), 'insecure');
    assert.equal(b.state, 'up', JSON.stringify(b));
    await waitForTools(rc.client, ['insecure__echo']);
    const r = await rc.client.callTool({ name: 'insecure__echo', arguments: { message: 'unchecked' } });
    assert.equal(textOf(r), 'Echo: unchecked');
    const warnings = proxy.output().split('\n').filter((l) => /\[insecure\].*tls\.insecure/.test(l));
    assert.ok(warnings.length >= 1, `no tls.insecure warning for [insecure] in:\n${proxy.output()}`);
    assert.match(warnings[0], /warn/i, warnings[0]);
    for (const other of ['verified', 'verifiedip'])
      assert.ok(!new RegExp(`\\[${other}\\].*checks are OFF`).test(proxy.output()), `${other} logged as insecure`);
  });
});
