// task.create: an internal task (title, due, owner, record) in the 'tasks' collection (GET /api/tasks).
// The task id is derived from the command's idempotency key, so a retried attempt stores it once.
//
// params: { title, due? (ISO time, or a duration from now: "30m", "2d"), owner?, record?: {entity, key}, notes? }
import { createHash } from 'node:crypto';
import { parseDuration } from '@flowdesk/schema';
import type { ActionResult } from '@flowdesk/engine';
import type { ActionExecutor } from './types.ts';

export interface Task {
  id: string;
  title: string;
  due: string | null;
  owner: string | null;
  record: { entity: string; key: string } | null;
  notes?: string;
  runId: string;
  flowId: string;
  nodeId: string;
  status: 'open' | 'done';
  createdAt: string;
  idempotencyKey: string;
  [k: string]: unknown;
}

export const taskIdFor = (idempotencyKey: string): string => `task-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;

/** An ISO time, or a duration from `nowMs`; throws on anything else. */
export function resolveDue(due: unknown, nowMs: number): string | null {
  if (due === undefined || due === null || due === '') return null;
  if (typeof due !== 'string') throw new Error(`params.due must be an ISO time or a duration like "2d" (got ${JSON.stringify(due)})`);
  if (/^[0-9]+(s|m|h|d)$/.test(due)) return new Date(nowMs + parseDuration(due)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(due)) {
    const t = Date.parse(due);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  throw new Error(`params.due must be an ISO time or a duration like "2d" (got ${JSON.stringify(due)})`);
}

export const taskCreate: ActionExecutor = async (cmd, deps): Promise<ActionResult> => {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const p = cmd.params as Record<string, unknown>;
  try {
    if (typeof p.title !== 'string' || p.title.trim() === '') throw new Error('params.title must be a non-empty string');
    const nowMs = deps.clock.now();
    const due = resolveDue(p.due, nowMs);
    let record: Task['record'] = deps.run.record ? { entity: deps.run.record.entity, key: deps.run.record.key } : null;
    if (p.record !== undefined && p.record !== null) {
      const r = p.record as { entity?: unknown; key?: unknown };
      if (typeof r.entity !== 'string' || !r.entity || r.key === undefined || r.key === null || r.key === '') throw new Error('params.record must be {entity, key}');
      record = { entity: r.entity, key: String(r.key) };
    }
    const id = taskIdFor(cmd.idempotencyKey);
    const existing = await deps.store.getDoc('tasks', id);
    if (existing) return { ok: true, output: existing, durationMs: ms() };
    const task: Task = {
      id,
      title: p.title.trim(),
      due,
      owner: typeof p.owner === 'string' && p.owner ? p.owner : null,
      record,
      ...(typeof p.notes === 'string' && p.notes ? { notes: p.notes } : {}),
      runId: deps.run.id,
      flowId: deps.run.flowId,
      nodeId: cmd.nodeId,
      status: 'open',
      createdAt: new Date(nowMs).toISOString(),
      idempotencyKey: cmd.idempotencyKey,
    };
    await deps.store.putDoc('tasks', task);
    return { ok: true, output: task, durationMs: ms() };
  } catch (e) {
    return { ok: false, errorClass: 'error', error: (e as Error).message, durationMs: ms() };
  }
};
