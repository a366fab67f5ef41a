#!/usr/bin/env node
// An MCProxy module that rewrites tool descriptions in tools/list results: a prefix, a suffix,
// and literal replacements, e.g. to add house rules for the model or to fix a server's wording.
//
// Config: {"prefix": "[reviewed] ", "suffix": "", "replace": {"from": "to"}}
import { proceed, replaceResult, runModule } from '../../sdk/node/mcproxy-module.mjs';

let settings = { prefix: '', suffix: '', replace: {} };

runModule({
  name: 'description-rewriter',
  version: '1.0.0',
  results: ['tools/list'],
  onInitialize(config) {
    settings = { prefix: config.prefix ?? '', suffix: config.suffix ?? '', replace: config.replace ?? {} };
  },
  onResult({ result }) {
    if (!Array.isArray(result.tools)) return proceed();
    for (const tool of result.tools) {
      let text = typeof tool.description === 'string' ? tool.description : '';
      for (const [from, to] of Object.entries(settings.replace)) text = text.split(from).join(String(to));
      tool.description = `${settings.prefix}${text}${settings.suffix}`;
    }
    return replaceResult(result);
  },
});
