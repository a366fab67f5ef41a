// A 2025-11-25 stdio server (official SDK v1) with one tool that requires a URL-mode
// elicitation first, by the error path (-32042, UrlElicitationRequiredError): the first call
// fails with it, the retry succeeds. server-everything has such a tool too, but registers it
// only for clients that declare URL elicitation, which MCProxy's shared upstream session does
// not; hence this small server.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const server = new McpServer({ name: 'login-legacy', version: '1.0.0' });
let asked = false;
server.registerTool('open_report', {
  description: 'Opens the report once the user has signed in on the web',
  inputSchema: { id: z.string() },
}, async ({ id }) => {
  if (!asked) {
    asked = true;
    throw new UrlElicitationRequiredError([{
      mode: 'url', url: 'https://login.example.test/authorize', message: 'Sign in to see the report', elicitationId: 'sign-in-1',
    }], 'Sign-in required');
  }
  return { content: [{ type: 'text', text: `report ${id} opened after sign-in` }] };
});
await server.connect(new StdioServerTransport());
