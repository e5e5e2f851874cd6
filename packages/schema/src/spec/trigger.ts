// defineTrigger: everything Flowdesk knows about a trigger type. The flow's JSON Schema, the editor's
// summaries and docs/dsl.md's table come from these specs; the engine's admitEvent asks them for the
// defaults of an event's idempotency key and dedupe window.
import type { Static, TObject } from '@sinclair/typebox';
import type { CheckContext } from './check.ts';

/** The idempotency key rule and dedupe window a trigger applies when its document names none. */
export interface DedupeDefault {
  /** JSON-Logic over `{payload, headers}` (e.g. a vendor's delivery id header) */
  key?: unknown;
  /** a duration: at least as long as the sender retries */
  window?: string;
}

export interface TriggerSpecInput<T extends string, S extends TObject> {
  type: T;
  schema: S;
  label: string;
  help: string;
  /** one line for the canvas */
  summary(trigger: Static<S>): string;
  /** the key rule and window used when the trigger leaves `idempotencyKey` / `dedupeWindow` out */
  dedupeDefault?(trigger: Static<S>): DedupeDefault | undefined;
  /** deploy checks beyond the schema; paths relative to the trigger */
  check?(trigger: Record<string, unknown>, c: CheckContext): void;
  docs: { fields: string };
}

export type TriggerSpec<T extends string = string, S extends TObject = TObject> = Readonly<TriggerSpecInput<T, S>>;

export function defineTrigger<const T extends string, S extends TObject>(spec: TriggerSpecInput<T, S>): TriggerSpec<T, S> {
  return Object.freeze({ ...spec });
}
