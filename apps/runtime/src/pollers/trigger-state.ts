// What an e-mail or poll trigger remembers between reads, kept durably in the store's `settings`
// collection (one document per flow): the mailbox cursor (UIDVALIDITY + last UID), or a polled URL's
// seen keys and validators (ETag, Last-Modified), and the failure count that drives backoff and the
// alert. Who reads is decided by the runtime's lease service (pollers.ts), not here.
import type { Store } from '../store/types.ts';

export interface TriggerState {
  id: string;
  flowId: string;
  /** what the state belongs to (mailbox or URL): a changed trigger starts afresh */
  source: string;
  /** when the trigger was first switched on: on first read, only mail that arrived since starts runs */
  since: number;
  /** e-mail: the mailbox's UIDVALIDITY (a string: it may exceed 2^53) and the last UID read */
  uidValidity?: string;
  lastUid?: number;
  /** e-mail: when the mailbox was last read whole (a changed UIDVALIDITY reads mail since then) */
  lastReadAt?: number;
  /** poll: item key → first seen (ms); absent until the first successful fetch */
  seen?: Record<string, number>;
  etag?: string;
  lastModified?: string;
  /** why the trigger reads nothing yet (e-mail: a config value or the password secret not set) — not a failure */
  notConfigured?: string;
  /** consecutive failed reads, and whether they were alerted */
  failures: number;
  alerted?: boolean;
  lastError?: string;
}

const stateId = (flowId: string) => `trigger-state:${flowId}`;

export async function loadState(store: Store, flowId: string): Promise<TriggerState | undefined> {
  return (await store.getDoc('settings', stateId(flowId))) as TriggerState | undefined;
}

export async function saveState(store: Store, state: TriggerState): Promise<void> {
  await store.putDoc('settings', state as unknown as { id: string });
}

/** The state for this trigger source, created (and written) when there is none or the source changed. */
export async function stateFor(store: Store, flowId: string, source: string, nowMs: number): Promise<TriggerState> {
  const cur = await loadState(store, flowId);
  if (cur && cur.source === source) return cur;
  const fresh: TriggerState = { id: stateId(flowId), flowId, source, since: nowMs, failures: 0 };
  await saveState(store, fresh);
  return fresh;
}
