// docs/dsl.md's tables of triggers, nodes and actions, generated from the specs: the build writes them
// between marker comments (`npm run schema:build`) and a test fails while the committed file is stale.
import type { TSchema } from '@sinclair/typebox';
import { ACTION_SPECS } from './action-specs.ts';
import { NODE_SPEC_LIST } from './nodes/index.ts';
import { AUTH_DOCS } from './triggers/webhook-auth.ts';
import { TRIGGER_SPEC_LIST } from './triggers/index.ts';
import { paramPatterns } from './spec/action.ts';
import { PARAM_ROLES, type ParamRole } from './spec/params.ts';
import type { RetryPolicy } from './primitives.ts';

const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function paramsCell(params: TSchema): string {
  const props = (params as { properties?: Record<string, TSchema> }).properties ?? {};
  const required = new Set((params as { required?: string[] }).required ?? []);
  return Object.entries(props)
    .map(([k, s]) => {
      const d = (s as { description?: string }).description;
      return `${required.has(k) ? `**${code(k)}**` : code(k)}${d ? ` (${d})` : ''}`;
    })
    .join(', ');
}

const ROLE_WORDS: Record<ParamRole, string> = { url: 'URL', secrets: 'may hold secrets', connection: 'connection', email: 'e-mail address' };

function rolesCell(spec: (typeof ACTION_SPECS)[number]): string {
  return PARAM_ROLES.map((r) => {
    const ps = paramPatterns(spec, r);
    return ps.length ? `${ROLE_WORDS[r]}: ${ps.map((p) => code(p.slice(1))).join(', ')}` : '';
  })
    .filter(Boolean)
    .join('; ') || '—';
}

function retryCell(r: RetryPolicy): string {
  if (r.backoff) return `backoff from ${r.backoff.initial}, ${r.backoff.maxAttempts} attempts`;
  const delays = r.delays ?? [];
  return delays.length ? `${delays.length} retries: ${delays.join(', ')}${r.retryOn ? ` on ${r.retryOn.join(', ')}` : ''}` : 'none (fails at once)';
}

export function triggersTable(): string {
  return [
    '| type | fields |',
    '|---|---|',
    ...TRIGGER_SPEC_LIST.map((t) => `| ${code(t.type)} | ${cell(t.docs.fields)} |`),
    '',
    `Webhook \`auth\`: ${AUTH_DOCS.join(', ')}.`,
  ].join('\n');
}

export function nodesTable(): string {
  return [
    '| type | fields | output ports | a cycle may pass through it |',
    '|---|---|---|---|',
    ...NODE_SPEC_LIST.map((n) => `| ${code(n.type)} | ${cell(n.docs.fields)} | ${cell(n.docs.ports)} | ${n.cycleMayPass ? 'yes' : 'no'} |`),
  ].join('\n');
}

export function actionsTable(): string {
  return [
    '| action | params (**required**) | output | calls outside | retries unless the node sets `retry` | param roles |',
    '|---|---|---|---|---|---|',
    ...ACTION_SPECS.map((a) => `| ${code(a.type)} | ${cell(paramsCell(a.params))} | ${cell(a.output)} | ${a.outside ? 'yes' : 'no'} | ${cell(retryCell(a.retryDefault))} | ${cell(rolesCell(a))} |`),
  ].join('\n');
}

export const GENERATED_TABLES: Record<string, () => string> = { triggers: triggersTable, nodes: nodesTable, actions: actionsTable };

/** The document with every `<!-- BEGIN generated:NAME -->…<!-- END generated:NAME -->` section rewritten. */
export function withGeneratedTables(doc: string): string {
  let out = doc;
  for (const [name, table] of Object.entries(GENERATED_TABLES)) {
    const begin = `<!-- BEGIN generated:${name} (from the specs, by npm run schema:build) -->`;
    const end = `<!-- END generated:${name} -->`;
    const a = out.indexOf(begin);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/dsl.md has no generated:${name} section`);
    out = `${out.slice(0, a + begin.length)}\n${table()}\n${out.slice(b)}`;
  }
  return out;
}
