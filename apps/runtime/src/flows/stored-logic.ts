// Flows stored before JSON-Logic shapes and arities were checked at deploy (issue 11, item 6) may hold
// a rule a deploy now refuses — `{"var": …, "extra": 1}`, `{">": "x"}`. They keep running exactly as
// before (an upgrade never silently stops a flow), and the owner hears about it once: one alert per
// flow version, naming each node and path, remembered in settings so a restart does not repeat it.
import { validateFlow, type StateMap } from '@flowdesk/schema';
import { EXECUTORS } from '../actions/index.ts';
import type { AlertDispatcher } from '../alerts/dispatcher.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store, StoredFlow } from '../store/types.ts';

export const STORED_LOGIC_MARK = 'stored-logic-alerted:';

/** The errors today's checks give `doc` that the checks before shapes and arities did not. */
export function newLogicProblems(doc: unknown, stateMap: StateMap | undefined): { path: string; message: string; nodeId?: string }[] {
  const opts = { implementedActions: Object.keys(EXECUTORS), stateMap };
  const now = validateFlow(doc, opts).errors;
  // the common case (a flow today's checks pass) needs no second pass, which a start pays per flow
  if (now.length === 0) return [];
  return addedErrors(now, validateFlow(doc, { ...opts, logicShapes: false }).errors);
}

/** The errors of `now` that `before` did not have (same path, same message). */
export function addedErrors<E extends { path: string; message: string }>(now: E[], before: { path: string; message: string }[]): E[] {
  const key = (e: { path: string; message: string }) => `${e.path}\u0000${e.message}`;
  const seen = new Set(before.map(key));
  return now.filter((e) => !seen.has(key(e)));
}

export async function alertStoredLogicProblems(deps: { flows: StoredFlow[]; stateMap: StateMap | undefined; store: Store; alerts: AlertDispatcher; log: Logger; now: () => string }): Promise<number> {
  let alerted = 0;
  for (const f of deps.flows) {
    if (!f.active) continue;
    const problems = newLogicProblems(f.doc, deps.stateMap);
    if (problems.length === 0) continue;
    const where = problems.map((p) => `${p.nodeId ? `node ${p.nodeId} ` : ''}${p.path}: ${p.message}`);
    deps.log.warn({ flowId: f.id, version: f.version, problems: where }, `flow ${f.id}: JSON-Logic a deploy now refuses; it keeps running as before`);
    const mark = `${STORED_LOGIC_MARK}${f.id}@${f.version}`;
    if (await deps.store.getDoc('settings', mark)) continue;
    const nodes = [...new Set(problems.map((p) => p.nodeId).filter((n): n is string => !!n))];
    await deps.alerts.raise({
      flowId: f.id,
      nodeId: nodes[0],
      kind: 'stored_flow_logic',
      severity: 'P1',
      message: `flow ${f.id} (version ${f.version}) holds JSON-Logic a deploy now refuses${nodes.length ? ` in node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')}` : ''}: ${where.join('; ')}. It keeps running exactly as before; fix the rule and redeploy.`,
    });
    await deps.store.putDoc('settings', { id: mark, at: deps.now(), problems });
    alerted++;
  }
  return alerted;
}
