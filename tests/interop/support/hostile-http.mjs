// node:http fixtures for the upstream fault tests (faults-upstream.test.mjs). No real MCP
// server misbehaves on demand, so these small servers play the part:
//
// startHostileServer(): a Streamable HTTP MCP server on 127.0.0.1 that answers initialize,
//   ping and tools/list properly, then answers tools/call by tool name with:
//     endless-sse  an SSE response whose single `data:` line never ends (bytes forever);
//     endless-lines an SSE response of `data:` lines that never ends (no blank line, so
//                  the event never completes);
//     huge-json    a 200 MB application/json body;
//     garbage      HTTP 200 application/json whose body is binary garbage;
//     deep-100     a valid JSON-RPC result nested 100 levels deep;
//     deep-60      the same, 60 levels deep (within the depth a proxy should accept);
//     ok           a normal result.
//   Its legacy HTTP+SSE face (GET /sse + POST /messages) serves the same tools, except that
//   `endless-stream` there starts an endless `data:` line on the GET stream itself, and
//   `endless-stream-lines` endless `data:` lines (no blank line).
//   `stats.bytesSent` counts the hostile bytes written; `stop()` ends every writer.
//
// startRecordingServer({port}): a well-behaved Streamable HTTP MCP server that records every
//   tools/call it receives and has a tool `hang` that never answers and `echo`. Like the
//   reference server-everything, it answers an unknown Mcp-Session-Id with HTTP 400
//   "Bad Request: No valid session ID provided". kill() drops every connection and stops
//   listening, as a crashed server would; a new one can then listen on the same port.
import http from 'node:http';

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

/** A JSON text nested `depth` levels deep in total, as a JSON-RPC result for `id`. */
export function deepReply(id, depth) {
  // {"jsonrpc":..,"id":..,"result":{"content":[{..}],"deep":[[...]]}} : 1 (message) + 1
  // (result) + the arrays under "deep".
  const arrays = depth - 2;
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"deep ${depth}"}],"deep":${'['.repeat(arrays)}${']'.repeat(arrays)}}}`;
}

const TOOLS = ['endless-sse', 'endless-lines', 'huge-json', 'garbage', 'deep-100', 'deep-60', 'ok', 'endless-stream', 'endless-stream-lines'].map((name) => ({
  name,
  description: `hostile: ${name}`,
  inputSchema: { type: 'object', properties: {} },
}));

/** Writes `chunk` to `res` until it closes or `isStopped()`; honours backpressure. */
async function writeForever(res, chunk, stats, isStopped) {
  while (!res.destroyed && !res.writableEnded && !isStopped()) {
    stats.bytesSent += chunk.length;
    if (!res.write(chunk)) await drained(res);
  }
}

/** Resolves on 'drain' or 'close' of `res`, whichever comes first. */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startHostileServer() {
  const stats = { bytesSent: 0, calls: [] };
  let stopped = false;
  const isStopped = () => stopped;
  const sessionId = `hostile-${process.pid}-${Date.now()}`;
  const legacyStreams = new Map(); // legacy session id -> SSE response
  const filler = Buffer.alloc(64 * 1024, 'x');
  const line = Buffer.from(`data: ${'y'.repeat(64 * 1024 - 7)}\n`); // one 64 KB data: line

  // What a tools/call gets; `send(text)` delivers a JSON text the normal way.
  async function answerCall(message, res, send, legacyStream) {
    const name = message.params?.name;
    stats.calls.push(name);
    const id = message.id;
    switch (name) {
      case 'ok':
        return send(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } }));
      case 'deep-100':
        return send(deepReply(id, 100));
      case 'deep-60':
        return send(deepReply(id, 60));
      case 'garbage': {
        const junk = Buffer.alloc(8192);
        for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) % 256;
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': sessionId });
        return res.end(junk);
      }
      case 'huge-json': {
        const total = 200 * 1024 * 1024;
        const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`;
        const tail = '"}]}}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': total, 'mcp-session-id': sessionId });
        res.write(head);
        let left = total - head.length - tail.length;
        stats.bytesSent += head.length;
        while (left > 0 && !res.destroyed && !stopped) {
          const piece = left >= filler.length ? filler : filler.subarray(0, left);
          left -= piece.length;
          stats.bytesSent += piece.length;
          if (!res.write(piece)) await drained(res);
        }
        if (!res.destroyed) res.end(tail);
        return undefined;
      }
      case 'endless-sse': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': sessionId });
        res.write(`event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`);
        return writeForever(res, filler, stats, isStopped);
      }
      case 'endless-lines': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': sessionId });
        res.write('event: message\n');
        return writeForever(res, line, stats, isStopped);
      }
      case 'endless-stream-lines': {
        if (!legacyStream) return send(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message: 'legacy only' } }));
        legacyStream.write('event: message\n');
        return writeForever(legacyStream, line, stats, isStopped);
      }
      case 'endless-stream': {
        if (!legacyStream) return send(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message: 'legacy only' } }));
        legacyStream.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"');
        return writeForever(legacyStream, filler, stats, isStopped);
      }
      default:
        return send(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool ${name}` } }));
    }
  }

  function answerRequest(message) {
    switch (message.method) {
      case 'initialize':
        return {
          result: {
            protocolVersion: message.params?.protocolVersion ?? '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'mcproxy-hostile-fixture', version: '0.0.0' },
          },
        };
      case 'ping':
        return { result: {} };
      case 'tools/list':
        return { result: { tools: TOOLS } };
      default:
        return { error: { code: -32601, message: `Method not found: ${message.method}` } };
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    res.on('error', () => {});
    if (req.method === 'GET' && url.pathname === '/sse') {
      const id = `legacy${legacyStreams.size + 1}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
      legacyStreams.set(id, res);
      res.on('close', () => legacyStreams.delete(id));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const stream = legacyStreams.get(url.searchParams.get('sessionId'));
      if (!stream) return json(res, 404, { error: 'unknown session' });
      const message = JSON.parse(await readBody(req));
      res.writeHead(202).end();
      if (message.id === undefined || !message.method) return;
      const send = (text) => stream.write(`event: message\ndata: ${text}\n\n`);
      if (message.method === 'tools/call') return answerCall(message, res, send, stream);
      return send(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...answerRequest(message) }));
    }
    if (url.pathname !== '/mcp') return json(res, 404, { error: 'not found' });
    if (req.method === 'GET') return res.writeHead(405, { allow: 'POST, DELETE' }).end();
    if (req.method === 'DELETE') return res.writeHead(200).end();
    if (req.method !== 'POST') return res.writeHead(405).end();
    let message;
    try {
      message = JSON.parse(await readBody(req));
    } catch {
      return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    if (message.id === undefined || !message.method) return res.writeHead(202).end();
    const send = (text) => {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': sessionId });
      res.end(text);
    };
    if (message.method === 'tools/call') return answerCall(message, res, send, null);
    return send(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...answerRequest(message) }));
  });
  server.on('clientError', (err, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const stop = () => {
    stopped = true;
  };
  const close = () =>
    new Promise((resolve) => {
      stopped = true;
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return {
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    sseUrl: `http://127.0.0.1:${port}/sse`,
    stats,
    stop,
    close,
  };
}

export async function startRecordingServer({ port = 0, name = 'recorder' } = {}) {
  const calls = []; // {tool, sessionId}
  const sessionId = `${name}-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const hanging = new Set();
  const server = http.createServer(async (req, res) => {
    res.on('error', () => {});
    if (req.method === 'GET') return res.writeHead(405, { allow: 'POST, DELETE' }).end();
    if (req.method === 'DELETE') return res.writeHead(200).end();
    const body = await readBody(req);
    let message;
    try {
      message = JSON.parse(body);
    } catch {
      return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    const given = req.headers['mcp-session-id'];
    if (message.method !== 'initialize' && given !== sessionId) {
      // What server-everything 2026.8.31 answers for a session it does not know.
      return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: No valid session ID provided' } });
    }
    if (message.id === undefined || !message.method) return res.writeHead(202).end();
    const reply = (payload) => json(res, 200, { jsonrpc: '2.0', id: message.id, ...payload }, { 'mcp-session-id': sessionId });
    switch (message.method) {
      case 'initialize':
        return reply({
          result: {
            protocolVersion: message.params?.protocolVersion ?? '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'mcproxy-recording-fixture', version: '0.0.0' },
          },
        });
      case 'ping':
        return reply({ result: {} });
      case 'tools/list':
        return reply({
          result: {
            tools: [
              { name: 'hang', description: 'Never answers.', inputSchema: { type: 'object', properties: {} } },
              { name: 'echo', description: 'Echo.', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
            ],
          },
        });
      case 'tools/call':
        calls.push({ tool: message.params?.name, sessionId: given });
        if (message.params?.name === 'hang') {
          hanging.add(res);
          return undefined; // never answered
        }
        return reply({ result: { content: [{ type: 'text', text: `Echo: ${message.params?.arguments?.message}` }] } });
      default:
        return reply({ error: { code: -32601, message: `Method not found: ${message.method}` } });
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  const kill = () =>
    new Promise((resolve) => {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return { port: actual, url: `http://127.0.0.1:${actual}/mcp`, calls, kill };
}
