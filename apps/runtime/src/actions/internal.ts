// The internal actions: they act on Flowdesk's own state through the runtime services.
import type { ActionResult } from '@flowdesk/engine';
import type { Severity } from '@flowdesk/schema';
import type { ActionDeps, ActionExecutor } from './types.ts';

async function guarded(deps: ActionDeps, body: (s: NonNullable<ActionDeps['services']>) => Promise<unknown>): Promise<ActionResult> {
  const started = performance.now();
  if (!deps.services) return { ok: false, errorClass: 'error', error: 'runtime services unavailable', durationMs: 0 };
  try {
    const output = await body(deps.services);
    return { ok: true, output, durationMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, errorClass: 'error', error: (e as Error).message, durationMs: Math.round(performance.now() - started) };
  }
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`params.${name} must be a non-empty string (got ${JSON.stringify(v)})`);
  return v;
};

export const recordSetState: ActionExecutor = (cmd, deps) =>
  guarded(deps, async (s) => {
    const p = cmd.params as { entity?: unknown; key?: unknown; state?: unknown; data?: Record<string, unknown> };
    const entity = typeof p.entity === 'string' ? p.entity : deps.run.record?.entity;
    const key = p.key !== undefined && p.key !== null ? String(p.key) : deps.run.record?.key;
    const rec = await s.setRecordState({
      entity: str(entity, 'entity'),
      key: str(key, 'key'),
      state: str(p.state, 'state'),
      data: p.data,
      cause: { runId: deps.run.id, nodeId: cmd.nodeId },
    });
    return { entity: rec.entity, key: rec.key, state: rec.state, previous: rec.history[rec.history.length - 1]?.from ?? null };
  });

export const alertRaise: ActionExecutor = (cmd, deps) =>
  guarded(deps, async (s) => {
    const p = cmd.params as { message?: unknown; severity?: unknown; kind?: unknown };
    const severity = (['P0', 'P1', 'P2'].includes(String(p.severity)) ? p.severity : 'P2') as Severity;
    const alert = await s.raiseAlert({
      flowId: deps.run.flowId,
      nodeId: cmd.nodeId,
      runId: deps.run.id,
      kind: typeof p.kind === 'string' ? p.kind : 'raised',
      severity,
      message: str(p.message, 'message'),
    });
    return { alertId: alert.id, severity: alert.severity };
  });

export const flowEmit: ActionExecutor = (cmd, deps) =>
  guarded(deps, async (s) => {
    const p = cmd.params as { flowId?: unknown; payload?: unknown };
    return s.emitFlow(str(p.flowId, 'flowId'), p.payload ?? {}, { runId: deps.run.id, nodeId: cmd.nodeId, idempotencyKey: cmd.idempotencyKey });
  });
