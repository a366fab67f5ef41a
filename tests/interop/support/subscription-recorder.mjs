// Fixture MCP server (stdio), built with the official SDK, for the isolation tests. It records
// every resources/subscribe and resources/unsubscribe it receives and shows them through a tool,
// which server-everything cannot: it keeps its subscriptions to itself (and, over stdio, under
// one undefined session id), so whether a proxy released an upstream subscription is invisible.
//
//   resources     fixture://sub/<name> for a few names (subscribe: true)
//   `subscription-log` tool: the calls seen so far, as a JSON array of
//                   {"method": "subscribe"|"unsubscribe", "uri": "..."} in the text
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const NAMES = ['one', 'two', 'three', 'four'];
const uris = NAMES.map((n) => `fixture://sub/${n}`);
const log = [];

const server = new Server(
  { name: 'mcproxy-subscription-recorder', version: '0.0.0' },
  { capabilities: { tools: {}, resources: { subscribe: true } } },
);

server.setRequestHandler(ListResourcesRequestSchema, async () => ({
  resources: uris.map((uri) => ({ uri, name: uri.slice('fixture://sub/'.length), mimeType: 'text/plain' })),
}));

server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
  const { uri } = request.params;
  if (!uris.includes(uri)) throw new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
  return { contents: [{ uri, mimeType: 'text/plain', text: `content of ${uri}` }] };
});

server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  log.push({ method: 'subscribe', uri: request.params.uri });
  return {};
});

server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  log.push({ method: 'unsubscribe', uri: request.params.uri });
  return {};
});

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'subscription-log',
      description: 'The resources/subscribe and resources/unsubscribe calls received so far.',
      inputSchema: { type: 'object', properties: {} },
    },
  ],
}));

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  if (request.params.name !== 'subscription-log')
    throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
  return { content: [{ type: 'text', text: JSON.stringify(log) }] };
});

await server.connect(new StdioServerTransport());
