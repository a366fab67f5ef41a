// A server of protocol 2026-07-28 built with the official SDK v2 (@modelcontextprotocol/server,
// pinned in tests/package.json): stateless, answering server/discover, with a tool that reports
// progress, one that logs, a prompt and a resource, and tools of the multi round-trip pattern
// (input_required): `deploy` asks for a confirmation, `survey` asks in two rounds (a name by
// elicitation, then a sampling completion, carrying the first answer in its requestState). The SDK serves both eras (it also answers a
// legacy initialize), so the proxy's era detection is what decides how it is spoken to.
//   node modern-server.mjs            stdio
//   node modern-server.mjs --http P   Streamable HTTP on 127.0.0.1:P/mcp (P = 0: any port; the
//                                     port is printed as "listening on <url>")
// Every request it receives is appended to $MODERN_SERVER_LOG (one JSON line: method, _meta,
// the MCP headers over HTTP), so a test can check what the proxy sent.
import fs from 'node:fs';
import http from 'node:http';

import { McpServer, acceptedContent, createMcpHandler, fromJsonSchema, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod/v4';

const log = process.env.MODERN_SERVER_LOG;
const record = (entry) => { if (log) fs.appendFileSync(log, `${JSON.stringify(entry)}\n`); };
// What a retry of the multi round-trip pattern carries (absent on a first call).
const roundOf = (params) => ({ inputResponses: params?.inputResponses, requestState: params?.requestState });

function makeServer() {
  // MODERN_LIST_TTL_MS: the ttlMs its lists carry (cacheHints of SDK v2), for the proxy's list cache.
  const ttl = process.env.MODERN_LIST_TTL_MS ? Number(process.env.MODERN_LIST_TTL_MS) : undefined;
  const cacheHints = ttl === undefined ? undefined
    : Object.fromEntries(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'].map((m) => [m, { ttlMs: ttl }]));
  const server = new McpServer({ name: 'modern-fixture', version: '2.0.0' },
    { capabilities: { logging: {}, resources: { subscribe: true, listChanged: true } }, cacheHints });
  server.registerTool('greet', {
    description: 'Greets someone by name',
    inputSchema: z.object({ name: z.string().describe('Who to greet') }),
  }, async ({ name }) => ({ content: [{ type: 'text', text: `Hello, ${name}, from 2026-07-28` }] }));
  server.registerTool('count', {
    description: 'Counts to n, reporting progress',
    inputSchema: z.object({ n: z.number().int().min(1).max(10) }),
  }, async ({ n }, ctx) => {
    const token = ctx.mcpReq?._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
      await new Promise((r) => setTimeout(r, 20));
    }
    return { content: [{ type: 'text', text: `counted to ${n}` }] };
  });
  const confirmation = z.object({ confirm: z.boolean() });
  server.registerTool('deploy', {
    description: 'Deploys to an environment once the user confirms',
    inputSchema: z.object({ env: z.string() }),
  }, async ({ env }, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
    if (answer.kind === 'elicit' && answer.action !== 'accept') return { content: [{ type: 'text', text: `not deployed to ${env} (${answer.action})` }] };
    if (acceptedContent(ctx.mcpReq.inputResponses, 'confirm', confirmation)?.confirm === true) {
      return { content: [{ type: 'text', text: `deployed to ${env}` }] };
    }
    return inputRequired({ inputRequests: { confirm: inputRequired.elicit({ message: `Deploy to ${env}?`, requestedSchema: confirmation }) } });
  });
  const named = z.object({ name: z.string() });
  server.registerTool('survey', {
    description: 'Asks for a name, then for a completion about it',
    inputSchema: z.object({}),
  }, async (_args, ctx) => {
    const state = ctx.mcpReq.requestState?.();
    const name = acceptedContent(ctx.mcpReq.inputResponses, 'who', named)?.name;
    if (state === undefined && name === undefined) {
      return inputRequired({ inputRequests: { who: inputRequired.elicit({ message: 'Your name?', requestedSchema: named }) } });
    }
    if (state === undefined) {
      // The second round: the name travels in the state (the retry carries this round's answers only).
      return inputRequired({
        inputRequests: { line: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: `A line about ${name}` } }], maxTokens: 50 }) },
        requestState: `survey:${Buffer.from(name).toString('base64url')}`,
      });
    }
    const who = Buffer.from(String(state).replace(/^survey:/, ''), 'base64url').toString('utf8');
    const line = inputResponse(ctx.mcpReq.inputResponses, 'line');
    const text = line.kind === 'sampling' ? line.result.content.text : '(no completion)';
    return { content: [{ type: 'text', text: `survey of ${who}: ${text}` }] };
  });
  // A parameter mirrored in a header (x-mcp-header): Mcp-Param-Region over HTTP.
  server.registerTool('where', {
    description: 'Says where it runs',
    inputSchema: fromJsonSchema({
      type: 'object',
      properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, note: { type: 'string' } },
      required: ['region'],
    }),
  }, async ({ region }) => ({ content: [{ type: 'text', text: `running in ${region}` }] }));
  // Announces an update of a resource (to the listen streams that follow it).
  server.registerTool('touch', {
    description: 'Announces that a resource changed',
    inputSchema: z.object({ uri: z.string() }),
  }, async ({ uri }) => {
    await server.server.sendResourceUpdated({ uri });
    return { content: [{ type: 'text', text: `touched ${uri}` }] };
  });
  server.registerPrompt('haiku', {
    description: 'A haiku about a topic',
    argsSchema: z.object({ topic: z.string() }),
  }, async ({ topic }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Write a haiku about ${topic}` } }] }));
  server.registerResource('motd', 'modern://motd', { mimeType: 'text/plain', description: 'Message of the day' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'stateless and happy' }] }));
  return server;
}

const httpIndex = process.argv.indexOf('--http');
if (httpIndex < 0) {
  // The transport records what arrives, then hands it on to the SDK's era decision (an
  // accessor on the instance: the SDK's class declares onmessage as a field).
  const transport = new StdioServerTransport();
  let handler;
  Object.defineProperty(transport, 'onmessage', {
    get: () => handler && ((message, extra) => {
      if (message.method) record({ method: message.method, meta: message.params?._meta ?? null, ...roundOf(message.params) });
      handler(message, extra);
    }),
    set: (h) => { handler = h; },
  });
  serveStdio(() => makeServer(), { transport });
} else {
  const handler = createMcpHandler(() => makeServer());
  const port = Number(process.argv[httpIndex + 1] ?? 0);
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    let parsed;
    try { parsed = JSON.parse(body.toString('utf8')); } catch { parsed = undefined; }
    if (parsed?.method) {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('mcp-')));
      record({ method: parsed.method, meta: parsed.params?._meta ?? null, headers, httpMethod: req.method, ...roundOf(parsed.params) });
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method, headers: req.headers, body: req.method === 'POST' ? body : undefined, signal: abort.signal,
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) { res.end(); return; }
    try {
      for await (const chunk of response.body) res.write(chunk);
    } catch { /* the client went away */ }
    res.end();
  });
  server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/mcp`));
}
