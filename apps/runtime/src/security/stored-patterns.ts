// Flows stored before payload regexes ran on RE2 may hold a pattern RE2 cannot run (a lookahead, a
// backreference). A deploy now refuses those; a stored flow keeps taking events with that one pattern
// unchecked (a 4xx would make senders drop events for the author's old pattern). This says so at start.
import { compilePayloadSchema, type Flow, type SkippedPattern } from '@flowdesk/schema';
import type { Logger } from '../observability/logger.ts';

/** Every contract in the flow whose patterns are not checked: the trigger's and each qa node's. */
export function uncheckedPatterns(flow: Flow): { where: string; patterns: readonly SkippedPattern[] }[] {
  const schemas: [string, unknown][] = [];
  if ('payloadSchema' in flow.trigger && flow.trigger.payloadSchema !== undefined) schemas.push(['/trigger/payloadSchema', flow.trigger.payloadSchema]);
  flow.nodes.forEach((n, i) => {
    if (n.type === 'qa' && n.checks.schema !== undefined) schemas.push([`/nodes/${i}/checks/schema`, n.checks.schema]);
  });
  const out: { where: string; patterns: readonly SkippedPattern[] }[] = [];
  for (const [where, schema] of schemas) {
    try {
      const v = compilePayloadSchema(schema, { unsupportedPatterns: 'skip' });
      if (v.skippedPatterns.length) out.push({ where, patterns: v.skippedPatterns });
    } catch {
      // a schema that does not compile at all is reported where it is used, as before
    }
  }
  return out;
}

export function logUncheckedPatterns(flows: { doc: Flow; active: boolean }[], log: Logger): void {
  for (const f of flows) {
    if (!f.active) continue;
    for (const u of uncheckedPatterns(f.doc)) {
      for (const p of u.patterns) {
        log.error(
          { flowId: f.doc.id, path: `${u.where}${p.path}`, pattern: p.pattern },
          `flow ${f.doc.id}: ${u.where}${p.path} is not checked — ${p.reason}. Events are accepted without it; redeploy the flow with a pattern RE2 can run.`,
        );
      }
    }
  }
}
