// MCProxy module SDK for Node.js (no dependencies): speaks the module protocol of
// docs/MODULES.md on stdin/stdout (runModule), or over HTTP (serveModule). A module says which
// MCP methods it wants to see and answers each message with an action:
//
//   import { runModule, proceed, replaceParams, replaceResult, respond, refuse } from './mcproxy-module.mjs';
//   runModule({
//     name: 'policy', version: '1.0.0',
//     requests: ['tools/call'],                 // requests it sees before they go on
//     results: ['tools/list'],                  // results it sees on their way back
//     onRequest({ method, params, context }) { return proceed(); },
//     onResult({ method, params, result, context }) { return replaceResult(result); },
//   });
//
// Handlers may be async; many messages are in flight at once. stdout carries the protocol:
// log to stderr (console.error), which MCProxy writes to its own log.
import readline from 'node:readline';

export const PROTOCOL_VERSION = '2026-12-01';

/** Let the message through unchanged. */
export const proceed = () => ({ action: 'continue' });
/** A request goes on with new params. */
export const replaceParams = (params) => ({ action: 'replace', params });
/** A result replaced by a new one of the same method. */
export const replaceResult = (result) => ({ action: 'replace', result });
/** Answer a request here (it goes no further). */
export const respond = (result) => ({ action: 'respond', result });
/** Refuse a request with a JSON-RPC error (default -32602, "Invalid params"). */
export const refuse = (message, code = -32602, data) => ({ action: 'respond', error: { code, message, ...(data ? { data } : {}) } });

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** The response to one protocol request (null for a notification), from a module definition. */
function handlerOf({ name, version = '0.0.0', requests = [], results = [], onInitialize, onRequest, onResult }) {
  return async (msg) => {
    const { id, method, params } = msg;
    const reply = (body) => (id === undefined ? null : { jsonrpc: '2.0', id, ...body });
    try {
      let result;
      if (method === 'module/initialize') {
        if (params?.protocolVersion !== PROTOCOL_VERSION) {
          console.error(`${name}: MCProxy speaks module protocol ${params?.protocolVersion}, this SDK ${PROTOCOL_VERSION}`);
        }
        if (onInitialize) await onInitialize(params?.config ?? {}, params?.site ?? null);
        result = { protocolVersion: PROTOCOL_VERSION, name, version, capabilities: { requests, results } };
      } else if (method === 'module/request') {
        result = onRequest ? await onRequest(params) : proceed();
      } else if (method === 'module/result') {
        result = onResult ? await onResult(params) : proceed();
      } else {
        return reply({ error: { code: -32601, message: `Method not found: ${method}` } });
      }
      return reply({ result: result ?? proceed() });
    } catch (e) {
      console.error(`${name}: ${method} failed: ${e?.stack ?? e}`);
      return reply({ error: { code: -32603, message: String(e?.message ?? e) } });
    }
  };
}

/**
 * Runs the module on stdin/stdout (a local module) until stdin closes. `onInitialize(config,
 * site)` (optional) receives the "config" object of the module's entry in MCProxy's
 * configuration and the server it sits in front of (null at proxy level).
 */
export function runModule(definition) {
  const handle = handlerOf(definition);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (msg.method) handle(msg).then((response) => response && send(response));
  });
  rl.on('close', () => process.exit(0));
}

/**
 * Serves the module over HTTP (a remote module): each POST carries one protocol request and
 * its response carries the answer. Resolves the node:http server once it listens
 * (`{port, host}`; host defaults to 127.0.0.1). Put TLS and authentication in front, or check
 * `request.headers` in `authorize(headers)` (false: 401).
 */
export async function serveModule(definition, { port = 0, host = '127.0.0.1', authorize } = {}) {
  const { createServer } = await import('node:http');
  const handle = handlerOf(definition);
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST') return res.writeHead(405, { allow: 'POST' }).end();
    if (authorize && !(await authorize(req.headers))) return res.writeHead(401).end();
    let body = '';
    for await (const chunk of req) body += chunk;
    let msg;
    try {
      msg = JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
    }
    const response = await handle(msg);
    if (!response) return res.writeHead(202).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
