// A legacy stdio server that exits when its first message is not initialize, as servers built on
// SDKs that terminate on any pre-initialize request do: it reads the first line itself, exits on
// anything else, and otherwise hands the line and the rest of stdin to server-everything.
// Counts its starts in $STRICT_SERVER_LOG (one line per start: "exit" or "serve").
import { spawn } from 'node:child_process';
import fs from 'node:fs';

import { serverPaths } from './proxy.mjs';

const log = process.env.STRICT_SERVER_LOG;
let buffered = '';
const onData = (chunk) => {
  buffered += chunk.toString('utf8');
  const nl = buffered.indexOf('\n');
  if (nl < 0) return;
  process.stdin.off('data', onData);
  const first = buffered.slice(0, nl + 1);
  let method;
  try { method = JSON.parse(first).method; } catch { method = undefined; }
  if (method !== 'initialize') {
    if (log) fs.appendFileSync(log, 'exit\n');
    process.exit(3);
  }
  if (log) fs.appendFileSync(log, 'serve\n');
  const child = spawn(process.execPath, [serverPaths().everything], { stdio: ['pipe', 'inherit', 'inherit'] });
  child.stdin.write(buffered);
  process.stdin.pipe(child.stdin);
  process.stdin.on('end', () => child.stdin.end());
  child.on('exit', (code) => process.exit(code ?? 0));
};
process.stdin.on('data', onData);
