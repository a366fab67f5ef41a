// Fixture MCP server (stdio) for the fault-injection tests, built with the official SDK. It
// does what no reference server can be made to do on demand:
//
// - `flood-progress` {count, size, delayMs}: before answering, sends `count`
//   notifications/progress for the call's progress token, each with a `message` of `size`
//   bytes (server-everything's long-running tool sends a handful of tiny ones, one a second),
//   then answers "flooded <count>". Makes the proxy queue megabytes on one POST event stream.
// - a resource template `flood://{spec}`: `resources/subscribe` to `flood://n=<N>;ms=<M>;...`
//   starts sending N notifications/resources/updated for that URI (with `_meta.seq` 1..N),
//   one every M ms
//   (server-everything's subscriber updates come one every 5 s). A long URI makes each event
//   big, so a backlog of them no longer fits in the kernel's socket buffers.
// - `echo` {message}: answers "Echo: <message>", like server-everything's.
// - `sigign-at-exec`: the SigIgn line the process had when it was exec'ed, passed in
//   $FAULT_SIGIGN by a `sh -c` wrapper (Node.js itself ignores SIGPIPE once it runs, so its
//   own /proc/self/status cannot tell what the proxy gave the child).
//
// Options: --startup-delay-ms N sleeps N ms before reading stdin (a slow-starting server).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const delayArg = process.argv.indexOf('--startup-delay-ms');
const startupDelayMs = delayArg > 0 ? Number(process.argv[delayArg + 1]) : 0;
if (startupDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, startupDelayMs));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = new Server(
  { name: 'mcproxy-fault-fixture', version: '0.0.0' },
  { capabilities: { tools: {}, resources: { subscribe: true } } },
);

const obj = (properties = {}) => ({ type: 'object', properties });
const tools = [
  {
    name: 'flood-progress',
    description: 'Sends `count` progress notifications of `size` bytes each, then answers.',
    inputSchema: obj({ count: { type: 'number' }, size: { type: 'number' }, delayMs: { type: 'number' } }),
  },
  { name: 'echo', description: 'Answers "Echo: <message>".', inputSchema: obj({ message: { type: 'string' } }) },
  { name: 'sigign-at-exec', description: 'The SigIgn mask the process was started with.', inputSchema: obj() },
];

server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));

server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const { name, arguments: args = {} } = request.params;
  if (name === 'echo') return { content: [{ type: 'text', text: `Echo: ${args.message}` }] };
  if (name === 'sigign-at-exec') {
    return { content: [{ type: 'text', text: process.env.FAULT_SIGIGN ?? 'FAULT_SIGIGN is not set' }] };
  }
  if (name === 'flood-progress') {
    const count = Number(args.count ?? 300);
    const size = Number(args.size ?? 65536);
    const delayMs = Number(args.delayMs ?? 0);
    const token = request.params._meta?.progressToken;
    if (token === undefined) throw new McpError(ErrorCode.InvalidParams, 'flood-progress needs _meta.progressToken');
    const message = 'p'.repeat(size);
    let sent = 0;
    for (; sent < count && !extra.signal.aborted; sent++) {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: sent + 1, total: count, message },
      });
      if (delayMs > 0) await sleep(delayMs);
    }
    return { content: [{ type: 'text', text: `flooded ${sent}` }] };
  }
  throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
});

server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [] }));
server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
  resourceTemplates: [{ uriTemplate: 'flood://{spec}', name: 'flood', description: 'Subscribing floods updates.' }],
}));
server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({
  contents: [{ uri: request.params.uri, mimeType: 'text/plain', text: 'flood' }],
}));

// uri -> {stop: boolean}
const floods = new Map();
function specOf(uri) {
  const spec = {};
  for (const part of uri.slice('flood://'.length).split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) spec[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { n: Number(spec.n ?? 3000), ms: Number(spec.ms ?? 1) };
}

server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  const { uri } = request.params;
  if (!uri.startsWith('flood://')) throw new McpError(ErrorCode.InvalidParams, `not a flood:// URI: ${uri}`);
  floods.get(uri)?.stop?.();
  const state = { stopped: false, stop() { this.stopped = true; } };
  floods.set(uri, state);
  const { n, ms } = specOf(uri);
  // After the subscribe answer has gone out.
  setImmediate(async () => {
    for (let i = 0; i < n && !state.stopped; i++) {
      // _meta.seq makes every event's text unique, so one event's text showing up under
      // another's id can be seen.
      await server.sendResourceUpdated({ uri, _meta: { seq: i + 1 } });
      if (ms > 0) await sleep(ms);
    }
  });
  return {};
});

server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  floods.get(request.params.uri)?.stop();
  floods.delete(request.params.uri);
  return {};
});

await server.connect(new StdioServerTransport());
