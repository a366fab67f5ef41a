#!/usr/bin/env node
// MCP fixture server for the conformance suite's protocol revision 2026-07-28 server scenarios
// (@modelcontextprotocol/conformance 0.2.0-alpha.10, installed as `conformance-2026`: 40
// scenarios). It implements every tool, resource and prompt those scenarios call, with the exact
// names, argument names and texts they expect, on the official TypeScript SDK v2
// (@modelcontextprotocol/server): McpServer instances from one factory, served by
// `createMcpHandler` (HTTP) or `serveStdio` (stdio). The same factory answers both eras: a
// 2025-era `initialize` is served too (over HTTP by a sessionful Streamable HTTP leg, over stdio
// by the instance serveStdio pins to the connection).
//
//   node modern-fixture-server.mjs               → stdio (how MCProxy runs it as a backend)
//   node modern-fixture-server.mjs --http PORT   → Streamable HTTP on http://127.0.0.1:PORT/mcp
//                                                  (PORT 0: any free port); prints
//                                                  "listening on http://127.0.0.1:<port>/mcp"
//
// Run the suite against it (Node 20 needs the shim, see node20-shim.mjs):
//   node --import ./conformance/node20-shim.mjs node_modules/conformance-2026/dist/index.js \
//     server --url http://127.0.0.1:PORT/mcp --spec-version 2026-07-28 -o /tmp/confout
//
// Multi round-trip (MRTR) tools return `inputRequired(...)`: on 2026-07-28 the client fulfils
// the embedded requests and retries with `inputResponses` (+ `requestState`); on a 2025-era
// connection the SDK's legacy shim turns them into real server→client requests. Every
// `requestState` is sealed with an HMAC codec under a per-process random key, so a tampered
// state is rejected (-32602) before a handler runs.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import process from 'node:process';
import zlib from 'node:zlib';

import {
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  WebStandardStreamableHTTPServerTransport,
  completable,
  createMcpHandler,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  inputResponse,
  isInitializeRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod/v4';

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
  ihdr[9] = 2; // colour type: truecolour (compression, filter, interlace stay 0)
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
const text = (t) => ({ type: 'text', text: t });
const textResult = (t) => ({ content: [text(t)] });

// ---------------------------------------------------------------------------------------------
// Schemas sent verbatim (fromJsonSchema keeps the JSON Schema as written in tools/list).

const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

// SEP-2243: `region` must also travel as the `Mcp-Param-Region` HTTP header; the SDK's HTTP entry
// checks header against body before dispatch.
const CUSTOM_HEADER_SCHEMA = {
  type: 'object',
  properties: {
    region: { type: 'string', description: 'Deployment region (mirrored in Mcp-Param-Region)', 'x-mcp-header': 'Region' },
  },
  required: ['region'],
};

const SEP1034_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'User name', default: 'John Doe' },
    age: { type: 'integer', description: 'User age', default: 30 },
    score: { type: 'number', description: 'User score', default: 95.5 },
    status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
    verified: { type: 'boolean', description: 'Verification status', default: true },
  },
  required: [],
};

const SEP1330_SCHEMA = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', description: 'Untitled single-select enum', enum: ['option1', 'option2', 'option3'] },
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

/** A one-field form-mode elicitation schema: `{ <field>: <type> }`, required. */
const formSchema = (field, type = 'string') => ({
  type: 'object',
  properties: { [field]: { type } },
  required: [field],
});

const COMPLETIONS = {
  arg1: ['paris', 'park', 'party', 'test-value-1', 'testing'],
  arg2: ['world', 'wonder', 'test-value-2'],
};
const complete = (arg) => (value) => COMPLETIONS[arg].filter((v) => v.startsWith(value ?? ''));

// ---------------------------------------------------------------------------------------------
// requestState integrity: signed (HMAC-SHA256) with a key that lives as long as this process, and
// bound to the method, so a state minted for tools/call cannot be replayed on prompts/get. The
// payload names the tool that minted it; a handler refuses state minted by another tool.

const stateCodec = createRequestStateCodec({
  key: randomBytes(32),
  ttlSeconds: 600,
  bind: (ctx) => ctx.mcpReq.method,
});

/** The verified state payload of this round if it was minted by `tool`, else undefined. */
function stateFor(ctx, tool) {
  const state = ctx.mcpReq.requestState();
  if (state === undefined) return undefined;
  if (typeof state !== 'object' || state === null || state.tool !== tool) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'requestState was not issued for this tool');
  }
  return state;
}

/** The client capabilities this request declared (2026-07-28 envelope; legacy: the handshake's). */
function clientCapabilities(ctx, server) {
  return ctx.mcpReq.envelope?.['io.modelcontextprotocol/clientCapabilities'] ?? server.server.getClientCapabilities() ?? {};
}

const samplingText = (view) => {
  const content = view.result?.content;
  const block = Array.isArray(content) ? content.find((c) => c?.type === 'text') : content;
  return block?.type === 'text' ? block.text : JSON.stringify(content);
};

// ---------------------------------------------------------------------------------------------
// Server factory: one fresh instance per modern HTTP request, per legacy HTTP session, or per
// stdio connection. `era` (from the serving entry) only decides legacy-only extras.

let notifier; // createMcpHandler's `notify` facade (HTTP); undefined under stdio

function createServer({ era } = {}) {
  const legacy = era === 'legacy';
  const server = new McpServer(
    { name: 'mcproxy-modern-conformance-fixture', version: '1.0.0' },
    {
      // resources/subscribe only exists up to 2025-11-25 (2026-07-28 uses subscriptions/listen).
      capabilities: { logging: {}, completions: {}, ...(legacy && { resources: { subscribe: true } }) },
      requestState: { verify: stateCodec.verify },
    },
  );

  // --- Plain tools (same names and texts as the 2025-era fixture) -----------------------------

  // Registered first: http-header-validation calls tools/list's first tool with no arguments.
  server.registerTool('test_simple_text', { description: 'Returns a simple text response' },
    async () => textResult('This is a simple text response for testing.'));

  server.registerTool('test_image_content', { description: 'Returns an image (1x1 red PNG)' },
    async () => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }));

  server.registerTool('test_audio_content', { description: 'Returns audio content (WAV)' },
    async () => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }));

  server.registerTool('test_embedded_resource', { description: 'Returns an embedded text resource' },
    async () => ({
      content: [{
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
      }],
    }));

  server.registerTool('test_multiple_content_types', {
    description: 'Returns text, image and embedded resource content',
  }, async () => ({
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
  }));

  server.registerTool('test_error_handling', { description: 'Always returns an error result (isError: true)' },
    async () => ({ isError: true, content: [text('This tool intentionally returns an error for testing')] }));

  server.registerTool('test_tool_with_progress', {
    description: 'Reports progress 0, 50, 100 of 100 when given a progress token',
  }, async (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (const [i, progress] of [0, 50, 100].entries()) {
      if (i > 0) await sleep(50);
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100, message: `Completed step ${progress}/100` },
        });
      }
    }
    // Let the last notification leave well before the result (a stdio hop may otherwise deliver
    // both in one chunk, and SDK clients drop progress read together with the response).
    await sleep(50);
    return textResult('Tool with progress executed successfully');
  });

  // ctx.mcpReq.log honours the era's level rule: 2026-07-28 only logs when the request's _meta
  // carries io.modelcontextprotocol/logLevel; 2025 follows logging/setLevel.
  const loggingTool = (name) => async (ctx) => {
    await ctx.mcpReq.log('info', 'Tool execution started', name);
    await sleep(50);
    await ctx.mcpReq.log('info', 'Tool processing data', name);
    await sleep(50);
    await ctx.mcpReq.log('info', 'Tool execution completed', name);
    return textResult('Tool with logging executed successfully');
  };
  server.registerTool('test_tool_with_logging', { description: 'Sends three info log notifications while it runs' },
    loggingTool('test_tool_with_logging'));
  server.registerTool('test_logging_tool', {
    description: 'Logs three info messages, but only if the request asked for a log level',
  }, loggingTool('test_logging_tool'));

  server.registerTool('json_schema_2020_12_tool', {
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: fromJsonSchema(JSON_SCHEMA_2020_12),
  }, async (args) => textResult(`Received: ${JSON.stringify(args)}`));

  server.registerTool('test_custom_header_param', {
    description: 'Echoes its region argument, which is also sent as the Mcp-Param-Region header',
    inputSchema: fromJsonSchema(CUSTOM_HEADER_SCHEMA),
  }, async ({ region }) => textResult(`region=${region}`));

  // --- server-stateless hooks ------------------------------------------------------------------

  // Needs sampling; the SDK answers -32021 (MissingRequiredClientCapability, HTTP 400) when the
  // request's declared client capabilities lack it, before anything is sent.
  server.registerTool('test_missing_capability', {
    description: 'Requires the sampling client capability (asks for a completion)',
  }, async (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'completion');
    if (view.kind === 'sampling') return textResult(`LLM response: ${samplingText(view)}`);
    return inputRequired({
      inputRequests: {
        completion: inputRequired.createMessage({ messages: [{ role: 'user', content: text('Say hello') }], maxTokens: 20 }),
      },
    });
  });

  // server-stateless reads this call's response stream: on 2026-07-28 user input is asked for in
  // the result (input_required), never as an independent request on that stream.
  server.registerTool('test_streaming_elicitation', {
    description: 'Asks for user input through an input_required result',
  }, async (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'answer');
    if (view.kind === 'elicit') return textResult(`Elicitation completed: action=${view.action}, content=${JSON.stringify(view.content ?? {})}`);
    return inputRequired({
      inputRequests: { answer: inputRequired.elicit({ message: 'Please answer', requestedSchema: formSchema('answer') }) },
    });
  });

  // Change hooks for subscriptions/listen (McpServer declares tools/prompts/resources listChanged).
  server.registerTool('test_trigger_tool_change', { description: 'Announces a tools/list change' },
    async () => {
      if (notifier) notifier.toolsChanged();
      else server.sendToolListChanged();
      return textResult('tools list change announced');
    });
  server.registerTool('test_trigger_prompt_change', { description: 'Announces a prompts/list change' },
    async () => {
      if (notifier) notifier.promptsChanged();
      else server.sendPromptListChanged();
      return textResult('prompts list change announced');
    });

  // --- 2025-era client-request tools, written once as MRTR ------------------------------------

  server.registerTool('test_sampling', {
    description: 'Asks the client for an LLM completion (sampling/createMessage)',
    inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the LLM') }),
  }, async ({ prompt }, ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'completion');
    if (view.kind === 'sampling') return textResult(`LLM response: ${samplingText(view)}`);
    return inputRequired({
      inputRequests: {
        completion: inputRequired.createMessage({ messages: [{ role: 'user', content: text(prompt) }], maxTokens: 100 }),
      },
    });
  });

  server.registerTool('test_elicitation', {
    description: 'Asks the client for user input (elicitation/create)',
    inputSchema: z.object({ message: z.string().describe('The message to show the user') }),
  }, async ({ message }, ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'user_input');
    if (view.kind === 'elicit') {
      return textResult(`User response: action=${view.action}, content=${JSON.stringify(view.content ?? {})}`);
    }
    return inputRequired({
      inputRequests: {
        user_input: inputRequired.elicit({
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response" },
              email: { type: 'string', description: "User's email address" },
            },
            required: ['username', 'email'],
          },
        }),
      },
    });
  });

  for (const [name, message, schema] of [
    ['test_elicitation_sep1034_defaults', 'Please review and update the form fields with defaults', SEP1034_SCHEMA],
    ['test_elicitation_sep1330_enums', 'Please pick options from the enum fields', SEP1330_SCHEMA],
  ]) {
    server.registerTool(name, { description: `Elicits a form (${message})` }, async (ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'form');
      if (view.kind === 'elicit') {
        return textResult(`Elicitation completed: action=${view.action}, content=${JSON.stringify(view.content ?? {})}`);
      }
      return inputRequired({ inputRequests: { form: inputRequired.elicit({ message, requestedSchema: schema }) } });
    });
  }

  // --- SEP-2322 input_required scenarios -------------------------------------------------------

  const askName = () => inputRequired.elicit({ message: 'What is your name?', requestedSchema: formSchema('name') });
  const acceptedString = (ctx, key, field) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, key);
    const value = view.kind === 'elicit' && view.action === 'accept' ? view.content?.[field] : undefined;
    return typeof value === 'string' ? value : undefined;
  };

  // Also serves missing-input-response (wrong keys → asked again), ignore-extra-params (extra keys
  // ignored) and validate-input (a non-object response is no answer → asked again).
  server.registerTool('test_input_required_result_elicitation', {
    description: 'Asks for the user name (input_required), then greets',
  }, async (ctx) => {
    const name = acceptedString(ctx, 'user_name', 'name');
    if (name !== undefined) return textResult(`Hello, ${name}!`);
    return inputRequired({ inputRequests: { user_name: askName() } });
  });

  server.registerTool('test_input_required_result_sampling', {
    description: 'Asks for an LLM completion (input_required), then returns its text',
  }, async (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
    if (view.kind === 'sampling') return textResult(`LLM response: ${samplingText(view)}`);
    return inputRequired({
      inputRequests: {
        capital_question: inputRequired.createMessage({
          messages: [{ role: 'user', content: text('What is the capital of France?') }],
          maxTokens: 100,
        }),
      },
    });
  });

  server.registerTool('test_input_required_result_list_roots', {
    description: "Asks for the client's roots (input_required), then lists them",
  }, async (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
    if (view.kind === 'roots') {
      return textResult(`Client roots: ${view.roots.map((r) => (r.name ? `${r.name} (${r.uri})` : r.uri)).join(', ') || '(none)'}`);
    }
    return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
  });

  server.registerTool('test_input_required_result_request_state', {
    description: 'Asks for a confirmation with a signed requestState; answers state-ok once both return',
  }, async (ctx) => {
    const tool = 'test_input_required_result_request_state';
    const state = stateFor(ctx, tool);
    const view = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
    if (state?.step === 'confirm' && view.kind === 'elicit') {
      return textResult(`state-ok: confirmation ${view.action}, content=${JSON.stringify(view.content ?? {})}`);
    }
    return inputRequired({
      inputRequests: { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: formSchema('ok', 'boolean') }) },
      requestState: await stateCodec.mint({ tool, step: 'confirm' }, ctx),
    });
  });

  server.registerTool('test_input_required_result_multiple_inputs', {
    description: 'Asks for a name, a completion and the roots at once (input_required)',
  }, async (ctx) => {
    const tool = 'test_input_required_result_multiple_inputs';
    const state = stateFor(ctx, tool);
    const name = acceptedString(ctx, 'user_name', 'name');
    const greeting = inputResponse(ctx.mcpReq.inputResponses, 'greeting');
    const roots = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
    if (state && name !== undefined && greeting.kind === 'sampling' && roots.kind === 'roots') {
      return textResult(`name=${name}; greeting=${samplingText(greeting)}; roots=${roots.roots.map((r) => r.uri).join(', ')}`);
    }
    return inputRequired({
      inputRequests: {
        user_name: askName(),
        greeting: inputRequired.createMessage({ messages: [{ role: 'user', content: text('Generate a greeting') }], maxTokens: 50 }),
        client_roots: inputRequired.listRoots(),
      },
      requestState: await stateCodec.mint({ tool, round: 1 }, ctx),
    });
  });

  server.registerTool('test_input_required_result_multi_round', {
    description: 'Two elicitation rounds (name, then colour) with an evolving requestState',
  }, async (ctx) => {
    const tool = 'test_input_required_result_multi_round';
    const state = stateFor(ctx, tool);
    if (state?.round === 2) {
      const color = acceptedString(ctx, 'step2', 'color');
      if (color !== undefined) return textResult(`Hello, ${state.name}! Your favorite color is ${color}.`);
    }
    const name = state?.round === 1 ? acceptedString(ctx, 'step1', 'name') : undefined;
    if (state?.round === 2 || name !== undefined) {
      return inputRequired({
        inputRequests: {
          step2: inputRequired.elicit({ message: 'Step 2: What is your favorite color?', requestedSchema: formSchema('color') }),
        },
        requestState: await stateCodec.mint({ tool, round: 2, name: state?.name ?? name }, ctx),
      });
    }
    return inputRequired({
      inputRequests: { step1: inputRequired.elicit({ message: 'Step 1: What is your name?', requestedSchema: formSchema('name') }) },
      requestState: await stateCodec.mint({ tool, round: 1 }, ctx),
    });
  });

  // The integrity check itself happens in the SDK seam (requestState.verify above).
  server.registerTool('test_input_required_result_tampered_state', {
    description: 'Issues an HMAC-signed requestState and rejects it if it comes back modified',
  }, async (ctx) => {
    const tool = 'test_input_required_result_tampered_state';
    const state = stateFor(ctx, tool);
    const view = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
    if (state && view.kind === 'elicit') return textResult(`state verified: confirmation ${view.action}`);
    return inputRequired({
      inputRequests: { confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: formSchema('ok', 'boolean') }) },
      requestState: await stateCodec.mint({ tool, step: 'confirm' }, ctx),
    });
  });

  // Only asks for what the request's declared client capabilities allow.
  server.registerTool('test_input_required_result_capabilities', {
    description: 'Asks for input only through the capabilities the client declared',
  }, async (ctx) => {
    const caps = clientCapabilities(ctx, server);
    const answers = [];
    const requests = {};
    const elicited = acceptedString(ctx, 'user_name', 'name');
    const sampled = inputResponse(ctx.mcpReq.inputResponses, 'greeting');
    if (caps.elicitation) {
      if (elicited !== undefined) answers.push(`name=${elicited}`);
      else requests.user_name = askName();
    }
    if (caps.sampling) {
      if (sampled.kind === 'sampling') answers.push(`greeting=${samplingText(sampled)}`);
      else requests.greeting = inputRequired.createMessage({ messages: [{ role: 'user', content: text('Generate a greeting') }], maxTokens: 50 });
    }
    if (Object.keys(requests).length > 0) return inputRequired({ inputRequests: requests });
    return textResult(answers.length > 0 ? answers.join('; ') : 'client declared neither elicitation nor sampling');
  });

  // --- Resources ---------------------------------------------------------------------------

  server.registerResource('Static text resource', 'test://static-text', {
    description: 'A static text resource',
    mimeType: 'text/plain',
  }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));

  server.registerResource('Static binary resource', 'test://static-binary', {
    description: 'A static binary resource (1x1 red PNG)',
    mimeType: 'image/png',
  }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }));

  server.registerResource('Watched resource', 'test://watched-resource', {
    description: 'A resource that can be subscribed to',
    mimeType: 'text/plain',
  }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is a watched resource.' }] }));

  server.registerResource('Template resource', new ResourceTemplate('test://template/{id}/data', { list: undefined }), {
    description: 'A resource template with an {id} parameter',
    mimeType: 'application/json',
  }, async (uri, { id }) => ({
    contents: [{
      uri: uri.href,
      mimeType: 'application/json',
      text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
    }],
  }));
  // An unknown URI is answered by McpServer itself: -32602 with data.uri (SEP-2164).

  if (legacy) {
    // Nothing ever changes, so a subscription only has to be acknowledged.
    server.server.setRequestHandler('resources/subscribe', async () => ({}));
    server.server.setRequestHandler('resources/unsubscribe', async () => ({}));
  }

  // --- Prompts -------------------------------------------------------------------------------

  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt without arguments' },
    async () => ({ messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }] }));

  server.registerPrompt('test_prompt_with_arguments', {
    description: 'A prompt with two required arguments',
    argsSchema: z.object({
      arg1: completable(z.string().describe('First test argument'), complete('arg1')),
      arg2: completable(z.string().describe('Second test argument'), complete('arg2')),
    }),
  }, async ({ arg1, arg2 }) => ({
    messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
  }));

  server.registerPrompt('test_prompt_with_embedded_resource', {
    description: 'A prompt that embeds a resource',
    argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
  }, async ({ resourceUri }) => ({
    messages: [
      {
        role: 'user',
        content: {
          type: 'resource',
          resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
        },
      },
      { role: 'user', content: text('Please process the embedded resource above.') },
    ],
  }));

  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with image content' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: text('Please analyze the image above.') },
    ],
  }));

  server.registerPrompt('test_input_required_result_prompt', {
    description: 'Asks for context (input_required) before producing its messages',
  }, async (ctx) => {
    const context = acceptedString(ctx, 'user_context', 'context');
    if (context !== undefined) {
      return { messages: [{ role: 'user', content: text(`Prompt using context: ${context}`) }] };
    }
    return inputRequired({
      inputRequests: {
        user_context: inputRequired.elicit({
          message: 'What context should the prompt use?',
          requestedSchema: formSchema('context'),
        }),
      },
    });
  });

  return server;
}

// ---------------------------------------------------------------------------------------------
// Transports

function runStdio() {
  // The opening message picks the era; one instance is pinned for the connection.
  serveStdio((ctx) => createServer(ctx), {
    onerror: (err) => process.stderr.write(`modern fixture: ${err?.stack ?? err}\n`),
  });
}

const jsonRpcError = (status, code, message) => new Response(
  JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }),
  { status, headers: { 'content-type': 'application/json' } },
);

/**
 * 2025-era HTTP serving with sessions (Mcp-Session-Id), one instance per session, so that the
 * SDK's legacy shim can turn input_required returns into real server→client requests on the
 * call's SSE stream (the SDK's built-in stateless legacy fallback cannot receive their answers).
 */
function legacySessions() {
  const sessions = new Map(); // Mcp-Session-Id → transport
  return async (request) => {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const transport = sessions.get(sessionId);
      return transport ? transport.handleRequest(request) : jsonRpcError(404, -32001, 'Session not found');
    }
    const body = request.method === 'POST' ? await request.clone().json().catch(() => undefined) : undefined;
    if (!isInitializeRequest(body)) {
      return jsonRpcError(400, -32000, 'Bad Request: no Mcp-Session-Id and not an initialize request');
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => { sessions.set(id, transport); },
      onsessionclosed: (id) => { sessions.delete(id); },
    });
    const server = createServer({ era: 'legacy' });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      server.close().catch(() => {});
    };
    await server.connect(transport);
    return transport.handleRequest(request);
  };
}

function runHttp(port) {
  // Modern (2026-07-28) traffic goes to the SDK's per-request handler; everything the SDK
  // classifies as 2025-era goes to the sessionful leg (the composition isLegacyRequest documents).
  const modern = createMcpHandler((ctx) => createServer(ctx), {
    legacy: 'reject',
    onerror: (err) => { if (process.env.MODERN_FIXTURE_DEBUG) process.stderr.write(`modern fixture: ${err?.stack ?? err}\n`); },
  });
  const legacy = legacySessions();
  notifier = modern.notify;
  const allowedHosts = localhostAllowedHostnames();
  const allowedOrigins = localhostAllowedOrigins();

  const reject = (res, status, message) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));
  };

  const httpServer = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/mcp') return reject(res, 404, 'Not found');
    // DNS-rebinding protection: only loopback Host/Origin values get through (the SDK's handler
    // itself is validation-free by design).
    const host = validateHostHeader(req.headers.host, allowedHosts);
    if (!host.ok) return reject(res, 403, `Forbidden: ${host.message}`);
    const origin = validateOriginHeader(req.headers.origin, allowedOrigins);
    if (!origin.ok) return reject(res, 403, `Forbidden: ${origin.message}`);

    const chunks = [];
    for await (const c of req) chunks.push(c);
    const abort = new AbortController();
    res.on('close', () => abort.abort()); // ends open SSE streams (subscriptions/listen) with the client
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'host' || v === undefined) continue;
      for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
    }
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks);
    let response;
    try {
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method, headers, body, signal: abort.signal,
      });
      response = (await isLegacyRequest(request)) ? await legacy(request) : await modern.fetch(request);
    } catch (err) {
      process.stderr.write(`modern fixture: ${req.method} /mcp failed: ${err?.stack ?? err}\n`);
      if (!res.headersSent) reject(res, 500, 'Internal server error');
      return;
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) { res.end(); return; }
    try {
      for await (const chunk of response.body) res.write(chunk);
    } catch { /* the client went away */ }
    res.end();
  });

  httpServer.on('error', (err) => {
    process.stderr.write(`modern fixture: cannot listen: ${err.message}\n`);
    process.exit(1);
  });
  httpServer.listen(port, '127.0.0.1', () => {
    process.stderr.write(`listening on http://127.0.0.1:${httpServer.address().port}/mcp\n`);
  });
  const shutdown = () => {
    modern.close().catch(() => {});
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
    process.stderr.write('usage: modern-fixture-server.mjs [--http PORT]\n');
    process.exit(2);
  }
  runHttp(port);
} else {
  runStdio();
}
