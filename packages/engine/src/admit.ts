// admitEvent: the one answer to "should this event start a run, and with what?", for every way an
// event comes in (a webhook, a manual start from the API or a flow.emit, a schedule slot, a record
// entering a state). Pure: the contract check is handed in compiled, the time is not needed.
//
// In order: the payload contract (422), the trigger's filter (ignored), then the start input — the
// idempotency key (the trigger's rule, else its spec's default for the event's kind of sender, else
// what the source brings of its own), normalised the same way everywhere, and the dedupe window.
// Authentication and rate limits stay with the transport (http/hooks.ts): they run before this.
import { parseDuration, triggerSpec, type FieldError, type Flow, type Run } from '@flowdesk/schema';
import { runRecordRef } from './interpreter.ts';
import { evaluateLogic, truthy } from './logic.ts';

export const DEFAULT_DEDUPE_WINDOW_MS = 24 * 3_600_000;
/** Record-trigger runs are keyed by record and transition: one run per entry into a state, forever. */
export const RECORD_TRIGGER_WINDOW_MS = 10 * 365 * 86_400_000;
/** A Message-ID is remembered this long: a message read again (a restart before the cursor was written) is one run. */
export const EMAIL_DEDUPE_WINDOW_MS = 90 * 86_400_000;

/** Where an event comes from. */
export type EventSource =
  | { kind: 'webhook'; path: string }
  /** started by hand: the editor, POST /api/flows/:id/run */
  | { kind: 'manual' }
  /** started by a flow.emit step; its key makes a repeated attempt start one run */
  | { kind: 'emit'; idempotencyKey: string }
  /** a schedule slot (its due time) */
  | { kind: 'schedule'; slot: string }
  /** a record entered the trigger's state */
  | { kind: 'record'; entity: string; key: string; transitionId: string }
  /** a new message in a mailbox (the IMAP reader): its key is the Message-ID, else `<UIDVALIDITY>:<UID>` */
  | { kind: 'email'; mailbox: string; uid: number; key: string }
  /** a new item of a polled URL: its key is the trigger's item-key rule's value, kept for `windowMs` */
  | { kind: 'poll'; url: string; key: string; windowMs: number };

export interface IncomingEvent {
  source: EventSource;
  payload: unknown;
  /** request headers (credentials already redacted); `{}` where there are none */
  headers?: Record<string, string>;
}

/** What the runner needs to create the run. */
export interface StartInput {
  payload: unknown;
  headers?: Record<string, string>;
  idempotencyKey: string | null;
  dedupeWindowMs?: number;
  trigger: Run['trigger'];
  record?: Run['record'];
  /** set by flow.call: the calling run's step */
  parent?: Run['parent'];
}

export type Admission =
  | { admit: 'start'; start: StartInput }
  | { admit: 'ignored'; reason: string }
  | { admit: 'rejected'; error: string; errors: FieldError[] };

export interface AdmitOptions {
  /** the flow's payload contract, compiled once per version (AJV stays outside the engine) */
  checkPayload?: (payload: unknown) => FieldError[];
}

interface SourceRules<S extends EventSource> {
  /** the payload is checked against the trigger's contract */
  contract: boolean;
  /** the trigger's filter applies (a run started by hand is never filtered) */
  filter: boolean;
  /** the trigger's key rule applies (else only the source's own key) */
  keyRule: boolean;
  /** the source's own key, used when the trigger names none (or it gives nothing) */
  ownKey(source: S, flow: Flow): string | null;
  /** the source's own window, which the trigger cannot change */
  windowMs?: number | ((source: S) => number);
  run(source: S): Run['trigger'];
}

/** One entry per kind of source: a new way in (form posts, e-mail, polling) is one more entry. */
const SOURCES: { [K in EventSource['kind']]: SourceRules<Extract<EventSource, { kind: K }>> } = {
  webhook: { contract: true, filter: true, keyRule: true, ownKey: () => null, run: (s) => ({ type: 'webhook', path: s.path }) },
  manual: { contract: true, filter: false, keyRule: true, ownKey: () => null, run: () => ({ type: 'manual' }) },
  emit: { contract: true, filter: false, keyRule: true, ownKey: (s) => s.idempotencyKey, run: () => ({ type: 'manual' }) },
  schedule: { contract: false, filter: false, keyRule: false, ownKey: (s, flow) => `schedule:${flow.id}:${s.slot}`, run: (s) => ({ type: 'schedule', scheduledFor: s.slot }) },
  record: {
    contract: false,
    filter: true,
    keyRule: false,
    ownKey: (s) => `${s.entity}:${s.key}:${s.transitionId}`,
    windowMs: RECORD_TRIGGER_WINDOW_MS,
    run: (s) => ({ type: 'record', recordTransitionId: s.transitionId }),
  },
  email: { contract: true, filter: true, keyRule: false, ownKey: (s) => s.key, windowMs: EMAIL_DEDUPE_WINDOW_MS, run: (s) => ({ type: 'email', mailbox: s.mailbox, uid: s.uid }) },
  poll: { contract: true, filter: true, keyRule: false, ownKey: (s) => s.key, windowMs: (s) => s.windowMs, run: (s) => ({ type: 'poll', url: s.url, itemKey: s.key }) },
};

/** A key rule's value as the dedupe key: a string as it is, anything else as JSON; nothing → null. */
export function normaliseKey(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

type TriggerFields = { idempotencyKey?: unknown; dedupeWindow?: string; filter?: unknown };

export function admitEvent(flow: Flow, event: IncomingEvent, opts: AdmitOptions = {}): Admission {
  const rules = SOURCES[event.source.kind] as SourceRules<EventSource>;
  const { payload } = event;
  const headers = event.headers ?? {};
  const trigger = flow.trigger as typeof flow.trigger & TriggerFields;

  if (rules.contract && opts.checkPayload) {
    const errors = opts.checkPayload(payload);
    if (errors.length) return { admit: 'rejected', error: 'payload does not match the contract', errors };
  }
  const source = event.source;
  const ctx: Record<string, unknown> = { payload, headers };
  if (source.kind === 'record') ctx.record = { entity: source.entity, key: source.key, ...(payload as object) };
  try {
    if (rules.filter && trigger.filter !== undefined && !truthy(evaluateLogic(trigger.filter, ctx, 'trigger.filter'))) {
      return { admit: 'ignored', reason: 'the trigger filter did not match' };
    }
    const dflt = triggerSpec(trigger.type)?.dedupeDefault?.(flow.trigger);
    const keyRule = rules.keyRule ? trigger.idempotencyKey ?? dflt?.key : undefined;
    const key = (keyRule !== undefined ? normaliseKey(evaluateLogic(keyRule, ctx, 'trigger.idempotencyKey')) : null) ?? rules.ownKey(source, flow);
    const window = rules.keyRule ? trigger.dedupeWindow ?? dflt?.window : undefined;
    const record = source.kind === 'record' ? { entity: source.entity, key: source.key } : runRecordRef(flow, { payload, headers });
    const start: StartInput = {
      payload,
      headers,
      idempotencyKey: key,
      dedupeWindowMs: (typeof rules.windowMs === 'function' ? rules.windowMs(source) : rules.windowMs) ?? (window ? parseDuration(window) : DEFAULT_DEDUPE_WINDOW_MS),
      trigger: rules.run(source),
      ...(record ? { record } : {}),
    };
    return { admit: 'start', start };
  } catch (e) {
    const message = (e as Error).message;
    return { admit: 'rejected', error: message, errors: [{ path: '', message }] };
  }
}
