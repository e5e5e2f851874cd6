// One item read by an e-mail or poll trigger → admitEvent → a durable run (or a duplicate, an ignored
// or a rejected event, the last kept in the rejected-events log as a webhook's would be).
import { randomUUID } from 'node:crypto';
import { admitEvent, type EventSource } from '@flowdesk/engine';
import type { Flow } from '@flowdesk/schema';
import type { PollerDeps } from './pollers.ts';

export type ItemOutcome = 'started' | 'duplicate' | 'ignored' | 'rejected';

export async function admitItem(
  flow: Flow,
  source: Extract<EventSource, { kind: 'email' | 'poll' }>,
  payload: unknown,
  deps: Pick<PollerDeps, 'flows' | 'runner' | 'store' | 'clock' | 'files'>,
  runId: string = randomUUID(),
): Promise<ItemOutcome> {
  const dropFiles = () => deps.files.removeOwner(runId);
  const admission = admitEvent(flow, { source, payload, headers: {} }, { checkPayload: deps.flows.payloadValidator(flow) });
  if (admission.admit === 'rejected') {
    await dropFiles();
    await deps.store.addRejected({
      id: randomUUID(),
      at: new Date(deps.clock.now()).toISOString(),
      flowId: flow.id,
      path: source.kind === 'email' ? `email:${source.mailbox}:${source.uid}` : `poll:${source.key}`,
      status: 422,
      reason: admission.error,
      errors: admission.errors,
    });
    return 'rejected';
  }
  if (admission.admit === 'ignored') {
    await dropFiles();
    return 'ignored';
  }
  const { duplicate } = await deps.runner.start(flow, admission.start, { runId });
  if (duplicate) await dropFiles();
  return duplicate ? 'duplicate' : 'started';
}
