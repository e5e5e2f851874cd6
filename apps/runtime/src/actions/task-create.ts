// task.create: an internal task (title, due, owner, record) in the 'tasks' collection (GET /api/tasks).
// The task id is derived from the command's idempotency key, so a retried attempt stores it once.
import { createHash } from 'node:crypto';
import { parseDuration, specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';

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

export const taskCreate = defineExecutor(specOf('task.create'), async (p, { cmd, deps }) => {
  if (p.title.trim() === '') throw new Error('params.title must be a non-empty string');
  const nowMs = deps.clock.now();
  const due = resolveDue(p.due, nowMs);
  const record: Task['record'] = p.record ? { entity: p.record.entity, key: String(p.record.key) } : deps.run.record ? { entity: deps.run.record.entity, key: deps.run.record.key } : null;
  const id = taskIdFor(cmd.idempotencyKey);
  const existing = await deps.store.getDoc('tasks', id);
  if (existing) return { output: existing };
  const task: Task = {
    id,
    title: p.title.trim(),
    due,
    owner: p.owner ? p.owner : null,
    record,
    ...(p.notes ? { notes: p.notes } : {}),
    runId: deps.run.id,
    flowId: deps.run.flowId,
    nodeId: cmd.nodeId,
    status: 'open',
    createdAt: new Date(nowMs).toISOString(),
    idempotencyKey: cmd.idempotencyKey,
  };
  await deps.store.putDoc('tasks', task);
  return { output: task };
});

export default taskCreate;
