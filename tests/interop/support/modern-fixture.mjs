// Starting support/modern-server.mjs over HTTP for a test, and reading what it logged.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const modernServer = fileURLToPath(new URL('./modern-server.mjs', import.meta.url));

/** Starts the modern server on a free loopback port, logging to `log`; resolves {proc, url}. */
export async function startModernHttpServer(log) {
  const proc = spawn(process.execPath, [modernServer, '--http', '0'], {
    env: { ...process.env, MODERN_SERVER_LOG: log }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => { const m = String(d).match(/listening on (\S+)/); if (m) resolve(m[1]); });
    proc.on('exit', (code) => reject(new Error(`the modern HTTP fixture exited (${code})`)));
  });
  return { proc, url };
}

/** The requests the modern server logged to `file` (one JSON object each). */
export const readLog = (file) => (fs.existsSync(file)
  ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
