// Fixture MCP server (stdio) for the forwarding tests, built with the official SDK. It does two
// things server-everything cannot show:
//
// - Its tool list changes on demand. server-everything's only changes once, right after
//   `initialize` (its capability-gated tools), i.e. while the proxy starts a shared backend and
//   before any client is connected; nothing a client can call changes it later.
//     `add-tool` {name}: registers a tool `name` (answering "<name> was added at runtime"),
//     then sends notifications/tools/list_changed, as an SDK McpServer does when a tool is
//     registered after connect.
// - It reports cancellations. server-everything's long-running tool ignores
//   notifications/cancelled, so whether one arrived cannot be seen from outside.
//     `wait-for-cancel` {label}: does not answer until the request is cancelled (or 30 s pass);
//     `cancelled-labels`: the labels of the wait-for-cancel calls whose cancellation arrived,
//     as a JSON array in the text.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

const server = new Server(
  { name: 'mcproxy-dynamic-fixture', version: '0.0.0' },
  { capabilities: { tools: { listChanged: true } } },
);

const labelSchema = { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] };
const tools = new Map([
  [
    'add-tool',
    {
      description: 'Registers a new tool called `name`; the tool list changes.',
      inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  ],
  ['wait-for-cancel', { description: 'Answers only when cancelled (or after 30 s).', inputSchema: labelSchema }],
  ['cancelled-labels', { description: 'Labels of the cancelled wait-for-cancel calls.', inputSchema: { type: 'object', properties: {} } }],
]);
const cancelled = [];

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [...tools].map(([name, t]) => ({ name, ...t })),
}));

server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const { name, arguments: args = {} } = request.params;
  if (name === 'add-tool') {
    const added = args.name;
    if (typeof added !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(added))
      throw new McpError(ErrorCode.InvalidParams, 'name must be 1-40 characters of [A-Za-z0-9_.-]');
    if (!tools.has(added)) {
      tools.set(added, { description: 'Added at runtime.', inputSchema: { type: 'object', properties: {} } });
      await server.sendToolListChanged();
    }
    return { content: [{ type: 'text', text: `added ${added}` }] };
  }
  if (name === 'wait-for-cancel') {
    const label = String(args.label);
    const outcome = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve('not cancelled within 30 s'), 30_000);
      const onAbort = () => {
        clearTimeout(timer);
        cancelled.push(label);
        resolve('cancelled');
      };
      if (extra.signal.aborted) onAbort();
      else extra.signal.addEventListener('abort', onAbort, { once: true });
    });
    // The SDK does not send a response for a cancelled request; this is for the timeout.
    return { content: [{ type: 'text', text: outcome }] };
  }
  if (name === 'cancelled-labels') return { content: [{ type: 'text', text: JSON.stringify(cancelled) }] };
  if (tools.has(name)) return { content: [{ type: 'text', text: `${name} was added at runtime` }] };
  throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
});

await server.connect(new StdioServerTransport());
