// The runs table's columns, defined once: the single-run statements (index.ts) and the batched hot path
// (hot-path.ts, a VALUES list) both derive their SQL and their positional values from here.
import type { Run } from '@flowdesk/schema';
import { isTerminal } from '@flowdesk/schema';
import { pgKeyHash } from './key-hash.ts';
import { rowShape } from './values-rows.ts';

const COLUMNS: ReadonlyArray<readonly [name: string, type: string, value: (run: Run, owner: string | null) => unknown]> = [
  ['id', 'text', (r) => r.id],
  ['flow_id', 'text', (r) => r.flowId],
  ['status', 'text', (r) => r.status],
  ['terminal', 'boolean', (r) => isTerminal(r.status)],
  ['idempotency_key_hash', 'text', (r) => (r.idempotencyKey == null ? null : pgKeyHash(r.idempotencyKey))],
  ['record_entity', 'text', (r) => r.record?.entity ?? null],
  ['record_key_hash', 'text', (r) => (r.record ? pgKeyHash(r.record.key) : null)],
  ['created_at', 'timestamptz', (r) => r.createdAt],
  ['ended_at', 'timestamptz', (r) => r.endedAt ?? null],
  ['doc', 'json', (r) => r],
  ['owner', 'text', (_r, owner) => owner],
];

/** `id, flow_id, …` */
export const RUN_COLS = COLUMNS.map(([n]) => n).join(', ');
/** `$1::text, $2::text, …` in column order */
export const RUN_VALUES = COLUMNS.map(([, t], i) => `$${i + 1}::${t}`).join(', ');
/** the columns' names and types, for a multi-row VALUES list (values-rows.ts) */
export const RUN_SHAPE = rowShape(COLUMNS.map(([n, t]) => [n, t] as const));
/** every column but the id, taken from `excluded` (an upsert's update list) */
export const RUN_UPDATE_SET = COLUMNS.filter(([n]) => n !== 'id')
  .map(([n]) => `${n} = excluded.${n}`)
  .join(', ');

/** `flow_id = $2::text, …`: every column but the id (`$1`) from runParams' positions, for an UPDATE */
export const RUN_SET_PARAMS = COLUMNS.flatMap(([n, t], i) => (n === 'id' ? [] : [`${n} = $${i + 1}::${t}`])).join(', ');
/** how many positional parameters runParams gives (a statement's own come after them) */
export const RUN_PARAM_COUNT = COLUMNS.length;

/** The run as positional parameters in column order (the doc as JSON text). */
export const runParams = (run: Run, owner: string | null): unknown[] => COLUMNS.map(([n, , v]) => (n === 'doc' ? JSON.stringify(run) : v(run, owner)));

