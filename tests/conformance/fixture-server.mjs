#!/usr/bin/env node
// MCP fixture server for the conformance suite (@modelcontextprotocol/conformance 0.1.16,
// "active" server suite: 30 scenarios). It implements every tool, resource, prompt and utility
// those scenarios call, with the exact names, argument names and texts they expect.
//
// Built on the official TypeScript SDK's low-level `Server` (so that JSON schemas are sent
// verbatim and every handler is explicit).
//
//   node fixture-server.mjs               → stdio (how MCProxy runs it as a backend)
//   node fixture-server.mjs --http PORT   → Streamable HTTP on http://127.0.0.1:PORT/mcp
//                                           (stateful sessions, DNS-rebinding protection);
//                                           only used to validate the fixture without the proxy.
//
// Logging, progress, sampling and elicitation are sent from inside the tool handler with
// `extra.sendNotification` / `extra.sendRequest`, i.e. tied to the tools/call being served:
// over HTTP they travel on that call's SSE stream; over stdio they are plain messages and
// whoever sits on the other side (MCProxy) has to attribute them to the call.
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import zlib from 'node:zlib';

import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  isInitializeRequest,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

// ---------------------------------------------------------------------------------------------
// Binary test data, generated so that it is a real (decodable) PNG and WAV.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A 1×1 red RGB PNG, base64. */
function redPixelPng() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  // compression, filter, interlace: 0
  const scanline = Buffer.from([0, 0xff, 0x00, 0x00]); // filter byte + R G B
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(scanline)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

/** 0.1 s of 8 kHz, 8-bit mono PCM silence as a WAV file, base64. */
function silentWav() {
  const sampleRate = 8000;
  const samples = Buffer.alloc(sampleRate / 10, 0x80);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate, 28); // byte rate
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]).toString('base64');
}

const PNG_BASE64 = redPixelPng();
const WAV_BASE64 = silentWav();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Fixtures

const EMPTY_SCHEMA = { type: 'object', properties: {} };

const TOOLS = [
  {
    name: 'test_simple_text',
    description: 'Returns a simple text response',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_image_content',
    description: 'Returns an image (1x1 red PNG)',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_audio_content',
    description: 'Returns audio content (WAV)',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_embedded_resource',
    description: 'Returns an embedded text resource',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_multiple_content_types',
    description: 'Returns text, image and embedded resource content',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_tool_with_logging',
    description: 'Sends three info log notifications while it runs',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50, 100 of 100 when given a progress token',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_error_handling',
    description: 'Always returns an error result (isError: true)',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_sampling',
    description: 'Asks the client for an LLM completion (sampling/createMessage)',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
      required: ['prompt'],
    },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the client for user input (elicitation/create)',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'The message to show the user' } },
      required: ['message'],
    },
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Elicits a form whose primitive fields all have default values (SEP-1034)',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Elicits a form with the five enum schema variants (SEP-1330)',
    inputSchema: EMPTY_SCHEMA,
  },
  {
    // Only used by the pending scenario json-schema-2020-12; harmless for the others.
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: {
          type: 'object',
          properties: { street: { type: 'string' }, city: { type: 'string' } },
        },
      },
      properties: {
        name: { type: 'string' },
        address: { $ref: '#/$defs/address' },
      },
      additionalProperties: false,
    },
  },
];

const SEP1034_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'User name', default: 'John Doe' },
    age: { type: 'integer', description: 'User age', default: 30 },
    score: { type: 'number', description: 'User score', default: 95.5 },
    status: {
      type: 'string',
      description: 'User status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean', description: 'Verification status', default: true },
  },
  required: [],
};

const SEP1330_SCHEMA = {
  type: 'object',
  properties: {
    untitledSingle: {
      type: 'string',
      description: 'Untitled single-select enum',
      enum: ['option1', 'option2', 'option3'],
    },
    titledSingle: {
      type: 'string',
      description: 'Titled single-select enum',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Legacy titled enum (enumNames, deprecated)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Untitled multi-select enum',
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Titled multi-select enum',
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
  required: [],
};

const RESOURCES = [
  {
    uri: 'test://static-text',
    name: 'Static text resource',
    description: 'A static text resource',
    mimeType: 'text/plain',
  },
  {
    uri: 'test://static-binary',
    name: 'Static binary resource',
    description: 'A static binary resource (1x1 red PNG)',
    mimeType: 'image/png',
  },
  {
    uri: 'test://watched-resource',
    name: 'Watched resource',
    description: 'A resource that can be subscribed to',
    mimeType: 'text/plain',
  },
];

const RESOURCE_TEMPLATES = [
  {
    uriTemplate: 'test://template/{id}/data',
    name: 'Template resource',
    description: 'A resource template with an {id} parameter',
    mimeType: 'application/json',
  },
];

const TEMPLATE_RE = /^test:\/\/template\/([^/]+)\/data$/;

const PROMPTS = [
  { name: 'test_simple_prompt', description: 'A simple prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two required arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: [
      { name: 'resourceUri', description: 'URI of the resource to embed', required: true },
    ],
  },
  { name: 'test_prompt_with_image', description: 'A prompt with image content' },
];

const COMPLETIONS = {
  arg1: ['paris', 'park', 'party', 'test-value-1', 'testing'],
  arg2: ['world', 'wonder', 'test-value-2'],
};

const text = (t) => ({ type: 'text', text: t });

// ---------------------------------------------------------------------------------------------
// Server

function createServer() {
  const server = new Server(
    { name: 'mcproxy-conformance-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: {},
        resources: { subscribe: true },
        prompts: {},
        logging: {}, // the SDK then answers logging/setLevel itself (per session)
        completions: {},
      },
    },
  );
  const subscriptions = new Set();

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args = {} } = request.params;
    switch (name) {
      case 'test_simple_text':
        return { content: [text('This is a simple text response for testing.')] };

      case 'test_image_content':
        return { content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] };

      case 'test_audio_content':
        return { content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] };

      case 'test_embedded_resource':
        return {
          content: [
            {
              type: 'resource',
              resource: {
                uri: 'test://embedded-resource',
                mimeType: 'text/plain',
                text: 'This is an embedded resource content.',
              },
            },
          ],
        };

      case 'test_multiple_content_types':
        return {
          content: [
            text('Multiple content types test:'),
            { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
            {
              type: 'resource',
              resource: {
                uri: 'test://mixed-content-resource',
                mimeType: 'application/json',
                text: JSON.stringify({ test: 'data', value: 123 }),
              },
            },
          ],
        };

      case 'test_tool_with_logging': {
        const log = async (data) => {
          if (server.isMessageIgnored('info', extra.sessionId)) return;
          await extra.sendNotification({
            method: 'notifications/message',
            params: { level: 'info', logger: 'test_tool_with_logging', data },
          });
        };
        await log('Tool execution started');
        await sleep(50);
        await log('Tool processing data');
        await sleep(50);
        await log('Tool execution completed');
        return { content: [text('Tool with logging executed successfully')] };
      }

      case 'test_tool_with_progress': {
        const progressToken = request.params._meta?.progressToken;
        const steps = [0, 50, 100];
        for (const [i, progress] of steps.entries()) {
          if (i > 0) await sleep(50);
          if (progressToken !== undefined) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress, total: 100, message: `Completed step ${progress}/100` },
            });
          }
        }
        // Let the last notification leave well before the result: the SDK client drops a
        // progress notification that it reads in the same chunk as the response (its response
        // handler unregisters the progress handler first), which a stdio hop can cause.
        await sleep(50);
        return { content: [text('Tool with progress executed successfully')] };
      }

      case 'test_error_handling':
        return {
          isError: true,
          content: [text('This tool intentionally returns an error for testing')],
        };

      case 'test_sampling': {
        if (!server.getClientCapabilities()?.sampling) {
          return { isError: true, content: [text('Client does not support sampling (no sampling capability)')] };
        }
        const result = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: {
              messages: [{ role: 'user', content: text(String(args.prompt ?? '')) }],
              maxTokens: 100,
            },
          },
          CreateMessageResultSchema,
        );
        const reply = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
        return { content: [text(`LLM response: ${reply}`)] };
      }

      case 'test_elicitation': {
        if (!server.getClientCapabilities()?.elicitation) {
          return { isError: true, content: [text('Client does not support elicitation (no elicitation capability)')] };
        }
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: String(args.message ?? ''),
              requestedSchema: {
                type: 'object',
                properties: {
                  username: { type: 'string', description: "User's response" },
                  email: { type: 'string', description: "User's email address" },
                },
                required: ['username', 'email'],
              },
            },
          },
          ElicitResultSchema,
        );
        return {
          content: [
            text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`),
          ],
        };
      }

      case 'test_elicitation_sep1034_defaults':
      case 'test_elicitation_sep1330_enums': {
        if (!server.getClientCapabilities()?.elicitation) {
          return { isError: true, content: [text('Client does not support elicitation (no elicitation capability)')] };
        }
        const sep1034 = name === 'test_elicitation_sep1034_defaults';
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: sep1034
                ? 'Please review and update the form fields with defaults'
                : 'Please pick options from the enum fields',
              requestedSchema: sep1034 ? SEP1034_SCHEMA : SEP1330_SCHEMA,
            },
          },
          ElicitResultSchema,
        );
        return {
          content: [
            text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`),
          ],
        };
      }

      case 'json_schema_2020_12_tool':
        return { content: [text(`Received: ${JSON.stringify(args)}`)] };

      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: RESOURCES }));

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: RESOURCE_TEMPLATES,
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    if (uri === 'test://static-text') {
      return {
        contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
      };
    }
    if (uri === 'test://static-binary') {
      return { contents: [{ uri, mimeType: 'image/png', blob: PNG_BASE64 }] };
    }
    if (uri === 'test://watched-resource') {
      return { contents: [{ uri, mimeType: 'text/plain', text: 'This is a watched resource.' }] };
    }
    const m = TEMPLATE_RE.exec(uri);
    if (m) {
      const id = decodeURIComponent(m[1]);
      return {
        contents: [
          {
            uri,
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    }
    throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri}`, { uri });
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: PROMPTS }));

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const { name, arguments: args = {} } = request.params;
    switch (name) {
      case 'test_simple_prompt':
        return { messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }] };
      case 'test_prompt_with_arguments':
        return {
          messages: [
            { role: 'user', content: text(`Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'`) },
          ],
        };
      case 'test_prompt_with_embedded_resource':
        return {
          messages: [
            {
              role: 'user',
              content: {
                type: 'resource',
                resource: {
                  uri: args.resourceUri ?? 'test://example-resource',
                  mimeType: 'text/plain',
                  text: 'Embedded resource content for testing.',
                },
              },
            },
            { role: 'user', content: text('Please process the embedded resource above.') },
          ],
        };
      case 'test_prompt_with_image':
        return {
          messages: [
            { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
            { role: 'user', content: text('Please analyze the image above.') },
          ],
        };
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    }
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { argument } = request.params;
    const candidates = COMPLETIONS[argument.name] ?? [];
    const values = candidates.filter((v) => v.startsWith(argument.value ?? ''));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

// ---------------------------------------------------------------------------------------------
// Transports

async function runStdio() {
  const server = createServer();
  await server.connect(new StdioServerTransport());
}

async function runHttp(port) {
  // createMcpExpressApp() with host 127.0.0.1 installs the SDK's localhost Host-header
  // validation (DNS-rebinding protection: a foreign Host gets 403) and a JSON body parser.
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  const sessions = new Map(); // session id → transport

  const jsonError = (res, status, code, message) =>
    res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });

  app.post('/mcp', async (req, res) => {
    try {
      const sessionId = req.headers['mcp-session-id'];
      let transport = sessionId ? sessions.get(sessionId) : undefined;
      if (sessionId && !transport) return jsonError(res, 404, -32001, 'Session not found');
      if (!transport) {
        if (!isInitializeRequest(req.body)) {
          return jsonError(res, 400, -32000, 'Bad Request: no session id and not an initialize request');
        }
        const server = createServer();
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => sessions.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
          server.close().catch(() => {});
        };
        await server.connect(transport);
      }
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      process.stderr.write(`fixture: POST /mcp failed: ${err?.stack ?? err}\n`);
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal server error');
    }
  });

  const bySession = async (req, res) => {
    const sessionId = req.headers['mcp-session-id'];
    const transport = sessionId ? sessions.get(sessionId) : undefined;
    if (!sessionId) return jsonError(res, 400, -32000, 'Bad Request: missing Mcp-Session-Id');
    if (!transport) return jsonError(res, 404, -32001, 'Session not found');
    try {
      await transport.handleRequest(req, res);
    } catch (err) {
      process.stderr.write(`fixture: ${req.method} /mcp failed: ${err?.stack ?? err}\n`);
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal server error');
    }
  };
  app.get('/mcp', bySession);
  app.delete('/mcp', bySession);

  const httpServer = app.listen(port, '127.0.0.1', () => {
    const { port: actual } = httpServer.address();
    process.stderr.write(`fixture listening on http://127.0.0.1:${actual}/mcp\n`);
  });
  httpServer.on('error', (err) => {
    process.stderr.write(`fixture: cannot listen: ${err.message}\n`);
    process.exit(1);
  });
  const shutdown = () => {
    for (const t of sessions.values()) t.close().catch(() => {});
    httpServer.close(() => process.exit(0));
    httpServer.closeAllConnections?.();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

const httpIdx = process.argv.indexOf('--http');
if (httpIdx >= 0) {
  const port = Number(process.argv[httpIdx + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: fixture-server.mjs [--http PORT]\n');
    process.exit(2);
  }
  await runHttp(port);
} else {
  await runStdio();
}
