// Helpers for the middleware interop tests: configs that put `httpServer.middleware` in front of
// (a subset of) the reference servers, temp directories, and assertions on JSON-RPC errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { McpError } from '@modelcontextprotocol/sdk/types.js';

import { threeServerConfig } from './proxy.mjs';

/**
 * A fresh temp directory, resolved with realpath (server-filesystem compares resolved paths and
 * os.tmpdir() may be a symlink).
 */
export function makeTempDir(prefix) {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/**
 * Proxy config with the named reference servers (default: all three; filesystem rooted at
 * `dir`, memory storing its graph in `dir`) and `middleware` as `httpServer.middleware`.
 */
export function middlewareConfig(dir, middleware, { servers = ['everything', 'filesystem', 'memory'] } = {}) {
  const all = threeServerConfig(dir).mcpServers;
  const mcpServers = {};
  for (const name of servers) mcpServers[name] = all[name];
  return { mcpServers, httpServer: { middleware } };
}

/** `s` with every RE2/JS regex metacharacter escaped. */
export const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Await `promise`, which must reject with an McpError of `code`; returns the error so callers
 * can look at its message and data.
 */
export async function mcpErrorOf(promise, code) {
  let error;
  try {
    const result = await promise;
    assert.fail(`expected McpError ${code}, got a result: ${JSON.stringify(result).slice(0, 500)}`);
  } catch (err) {
    error = err;
  }
  if (error?.code === 'ERR_ASSERTION') throw error;
  assert.ok(error instanceof McpError, `not an McpError: ${error?.stack ?? error}`);
  assert.equal(error.code, code, `wrong error code: ${error.message}`);
  return error;
}

/** Lines of a file (empty lines dropped); [] while it does not exist. */
export function fileLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

/** The tool hits of a search_tools result (structuredContent, else the JSON text). */
export function searchHits(result) {
  if (result.structuredContent?.tools) return result.structuredContent.tools;
  const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
  return JSON.parse(text);
}
