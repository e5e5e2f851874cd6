import { Type } from '@sinclair/typebox';
import { defineNode, nodeSchema, short } from '../spec/index.ts';
import { javascriptSyntaxError } from '../sandbox/parse.ts';

export default defineNode({
  type: 'code',
  schema: nodeSchema('code', {
    source: Type.String({ minLength: 1, maxLength: 65_536, description: 'the body of a JavaScript function of `input`; its return value (JSON) is the output' }),
  }),
  label: 'Code',
  help: 'Run JavaScript in a sandbox',
  icon: '{}',
  color: '#9333ea',
  ports: () => ['out', 'error'],
  requiredPorts: () => ['out'],
  defaultPort: 'out',
  cycleMayPass: false,
  check(node, c) {
    if (typeof node.source !== 'string') return;
    const err = javascriptSyntaxError(node.source);
    if (err) c.error(`the code does not parse: ${err}`, 'source');
  },
  summary: (n) => short((n.source ?? '').trim().split('\n')[0] ?? '', 40) || 'code',
  create: (id) => ({ id, type: 'code' as const, source: 'return { count: (input.payload.items ?? []).length };' }),
  docs: {
    fields:
      '`source`: the body of a function of `input` = `{payload, vars, steps, record, item?, index?, now}`, returning a JSON value; run in a QuickJS (WebAssembly) sandbox with no I/O, `now` fixed and `Math.random` seeded per run and node, a budget of interrupt checks, a memory cap and a 256 KB stack',
    ports: '`out`, optional `error` (a throw, the budget, the memory cap)',
  },
});
