// Fixture MCP server (stdio, raw JSON-RPC lines, no SDK) for the request-timeout test: it
// answers initialize, ping and tools/list (one tool, `hang`), and never answers tools/call.
// Every message it receives is appended, one JSON line each, to the file named by
// $HANGING_SERVER_LOG, so the test can see the notifications/cancelled the proxy sends.
import fs from 'node:fs';
import readline from 'node:readline';

const logFile = process.env.HANGING_SERVER_LOG;
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (logFile) fs.appendFileSync(logFile, `${JSON.stringify(message)}\n`);
  const { id, method, params } = message;
  if (id === undefined || !method) return; // notifications and responses: nothing to answer
  switch (method) {
    case 'initialize':
      send({
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: params?.protocolVersion ?? '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'mcproxy-hanging-fixture', version: '0.0.0' },
        },
      });
      break;
    case 'ping':
      send({ jsonrpc: '2.0', id, result: {} });
      break;
    case 'tools/list':
      send({
        jsonrpc: '2.0',
        id,
        result: {
          tools: [
            {
              name: 'hang',
              description: 'Never answers.',
              inputSchema: { type: 'object', properties: {} },
            },
          ],
        },
      });
      break;
    case 'tools/call':
      break; // never answered
    default:
      send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
});
