#!/usr/bin/env node
// An MCProxy module that refuses tools/call by argument pattern, with a reason.
// TypeScript users: mcproxy-module.d.ts types every message and action (checked with
// `// @ts-check` below by any TypeScript-aware editor; Node 20 runs this file as it is).
//
// Config: {"deny": [{"tool": "regex", "argument": "name", "pattern": "regex", "reason": "..."}]}
//   tool      a regex on the tool's name as the module sees it (default: every tool)
//   argument  which argument to test (default: the JSON text of all of them)
// @ts-check
import { refuse, proceed, runModule } from '../../sdk/node/mcproxy-module.mjs';

/** @type {{tool: RegExp, argument?: string, pattern: RegExp, reason: string}[]} */
let rules = [];

runModule({
  name: 'policy',
  version: '1.0.0',
  requests: ['tools/call'],
  onInitialize(config) {
    const deny = Array.isArray(config.deny) ? config.deny : [];
    rules = deny.map((/** @type {any} */ r) => ({
      tool: new RegExp(r.tool ?? '.*'),
      argument: r.argument,
      pattern: new RegExp(r.pattern),
      reason: String(r.reason ?? 'refused by policy'),
    }));
    console.error(`policy: ${rules.length} rule(s)`);
  },
  /** @param {import('../../sdk/node/mcproxy-module.d.ts').RequestMessage} message */
  onRequest({ params, context }) {
    const name = String(params.name ?? '');
    const args = /** @type {Record<string, unknown>} */ (params.arguments ?? {});
    for (const rule of rules) {
      if (!rule.tool.test(name)) continue;
      const subject = rule.argument ? String(args[rule.argument] ?? '') : JSON.stringify(args);
      if (rule.pattern.test(subject)) {
        console.error(`policy: refused ${name} for session ${context.session}: ${rule.reason}`);
        return refuse(`Refused by policy: ${rule.reason}`, -32602, { module: 'policy', tool: name });
      }
    }
    return proceed();
  },
});
