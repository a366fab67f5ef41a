// Fixture MCP server (stdio) with many tools, for the dashboard's big-catalogue test: tools
// `tool-0` … `tool-<N-1>`, each described by its number and taking an optional integer `n`;
// calling one answers "tool-<i> called" (with `n` when given). Built with the official SDK.
// The description of `tool-13` carries HTML markup (an image with an onerror handler, a script
// element): the dashboard must show it as text.
//
// Usage: node many-tools-server.mjs [count]   (default 5000)
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

const count = Number(process.argv[2] ?? 5000);
if (!Number.isInteger(count) || count < 1) throw new Error(`bad tool count: ${process.argv[2]}`);

export const HOSTILE_MARKUP = '<img src="x" onerror="window.__xss = 1"><script>window.__xss = 2</script>';

const tools = Array.from({ length: count }, (_, i) => ({
  name: `tool-${i}`,
  description: `Synthetic tool number ${i} of ${count}.${i === 13 ? ` ${HOSTILE_MARKUP}` : ''}`,
  inputSchema: { type: 'object', properties: { n: { type: 'integer', description: 'any number' } } },
}));

const server = new Server({ name: 'mcproxy-many-tools-fixture', version: '0.0.0' }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const m = /^tool-(\d+)$/.exec(request.params.name);
  if (!m || Number(m[1]) >= count) throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
  const n = request.params.arguments?.n;
  return { content: [{ type: 'text', text: `${request.params.name} called${n === undefined ? '' : ` with ${n}`}` }] };
});

await server.connect(new StdioServerTransport());
