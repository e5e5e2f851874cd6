// The trigger specs as one typed table. A trigger type is added here (its spec file + one entry); the
// engine's admitEvent then needs the source its events come from (packages/engine/src/admit.ts).
import type { Static } from '@sinclair/typebox';
import email from './email.ts';
import manual from './manual.ts';
import poll from './poll.ts';
import record from './record.ts';
import schedule from './schedule.ts';
import webhook from './webhook.ts';

export const TRIGGER_SPEC_LIST = [webhook, schedule, record, manual, email, poll] as const;

type AnyListed = (typeof TRIGGER_SPEC_LIST)[number];
export type TriggerType = AnyListed['type'];
export type Trigger = Static<AnyListed['schema']>;
export type TriggerOf<K extends TriggerType> = Extract<Trigger, { type: K }>;

export const TRIGGER_SPECS = Object.fromEntries(TRIGGER_SPEC_LIST.map((s) => [s.type, s])) as { readonly [K in TriggerType]: Extract<AnyListed, { type: K }> };

/** A trigger spec seen through the operations every spec has, on any trigger. */
export interface AnyTriggerSpec {
  readonly type: TriggerType;
  readonly label: string;
  readonly help: string;
  summary(trigger: Trigger): string;
  dedupeDefault?(trigger: Trigger): import('../spec/trigger.ts').DedupeDefault | undefined;
  check?(trigger: Record<string, unknown>, c: import('../spec/check.ts').CheckContext): void;
  readonly docs: { fields: string };
}

export function triggerSpec(type: unknown): AnyTriggerSpec | undefined {
  return typeof type === 'string' && Object.hasOwn(TRIGGER_SPECS, type) ? (TRIGGER_SPECS[type as TriggerType] as unknown as AnyTriggerSpec) : undefined;
}
