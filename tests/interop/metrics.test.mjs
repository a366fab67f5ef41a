// GET /metrics, scraped by a real Prometheus (Debian's package; scripts/test.sh installs it and
// stops its system service): its own instance on a free loopback port scrapes the proxy every
// second with a bearer of the "metrics" role while an SDK client calls server-everything's
// `echo` through the proxy; a PromQL query through Prometheus's HTTP API returns the call
// count. `promtool check metrics` accepts the exposition. The access rules: 401 without a
// credential, 403 for an identity without the role, and loopback only without auth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { serverPaths, startProxy } from './support/proxy.mjs';
import { freePort } from './support/remote.mjs';
import { waitFor } from './support/forwarding.mjs';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const SCRAPER_KEY = crypto.randomBytes(18).toString('hex');
const CLIENT_KEY = crypto.randomBytes(18).toString('hex');
const CALLS = 3;

let dir;
let proxy;
let prometheus;
let promUrl;

before(async () => {
  for (const bin of [PROMETHEUS, PROMTOOL])
    assert.ok(fs.existsSync(bin), `${bin} is missing: scripts/test.sh installs Debian's prometheus package`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-metrics-'));
  proxy = await startProxy({
    mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } },
    auth: {
      apiKeys: [
        { name: 'prometheus', key: SCRAPER_KEY, roles: ['metrics'] },
        { name: 'agent', key: CLIENT_KEY },
      ],
    },
  });
});

after(async () => {
  prometheus?.kill('SIGKILL');
  await proxy?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const metricsUrl = () => new URL('/metrics', proxy.url);

async function startPrometheus() {
  const port = await freePort();
  const target = new URL(proxy.url).host;
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, [
    'global:',
    '  scrape_interval: 1s',
    'scrape_configs:',
    '  - job_name: mcproxy',
    '    metrics_path: /metrics',
    '    authorization:',
    '      type: Bearer',
    `      credentials: ${SCRAPER_KEY}`,
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n'));
  let log = '';
  prometheus = spawn(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  prometheus.stdout.on('data', (d) => { log += d; });
  prometheus.stderr.on('data', (d) => { log += d; });
  promUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
    try {
      return (await fetch(`${promUrl}/-/ready`)).ok;
    } catch {
      return false;
    }
  }, { timeoutMs: 30_000, what: 'Prometheus to be ready' });
}

/** The single value of an instant PromQL query, or undefined when it has no result yet. */
async function query(promql) {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await res.json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  const [first] = body.data.result;
  return first ? Number(first.value[1]) : undefined;
}

describe('metrics', () => {
  test('/metrics needs a credential with the metrics role', async () => {
    const none = await fetch(metricsUrl());
    assert.equal(none.status, 401);
    const agent = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    assert.equal(agent.status, 403);
    const scraper = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${SCRAPER_KEY}` } });
    assert.equal(scraper.status, 200);
    assert.match(scraper.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await scraper.text();
    assert.match(text, /^mcproxy_backend_up\{server="everything"\} 1$/m);
    assert.match(text, /^mcproxy_auth_failures_total [1-9]\d*$/m, 'the 401 above is counted');
    assert.match(text, /^process_resident_memory_bytes [1-9]\d*$/m);
    assert.match(text, /^process_open_fds [1-9]\d*$/m);
  });

  test('Prometheus scrapes it and counts the calls made through the proxy', async () => {
    await startPrometheus();
    const client = new Client({ name: 'metrics-test', version: '0.0.0' }, { capabilities: {} });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), {
      requestInit: { headers: { authorization: `Bearer ${CLIENT_KEY}` } },
    }));
    try {
      const { tools } = await client.listTools();
      const echo = tools.find((t) => t.name.endsWith('echo'));
      assert.ok(echo, tools.map((t) => t.name).join(', '));
      for (let i = 0; i < CALLS; i++) await client.callTool({ name: echo.name, arguments: { message: `m${i}` } });
      await assert.rejects(client.callTool({ name: 'no-such-tool', arguments: {} }));

      // The tool label is the server's own name: bounded by its catalogue, never the client's input.
      const calls = await waitFor(async () => {
        const v = await query('sum(mcproxy_tool_calls_total{server="everything",tool="echo",outcome="ok"})');
        return v === CALLS ? v : false;
      }, { timeoutMs: 30_000, intervalMs: 500, what: `Prometheus to see ${CALLS} echo calls` });
      assert.equal(calls, CALLS);
      assert.equal(await query('up{job="mcproxy"}'), 1);
      assert.equal(await query('mcproxy_sessions{transport="streamable-http"}') >= 1, true);
      const p99 = await query(
        'histogram_quantile(0.99, sum by (le) (mcproxy_backend_request_duration_seconds_bucket{method="tools/call"}))');
      assert.ok(p99 > 0 && p99 <= 60, `p99 of tools/call: ${p99}`);
      const exposition = await (await fetch(metricsUrl(), { headers: { authorization: `Bearer ${SCRAPER_KEY}` } })).text();
      assert.ok(!exposition.includes('no-such-tool'), 'a name from a client became a label value');
      assert.match(exposition, /^mcproxy_requests_total\{method="tools\/call",outcome="error"\} 1$/m);
    } finally {
      await client.close();
    }
  });

  test('promtool check metrics accepts the exposition', async () => {
    const text = await (await fetch(metricsUrl(), { headers: { authorization: `Bearer ${SCRAPER_KEY}` } })).text();
    // Exit status 0 only when the text parses and passes promtool's lint (names, HELP, types).
    let out = '';
    try {
      out = execFileSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      assert.fail(`promtool check metrics failed (${e.status}):\n${e.stdout}${e.stderr}`);
    }
    assert.equal(out.trim(), '', out);
  });

  test('without auth, /metrics is served on loopback', async () => {
    const open = await startProxy({ mcpServers: { everything: { command: process.execPath, args: [serverPaths().everything] } } });
    try {
      const res = await fetch(new URL('/metrics', open.url));
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^mcproxy_build_info\{version="[^"]+"\} 1$/m);
    } finally {
      await open.stop();
    }
  });
});
