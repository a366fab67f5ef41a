// Fixture MCP server (stdio, raw JSON-RPC lines, no SDK) for the malformed-answer and JSON depth
// tests. The reference servers (and any SDK-built server) only ever send well-formed results
// of ordinary depth, so a hand-written server is the only way to show what the proxy does with
// a broken or very deep answer. It answers:
//
//   initialize      capabilities tools + tasks (list, cancel, tools/call)
//   ping            {}
//   tools/list      `nest` {depth}: answers with a result whose whole JSON-RPC message is
//                   exactly `depth` levels of objects/arrays deep (the nesting sits in
//                   structuredContent); `echo-arguments`: answers with the call's `arguments`
//                   unchanged as structuredContent (so a deep request comes back as it arrived)
//   tasks/list      the JSON text given as --tasks-result (default {"tasks": []}), verbatim as
//                   the `result`: the test decides how malformed it is
//   tasks/get, tasks/result, tasks/cancel   -32602 unknown task
//
// Usage: node raw-backend.mjs [--tasks-result JSON]
// Every message received is appended (one JSON line each) to $RAW_BACKEND_LOG when it is set.
import fs from 'node:fs';
import readline from 'node:readline';

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const tasksResultText = flag('--tasks-result') ?? '{"tasks": []}';
const logFile = process.env.RAW_BACKEND_LOG;

// tasks/list answers are written as raw text, exactly as given on the command line.
const sendRaw = (text) => process.stdout.write(`${text}\n`);
const send = (message) => sendRaw(JSON.stringify(message));

/** `levels` nested objects: {"d": {"d": ... {"leaf": "bottom"}}}; levels >= 1. */
function nested(levels) {
  let v = { leaf: 'bottom' };
  for (let i = 1; i < levels; i++) v = { d: v };
  return v;
}

const tools = [
  {
    name: 'nest',
    description: 'Answers with a result nested `depth` levels deep (whole JSON-RPC message).',
    inputSchema: { type: 'object', properties: { depth: { type: 'integer' } }, required: ['depth'] },
  },
  {
    name: 'echo-arguments',
    description: 'Answers with its arguments unchanged, as structuredContent.',
    inputSchema: { type: 'object' },
  },
];

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (logFile) fs.appendFileSync(logFile, `${line}\n`);
  const { id, method, params } = message;
  if (id === undefined || !method) return; // notifications and responses
  const reply = (result) => send({ jsonrpc: '2.0', id, result });
  const fail = (code, text) => send({ jsonrpc: '2.0', id, error: { code, message: text } });
  switch (method) {
    case 'initialize':
      return reply({
        protocolVersion: params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
        serverInfo: { name: 'mcproxy-raw-fixture', version: '0.0.0' },
      });
    case 'ping':
      return reply({});
    case 'tools/list':
      return reply({ tools });
    case 'tools/call': {
      const args = params?.arguments ?? {};
      if (params?.name === 'nest') {
        const depth = Number(args.depth);
        if (!Number.isInteger(depth) || depth < 3) return fail(-32602, 'depth must be an integer >= 3');
        // message (1) > result (2) > structuredContent (3) > ...: depth - 2 levels inside result.
        return reply({ content: [{ type: 'text', text: `nested ${depth}` }], structuredContent: nested(depth - 2) });
      }
      if (params?.name === 'echo-arguments')
        return reply({ content: [{ type: 'text', text: 'echoed' }], structuredContent: args });
      return fail(-32602, `Unknown tool: ${params?.name}`);
    }
    case 'tasks/list':
      return sendRaw(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${tasksResultText}}`);
    case 'tasks/get':
    case 'tasks/result':
    case 'tasks/cancel':
      return fail(-32602, `Unknown task: ${params?.taskId}`);
    default:
      return fail(-32601, `Method not found: ${method}`);
  }
});
