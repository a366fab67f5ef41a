#!/usr/bin/env node
// Run the MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, installed in
// tests/node_modules by tests/package-lock.json; no network fetch) against a running
// Streamable HTTP server, and summarize each scenario's checks.json as a PASS/FAIL table.
//
//   node tests/conformance/run-conformance.mjs --url http://localhost:PORT/mcp
//        [--scenario NAME]... [--suite active|all|pending] [--keep] [--verbose]
//
// Exit status: 0 if every scenario passed, 1 if any failed (or the CLI could not run), 2 on
// bad usage. A scenario passes when none of its checks has status FAILURE (WARNINGs are shown
// but, as in the CLI itself, do not fail it).
//
// Results go to a fresh temp dir (-o DIR), never inside the repo; it is deleted afterwards
// unless --keep is given. On Node < 22 the CLI is started with --import node20-shim.mjs (see
// that file: it supplies the fs.globSync export the bundle imports).
//
// Also usable as a module: `runConformance({url, ...})` → {ok, results, outputDir, ...}, and
// `formatTable(results)`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The conformance CLI entry (package.json "bin": dist/index.js). */
export const conformanceCli = path.join(
  here,
  '..',
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);
/** The 2026-07-28 requirement set's release (0.2.0-alpha.10, under the npm alias conformance-2026). */
export const conformance2026Cli = path.join(here, '..', 'node_modules', 'conformance-2026', 'dist', 'index.js');
export const shimPath = path.join(here, 'node20-shim.mjs');

const DEFAULT_TIMEOUT_MS = 240_000;

/**
 * The "active" server suite of conformance 0.1.16, in the order the CLI runs it: every server
 * scenario except the pending json-schema-2020-12 and server-sse-polling (30 scenarios; the
 * same set as the frozen 2025-11-25 server requirements).
 */
export const ACTIVE_SERVER_SCENARIOS = Object.freeze([
  'server-initialize',
  'logging-set-level',
  'ping',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-with-logging',
  'tools-call-error',
  'tools-call-with-progress',
  'tools-call-sampling',
  'tools-call-elicitation',
  'elicitation-sep1034-defaults',
  'server-sse-multiple-streams',
  'elicitation-sep1330-enums',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
]);

// Result dirs are named <outdir>/server-<scenario>-<ISO time with ':' and '.' → '-'>.
const RESULT_DIR_RE = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

/** Node arguments needed to run the CLI on this Node version. */
export function nodeArgs() {
  return typeof fs.globSync === 'function' ? [] : ['--import', pathToFileURL(shimPath).href];
}

/**
 * Run `conformance server --url URL -o TMP` (once for the whole suite, or once per entry of
 * `scenarios`) and read every checks.json.
 *
 * @param {object} opts
 * @param {string} opts.url            server URL (use localhost for dns-rebinding-protection)
 * @param {string[]} [opts.scenarios]  run only these scenarios (default: the whole suite)
 * @param {string} [opts.suite]        'active' (default), 'all' or 'pending'
 * @param {boolean} [opts.keep]        keep the temp results dir
 * @param {number} [opts.timeoutMs]    per CLI run
 * @param {(chunk: string) => void} [opts.onOutput]  receives the CLI's stdout/stderr
 * @param {string} [opts.cli]          the CLI entry (default: 0.1.16's; conformance2026Cli for 2026-07-28)
 * @param {string[]} [opts.extraArgs]  more CLI arguments (e.g. ['--spec-version', '2026-07-28'])
 * @returns {Promise<{ok: boolean, results: object[], outputDir: string|null, cliOutput: string,
 *   exitCodes: number[]}>}
 *   results: [{scenario, status: 'PASS'|'FAIL', passed, failed, warnings, failures: [{id, name,
 *   errorMessage, details}], warningChecks, checks, dir}]
 */
export async function runConformance({
  url,
  scenarios,
  suite = 'active',
  keep = false,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  onOutput,
  cli = conformanceCli,
  extraArgs = [],
} = {}) {
  if (!url) throw new Error('runConformance: url is required');
  if (!fs.existsSync(cli)) {
    throw new Error(`${cli} not found: run \`npm ci\` in ${path.dirname(path.dirname(cli))}`);
  }
  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcproxy-conformance-'));
  let cliOutput = '';
  const exitCodes = [];
  // Scenarios we expect results for; one that leaves no checks.json is reported as failed.
  const attempted = scenarios?.length ? [] : suite === 'active' ? [...ACTIVE_SERVER_SCENARIOS] : [];
  try {
    const runs = scenarios?.length
      ? scenarios.map((s) => ['--scenario', s])
      : [['--suite', suite]];
    for (const extra of runs) {
      const args = [...nodeArgs(), cli, 'server', '--url', url, '-o', outputDir, ...extraArgs, ...extra];
      const { code, output } = await runCli(args, { cwd: outputDir, timeoutMs, onOutput });
      cliOutput += output;
      exitCodes.push(code);
      if (extra[0] === '--scenario') attempted.push(extra[1]);
    }
    // With --suite the CLI announces each scenario before running it.
    for (const m of cliOutput.matchAll(/^=== Running scenario: (\S+) ===$/gm)) {
      if (!attempted.includes(m[1])) attempted.push(m[1]);
    }
    const results = collectResults(outputDir, attempted);
    const cliFailed = exitCodes.some((c) => c !== 0);
    const ok = results.length > 0 && results.every((r) => r.status === 'PASS') && !cliFailed;
    return { ok, results, outputDir: keep ? outputDir : null, cliOutput, exitCodes };
  } finally {
    if (!keep) fs.rmSync(outputDir, { recursive: true, force: true });
  }
}

function runCli(args, { cwd, timeoutMs, onOutput }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let output = '';
    const onData = (d) => {
      const s = d.toString('utf8');
      output += s;
      onOutput?.(s);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      output += `\n[run-conformance] CLI timed out after ${timeoutMs} ms, killing it\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}\n[run-conformance] cannot start CLI: ${err.message}\n` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), output });
    });
  });
}

/** Read <dir>/server-<scenario>-<time>/checks.json for every scenario (attempted ones first). */
export function collectResults(dir, attempted = []) {
  const found = new Map();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const m = RESULT_DIR_RE.exec(entry.name);
    if (!m) continue;
    found.set(m[1], path.join(dir, entry.name));
  }
  const names = [...attempted, ...[...found.keys()].filter((n) => !attempted.includes(n))];
  return names.map((scenario) => {
    const resultDir = found.get(scenario);
    const file = resultDir && path.join(resultDir, 'checks.json');
    if (!file || !fs.existsSync(file)) {
      const failure = {
        id: scenario,
        name: scenario,
        errorMessage: 'no checks.json written (the scenario crashed; see the CLI output)',
      };
      return {
        scenario, status: 'FAIL', passed: 0, failed: 1, warnings: 0,
        failures: [failure], warningChecks: [], checks: [], dir: resultDir ?? null,
      };
    }
    const checks = JSON.parse(fs.readFileSync(file, 'utf8'));
    const pick = (status) => checks.filter((c) => c.status === status);
    const failures = pick('FAILURE').map(({ id, name, errorMessage, details }) => ({
      id, name, errorMessage, details,
    }));
    const warningChecks = pick('WARNING').map(({ id, name, errorMessage }) => ({ id, name, errorMessage }));
    return {
      scenario,
      status: failures.length === 0 && checks.length > 0 ? 'PASS' : 'FAIL',
      passed: pick('SUCCESS').length,
      failed: failures.length,
      warnings: warningChecks.length,
      failures,
      warningChecks,
      checks,
      dir: resultDir,
    };
  });
}

/** A plain-text PASS/FAIL table, one row per scenario, failure reasons underneath. */
/** One failed check as a line: id, message, and a bounded excerpt of its details. */
export function describeFailure(f) {
  let line = `${f.id}: ${f.errorMessage ?? '(no message)'}`;
  if (f.details !== undefined) {
    const details = JSON.stringify(f.details);
    line += `\n      details: ${details.length > 600 ? `${details.slice(0, 600)}…` : details}`;
  }
  return line;
}

export function formatTable(results) {
  const width = Math.max(8, ...results.map((r) => r.scenario.length));
  const lines = [`${'scenario'.padEnd(width)}  result  checks`, `${'-'.repeat(width)}  ------  ------`];
  for (const r of results) {
    const counts = `${r.passed}/${r.passed + r.failed}${r.warnings ? ` (${r.warnings} warning${r.warnings > 1 ? 's' : ''})` : ''}`;
    lines.push(`${r.scenario.padEnd(width)}  ${r.status.padEnd(6)}  ${counts}`);
    for (const f of r.failures) lines.push(`${' '.repeat(width)}    ✗ ${f.id}: ${f.errorMessage ?? '(no message)'}`);
    for (const w of r.warningChecks) lines.push(`${' '.repeat(width)}    ! ${w.id}: ${w.errorMessage ?? '(no message)'}`);
  }
  const pass = results.filter((r) => r.status === 'PASS').length;
  lines.push('', `${pass}/${results.length} scenarios passed`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

function usage(msg) {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write(
    'usage: run-conformance.mjs --url URL [--scenario NAME]... [--suite active|all|pending] [--keep] [--verbose]\n',
  );
  process.exit(2);
}

async function main(argv) {
  const opts = { scenarios: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--url') opts.url = value();
    else if (a === '--scenario') opts.scenarios.push(value());
    else if (a === '--suite') opts.suite = value();
    else if (a === '--keep') opts.keep = true;
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument: ${a}`);
  }
  if (!opts.url) usage('--url is required');

  const run = await runConformance({
    url: opts.url,
    scenarios: opts.scenarios,
    suite: opts.suite,
    keep: opts.keep,
    onOutput: opts.verbose ? (s) => process.stderr.write(s) : undefined,
  });
  console.log(formatTable(run.results));
  if (run.outputDir) console.log(`results kept in ${run.outputDir}`);
  if (run.exitCodes.some((c) => c !== 0) && run.results.every((r) => r.status === 'PASS')) {
    console.log(`conformance CLI exited with ${run.exitCodes.join(', ')}; its output:\n${run.cliOutput}`);
  }
  if (run.results.length === 0) console.log(`no results; CLI output:\n${run.cliOutput}`);
  process.exit(run.ok ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
