// Helpers for the forwarding tests (forwarding, stdio-downstream, pagination): an SDK client
// that declares sampling, elicitation and roots and records every server->client request and
// notification it receives, plus small polling and process utilities.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { serverPaths } from './proxy.mjs';

/** The SDK-built stdio fixture (support/dynamic-server.mjs): list_changed on demand, cancellations seen. */
export const dynamicFixturePath = fileURLToPath(new URL('./dynamic-server.mjs', import.meta.url));

/** Every capability a server->client request can need. */
export const FULL_CAPABILITIES = { sampling: {}, elicitation: {}, roots: { listChanged: true } };

/** Tools server-everything registers only for a client that declared the capability. */
export const GATED_TOOLS = ['get-roots-list', 'trigger-sampling-request', 'trigger-elicitation-request'];

/** Config with server-everything (and optionally more servers) under the name `everything`. */
export function everythingConfig({ sessionMode, httpServer, extraServers = {} } = {}) {
  const everything = { command: process.execPath, args: [serverPaths().everything] };
  if (sessionMode) everything.sessionMode = sessionMode;
  const config = { mcpServers: { everything, ...extraServers } };
  if (httpServer) config.httpServer = httpServer;
  return config;
}

/** The text parts of a tool result, joined by newlines. */
export const textOf = (result) =>
  (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

/** Poll `fn` (sync or async) until it returns a truthy value; throws `what` after `timeoutMs`. */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * An SDK Client (not connected yet) whose sampling, elicitation and roots handlers answer with
 * values containing `tag`, and which records what it received in `seen`:
 *   sampling / elicitation: request params; roots: number of roots/list requests;
 *   logs: notifications/message params; updated: resources/updated URIs;
 *   toolsChanged / resourcesChanged / promptsChanged: counts of list_changed notifications.
 * Handlers are only registered for the capabilities declared (the SDK refuses the others).
 */
export function recordingClient({ name = 'mcproxy-forwarding', tag = 'client', capabilities = FULL_CAPABILITIES } = {}) {
  const client = new Client({ name, version: '0.0.0' }, { capabilities });
  const seen = {
    sampling: [],
    elicitation: [],
    roots: 0,
    logs: [],
    updated: [],
    toolsChanged: 0,
    resourcesChanged: 0,
    promptsChanged: 0,
  };
  const roots = [{ uri: `file:///tmp/mcproxy-roots/${tag}`, name: `root of ${tag}` }];
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      seen.sampling.push(request.params);
      return {
        role: 'assistant',
        content: { type: 'text', text: `sampled-by-${tag}` },
        model: `model-of-${tag}`,
        stopReason: 'endTurn',
      };
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      seen.elicitation.push(request.params);
      return { action: 'accept', content: { name: `name-of-${tag}`, check: true } };
    });
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      seen.roots += 1;
      return { roots };
    });
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.logs.push(n.params);
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.updated.push(n.params.uri);
  });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    seen.toolsChanged += 1;
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    seen.resourcesChanged += 1;
  });
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
    seen.promptsChanged += 1;
  });
  return { client, seen, roots, tag };
}

/** recordingClient() connected to the proxy at `url` over Streamable HTTP. */
export async function connectRecordingClient(url, options = {}) {
  const rc = recordingClient(options);
  await rc.client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return rc;
}

/** Poll listTools until every name in `names` is present; resolves with the full name list. */
export async function waitForTools(client, names, { timeoutMs = 5000 } = {}) {
  let listed = [];
  try {
    return await waitFor(
      async () => {
        listed = (await client.listTools()).tools.map((t) => t.name);
        return names.every((n) => listed.includes(n)) ? listed : null;
      },
      { timeoutMs, intervalMs: 200, what: `tools ${names.join(', ')}` },
    );
  } catch (err) {
    err.message += `; last tools/list: ${listed.join(', ')}`;
    throw err;
  }
}

/** pids of the live (non-zombie) processes whose parent is `pid`, from /proc. */
export function childPids(pid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry));
  }
  return out;
}

/** Whether `pid` is a live process (a zombie counts as gone). */
export function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The command line of `pid` (arguments joined by spaces), or '' if it is gone. */
export function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

const RAW_PROTOCOL_VERSION = '2025-11-25';

/**
 * Messages of a Streamable HTTP response as an async iterator: the one JSON body of an
 * application/json answer, or each `data:` event of a text/event-stream, as it arrives.
 */
async function* responseMessages(res) {
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    const text = await res.text();
    if (text) yield JSON.parse(text);
    return;
  }
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield JSON.parse(data);
    }
  }
}

/**
 * A Streamable HTTP session spoken without the SDK (and without a GET stream), to see on which
 * stream and with which exact values things arrive. post(message, {signal}) resolves
 * {status, headers, messages} where messages is an async iterator over the response's
 * JSON-RPC messages.
 */
export async function rawSession(url, { capabilities = {} } = {}) {
  let sessionId;
  const post = async (message, { signal } = {}) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (sessionId) {
      headers['mcp-session-id'] = sessionId;
      headers['mcp-protocol-version'] = RAW_PROTOCOL_VERSION;
    }
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(message), signal });
    return { status: res.status, headers: res.headers, messages: responseMessages(res) };
  };
  const init = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: RAW_PROTOCOL_VERSION, capabilities, clientInfo: { name: 'raw-forwarding', version: '0' } },
  });
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}`);
  sessionId = init.headers.get('mcp-session-id');
  for await (const _ of init.messages); // drain
  const done = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  if (done.status !== 202) throw new Error(`notifications/initialized answered ${done.status}`);
  for await (const _ of done.messages);
  const close = () =>
    fetch(url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': RAW_PROTOCOL_VERSION },
    }).catch(() => {});
  return { post, close, sessionId: () => sessionId };
}
