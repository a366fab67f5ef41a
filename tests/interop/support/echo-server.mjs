// Fixture MCP server (stdio) for the huge-message test: one tool, `echo`, answering with the
// `message` argument unchanged. Built with the official SDK, like the reference servers, but
// with the stdio read limit raised: the SDK's StdioServerTransport (1.32.x) drops the
// connection on any incoming line over 10 MiB, so server-everything cannot echo 20 MiB.
//
// Usage: node echo-server.mjs [maxBufferBytes]   (default 64 MiB)
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';

const maxBufferSize = Number(process.argv[2] ?? 64 * 1024 * 1024);

const server = new Server({ name: 'mcproxy-echo-fixture', version: '0.0.0' }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'echo',
      description: 'Returns `message` unchanged.',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    },
  ],
}));

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  if (request.params.name !== 'echo') {
    throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
  }
  const message = request.params.arguments?.message;
  if (typeof message !== 'string') throw new McpError(ErrorCode.InvalidParams, 'message must be a string');
  return { content: [{ type: 'text', text: message }] };
});

await server.connect(new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize }));
