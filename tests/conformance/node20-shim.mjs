// Node 20 compatibility shim for @modelcontextprotocol/conformance (0.1.16 and 0.2.0-alpha.10).
//
// The CLI's bundle (dist/index.js) has `import { globSync, ... } from "fs"`. `fs.globSync`
// only exists from Node 22, so on Node 20 the ES module fails to link before any code runs
// ("The requested module 'fs' does not provide an export named 'globSync'"). The function is
// only used by the `tier-check` command, never by `server`/`client`/`list`.
//
// Use: node --import <this file> .../conformance/dist/index.js server --url ...
//
// When fs.globSync is missing, this registers module-loader hooks (module.register, Node ≥ 20.6)
// that redirect the `fs` / `node:fs` imports of the conformance package (and only those) to a
// small synthetic module: everything node:fs exports, plus a `globSync` that throws if called.
// On Node ≥ 22 it does nothing.
import fs from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// The synthetic module is addressed as this file's URL plus a marker query string.
const SHIM_QUERY = '?node20-fs-globSync-shim';
// Both pinned releases: 0.1.16 under its own name, 0.2.0-alpha.10 under the npm alias
// conformance-2026 (its 2026-07-28 requirement set).
const CONFORMANCE_PKGS = ['/node_modules/@modelcontextprotocol/conformance/', '/node_modules/conformance-2026/'];

const SHIM_SOURCE = `
export * from 'node:fs';
export { default } from 'node:fs';
export function globSync() {
  throw new Error('fs.globSync is not available on Node ' + process.versions.node +
    ' (needs Node >= 22); it is only used by the conformance "tier-check" command');
}
`;

// The hooks run in a separate loader thread, which imports this same file: register only from
// the main thread, and only when the export is really missing.
if (isMainThread && typeof fs.globSync !== 'function') {
  register(import.meta.url);
}

/** Loader hook: send the conformance package's `fs` imports to the synthetic module. */
export async function resolve(specifier, context, nextResolve) {
  if (
    (specifier === 'fs' || specifier === 'node:fs') &&
    CONFORMANCE_PKGS.some((pkg) => context.parentURL?.includes(pkg))
  ) {
    return { url: new URL(SHIM_QUERY, import.meta.url).href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

/** Loader hook: serve the synthetic module's source. */
export async function load(url, context, nextLoad) {
  if (url.endsWith(SHIM_QUERY)) {
    return { format: 'module', source: SHIM_SOURCE, shortCircuit: true };
  }
  return nextLoad(url, context);
}
